"""The report: the council against every other strategy, and what each strategy cost.

One outcome per question and strategy (for the council: +1 win, 0 tie, −1 loss):

- an answer that failed loses to one that did not (both failed: a tie);
- ``exact``/``numeric`` questions: the strategy that matches the reference wins;
- otherwise each judge's two readings (``judging.combine``: position-inconsistent is a tie),
  then the panel's majority (``stats.majority``).

The report is plain JSON (stored with the evaluation, served by the API, printed by
``--json``); ``html.py`` and the CLI's table render it.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from llmcouncil.evaluation.dataset import EvalItem
from llmcouncil.evaluation.execution import RunOutcome
from llmcouncil.evaluation.judging import Verdict, combine, match_outcome
from llmcouncil.evaluation.stats import (
    compare,
    fleiss_kappa,
    majority,
    percent_agreement,
    position_consistency,
)

if TYPE_CHECKING:
    from llmcouncil.evaluation.repository import Evaluation

Verdicts = Mapping[tuple[str, str, str], str | None]


def question_outcomes(
    *,
    item: EvalItem,
    base: RunOutcome,
    other: RunOutcome,
    name: str,
    judges: Sequence[str],
    verdicts: Verdicts,
) -> tuple[int, dict[str, tuple[int, bool | None]]]:
    """The council's outcome against ``name`` on one question, and each judge's (outcome,
    consistent) — consistent is None where a reading is missing."""
    if not (base.ok and other.ok):
        return (int(base.ok) - int(other.ok)), {}
    if item.match != "judge":
        return match_outcome(item, base.text, other.text), {}
    per_judge: dict[str, tuple[int, bool | None]] = {}
    for judge in judges:
        forward = _verdict(verdicts.get((name, judge, "ab")))
        backward = _verdict(verdicts.get((name, judge, "ba")))
        outcome, consistent = combine(forward, backward)
        per_judge[judge] = (outcome, consistent if forward and backward else None)
    return majority([o for o, _ in per_judge.values()]), per_judge


def _verdict(value: str | None) -> Verdict | None:
    return value if value in ("1", "2", "tie") else None  # type: ignore[return-value]


def build_report(
    *,
    evaluation: Evaluation,
    items: Sequence[EvalItem],
    strategies: Sequence[str],
    judges: Sequence[str],
    answers: Mapping[int, Mapping[str, RunOutcome]],
    verdicts: Mapping[int, Verdicts],
    judge_calls: Sequence[RunOutcome] = (),
) -> dict[str, Any]:
    seed = int(evaluation.options.get("seed", 0))
    baseline, others = strategies[0], list(strategies[1:])
    outcomes: dict[str, list[int]] = defaultdict(list)
    by_category: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    consistency: dict[str, list[bool]] = defaultdict(list)
    panel_rows: list[list[int]] = []
    per_question: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        row: dict[str, Any] = {
            "index": index,
            "category": item.category,
            "question": item.question[:300],
            "outcomes": {},
        }
        for name in others:
            outcome, per_judge = question_outcomes(
                item=item,
                base=answers[index][baseline],
                other=answers[index][name],
                name=name,
                judges=judges,
                verdicts=verdicts.get(index, {}),
            )
            outcomes[name].append(outcome)
            by_category[name][item.category].append(outcome)
            row["outcomes"][name] = outcome
            for judge, (_, consistent) in per_judge.items():
                if consistent is not None:
                    consistency[judge].append(consistent)
            if len(per_judge) > 1:
                panel_rows.append([o for o, _ in per_judge.values()])
        per_question.append(row)
    comparisons = [
        {
            "strategy": name,
            "overall": compare(outcomes[name], seed=seed).as_dict(),
            "by_category": {
                category: compare(values, seed=seed).as_dict()
                for category, values in sorted(by_category[name].items())
            },
        }
        for name in others
    ]
    every = [c for judge in judges for c in consistency[judge]]
    return {
        "evaluation": {
            "id": evaluation.id,
            "name": evaluation.name,
            "questions": len(items),
            "categories": sorted({item.category for item in items}),
            "strategies": list(strategies),
            "judges": list(judges),
            "simulated": evaluation.simulated,
        },
        "simulated": evaluation.simulated,
        "baseline": baseline,
        "comparisons": comparisons,
        "strategies": [_strategy_row(name, answers) for name in strategies],
        "judging": {
            "judges": [
                {
                    "judge": judge,
                    "judgements": len(consistency[judge]),
                    "position_consistency": position_consistency(consistency[judge]),
                }
                for judge in judges
            ],
            "position_consistency": position_consistency(every),
            "agreement": {
                "fleiss_kappa": fleiss_kappa(panel_rows),
                "percent": percent_agreement(panel_rows),
                "subjects": len(panel_rows),
            },
            "spend": _spend(judge_calls),
        },
        "per_question": per_question,
    }


def _spend(outcomes: Sequence[RunOutcome]) -> dict[str, Any]:
    costs = [o.cost for o in outcomes if o.cost is not None]
    return {
        "calls": sum(o.calls for o in outcomes),
        "prompt_tokens": sum(o.prompt_tokens for o in outcomes),
        "completion_tokens": sum(o.completion_tokens for o in outcomes),
        "cost": round(sum(costs), 6) if costs else None,
    }


def _strategy_row(name: str, answers: Mapping[int, Mapping[str, RunOutcome]]) -> dict[str, Any]:
    mine = [answers[i][name] for i in sorted(answers)]
    latencies = [o.latency_ms for o in mine if o.ok and o.latency_ms]
    spend = _spend(mine)
    n = max(1, len(mine))
    return {
        "strategy": name,
        "answered": sum(o.ok for o in mine),
        "failed": sum(not o.ok for o in mine),
        **spend,
        "tokens_per_question": round((spend["prompt_tokens"] + spend["completion_tokens"]) / n, 1),
        "cost_per_question": None if spend["cost"] is None else round(spend["cost"] / n, 6),
        "latency_ms": {
            "mean": round(statistics.fmean(latencies), 1) if latencies else None,
            "median": round(statistics.median(latencies), 1) if latencies else None,
            "max": round(max(latencies), 1) if latencies else None,
        },
    }
