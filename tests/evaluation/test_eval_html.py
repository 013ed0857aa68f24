"""The report built from outcomes, and its HTML page: self-contained and escaped."""

from __future__ import annotations

from datetime import UTC, datetime

from llmcouncil.evaluation.dataset import EvalItem
from llmcouncil.evaluation.execution import RunOutcome
from llmcouncil.evaluation.html import render_html
from llmcouncil.evaluation.report import build_report
from llmcouncil.evaluation.repository import Evaluation

HOSTILE = "<script>alert(1)</script>"


def test_a_report_from_outcomes_and_its_page() -> None:
    now = datetime.now(UTC)
    evaluation = Evaluation(
        id="e",
        name=HOSTILE,
        status="complete",
        user_id=None,
        preset=None,
        strategies=["council", HOSTILE],
        judges=["j1", "j2"],
        items=[],
        options={"seed": 1},
        simulated=True,
        report=None,
        error=None,
        created_at=now,
        updated_at=now,
        finished_at=now,
    )
    items = [
        EvalItem(f"{HOSTILE} 1?", "1", "maths", "numeric"),
        EvalItem("Why?", "Because.", "writing"),
        EvalItem("Fails?", None, "writing"),
    ]
    ok = RunOutcome(ok=True, text="It is 1.", calls=3, prompt_tokens=10, completion_tokens=5)
    other = RunOutcome(ok=True, text="It is 2.", calls=1, prompt_tokens=4, completion_tokens=2)
    answers = {
        0: {"council": ok, HOSTILE: other},
        1: {"council": ok, HOSTILE: other},
        2: {"council": RunOutcome(ok=False), HOSTILE: other},
    }
    # Question 2: j1 prefers the council in both orders; j2 says "1" both times (a tie).
    verdicts = {
        1: {
            (HOSTILE, "j1", "ab"): "1",
            (HOSTILE, "j1", "ba"): "2",
            (HOSTILE, "j2", "ab"): "1",
            (HOSTILE, "j2", "ba"): "1",
        }
    }
    report = build_report(
        evaluation=evaluation,
        items=items,
        strategies=["council", HOSTILE],
        judges=["j1", "j2"],
        answers=answers,
        verdicts=verdicts,
    )
    [row] = report["comparisons"]
    # Numeric match: a win; the panel: +1 and 0 → a win; a failed council answer: a loss.
    assert [q["outcomes"][HOSTILE] for q in report["per_question"]] == [1, 1, -1]
    assert (row["overall"]["wins"], row["overall"]["losses"]) == (2, 1)
    assert report["judging"]["judges"][1]["position_consistency"] == 0.0
    assert report["strategies"][0]["tokens_per_question"] == 10.0
    page = render_html(report)
    assert "<script" not in page and "&lt;script&gt;" in page
    assert "Simulated." in page and "<svg" in page
    assert "src=" not in page and "href=" not in page  # nothing fetched from anywhere
