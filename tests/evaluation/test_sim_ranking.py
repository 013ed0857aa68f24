"""Against a known truth: members with scripted skill are ranked as their skill says."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from eval_support import (
    JUDGE_A,
    JUDGE_B,
    JUDGE_FIRST,
    RIGHT,
    VERBOSE,
    WRONG,
    council_settings,
    harness_for,
    maths_items,
    skills_for,
)

from llmcouncil.api.runtime import Runtime
from llmcouncil.evaluation import EvalItem, EvaluationPlan
from llmcouncil.sim import SimConfig, SimServer


async def _evaluate(
    sim: SimServer, tmp_path: Path, items: list[EvalItem], strategies: list[str]
) -> dict[str, Any]:
    sim.configure(SimConfig.fast(base_ms=0).model_copy(update={"skills": skills_for(items)}))
    runtime = await Runtime.start(council_settings(sim, tmp_path))
    try:
        harness = harness_for(runtime)
        evaluation = await harness.create(
            EvaluationPlan(
                name="skill", items=items, strategies=strategies, judges=[JUDGE_A, JUDGE_B]
            )
        )
        return await harness.run(evaluation.id)
    finally:
        await runtime.stop()


def _overall(report: dict[str, Any], strategy: str) -> dict[str, Any]:
    [row] = [c for c in report["comparisons"] if c["strategy"] == strategy]
    return dict(row["overall"])


async def test_the_harness_ranks_strategies_by_their_scripted_skill(
    skilled_sim: SimServer, tmp_path: Path, eval_key: None
) -> None:
    items = maths_items(6)
    report = await _evaluate(
        skilled_sim,
        tmp_path,
        items,
        ["select", "self-moa", f"member:{RIGHT}", f"member:{WRONG}", f"member:{VERBOSE}"],
    )
    assert report["baseline"] == "council"
    # The always-wrong member loses every question; the always-right one ties every one.
    assert _overall(report, f"member:{WRONG}")["wins"] == 6
    assert _overall(report, f"member:{RIGHT}")["ties"] == 6
    verbose = _overall(report, f"member:{VERBOSE}")
    assert verbose["losses"] == 0
    # select-best and Self-MoA (sampling the always-right member) are right too.
    assert _overall(report, "select")["ties"] == 6
    assert _overall(report, "self-moa")["ties"] == 6
    wrong = _overall(report, f"member:{WRONG}")
    assert wrong["win_rate"] == {"value": 1.0, "low": 1.0, "high": 1.0}
    assert report["judging"]["position_consistency"] == 1.0


async def test_a_judge_that_follows_the_position_is_caught_and_its_verdicts_tied(
    skilled_sim: SimServer, tmp_path: Path, eval_key: None
) -> None:
    items = maths_items(4)
    config = SimConfig.fast(base_ms=0).model_copy(
        update={"skills": skills_for(items, leaning_judge=True)}
    )
    skilled_sim.configure(config)
    runtime = await Runtime.start(council_settings(skilled_sim, tmp_path))
    try:
        harness = harness_for(runtime)
        plan = EvaluationPlan(
            name="leaning",
            items=items,
            strategies=[f"member:{RIGHT}", f"member:{WRONG}"],
            judges=[JUDGE_A, JUDGE_FIRST],
        )
        report = await harness.run((await harness.create(plan)).id)
    finally:
        await runtime.stop()
    judges = {j["judge"]: j for j in report["judging"]["judges"]}
    # Two equally right answers: the leaning judge says "answer 1" in both orders (4 of its
    # 8 judgements); where one answer is wrong it reads the answer, not the position.
    assert judges[JUDGE_FIRST]["position_consistency"] == 0.5
    assert judges[JUDGE_A]["position_consistency"] == 1.0
    assert report["judging"]["position_consistency"] == 0.75
    # Its inconsistent verdicts count as ties, so the outcomes are unchanged.
    assert _overall(report, f"member:{RIGHT}")["ties"] == 4
    assert _overall(report, f"member:{WRONG}")["wins"] == 4
    assert report["judging"]["agreement"] == {"fleiss_kappa": 1.0, "percent": 1.0, "subjects": 8}
