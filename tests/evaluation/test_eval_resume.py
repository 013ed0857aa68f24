"""Resuming an interrupted evaluation repeats no finished call; --reuse spends no answer twice;
intervals shrink as the dataset grows."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from eval_support import (
    JUDGE_A,
    JUDGE_B,
    VERBOSE,
    WRONG,
    council_settings,
    harness_for,
    maths_items,
)
from eval_support import skills_for as skills

from llmcouncil.api.runtime import Runtime
from llmcouncil.evaluation import (
    EvalItem,
    EvaluationHarness,
    EvaluationPlan,
    EvaluationStore,
    Progress,
)
from llmcouncil.evaluation.harness import EvaluationInterrupted
from llmcouncil.sim import SimConfig, SimServer

STRATEGIES = ["select", f"member:{WRONG}", f"member:{VERBOSE}"]


def _configure(sim: SimServer, items: list[EvalItem]) -> None:
    config = SimConfig.fast(base_ms=0).model_copy(
        update={"skills": skills(items), "capture_limit": 100_000}
    )
    sim.configure(config)


def _plan(items: list[EvalItem], **extra: Any) -> EvaluationPlan:
    values: dict[str, Any] = {
        "name": "resume",
        "items": items,
        "strategies": STRATEGIES,
        "judges": [JUDGE_A, JUDGE_B],
        "concurrency": 2,
    }
    values.update(extra)
    return EvaluationPlan(**values)


def _without_ids(report: dict[str, Any]) -> dict[str, Any]:
    strip = {k: v for k, v in report.items() if k not in ("evaluation", "strategies", "judging")}
    return strip


async def test_an_interrupted_evaluation_resumes_without_repeating_finished_calls(
    skilled_sim: SimServer, tmp_path: Path, eval_key: None
) -> None:
    items = maths_items(4)
    _configure(skilled_sim, items)

    # The whole evaluation, uninterrupted, in a database of its own: the reference.
    (tmp_path / "whole").mkdir()
    runtime = await Runtime.start(council_settings(skilled_sim, tmp_path / "whole"))
    try:
        harness = harness_for(runtime)
        whole = await harness.run((await harness.create(_plan(items))).id)
    finally:
        await runtime.stop()
    calls_whole = len(skilled_sim.requests)
    skilled_sim.clear_requests()

    # Interrupted once a third of its calls are done (as Ctrl-C cancels the command's task).
    runtime = await Runtime.start(council_settings(skilled_sim, tmp_path))
    reached = asyncio.Event()

    def watch(progress: Progress) -> None:
        if progress.total and progress.done >= progress.total // 3:
            reached.set()

    try:
        harness = harness_for(runtime)
        evaluation = await harness.create(_plan(items))
        running = asyncio.create_task(harness.run(evaluation.id, progress=watch))
        await reached.wait()
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
        stored = await harness.evaluations.get(evaluation.id)
        assert stored.status == "interrupted"
        done_before = {
            key: task.run_id
            for key, task in (await harness.evaluations.tasks(evaluation.id)).items()
            if task.status == "done"
        }
    finally:
        await runtime.stop()
    assert done_before

    # A new process (a new runtime on the same database) resumes it.
    runtime = await Runtime.start(council_settings(skilled_sim, tmp_path))
    try:
        evaluations = EvaluationStore(runtime.engine)
        assert (await evaluations.get(evaluation.id)).status == "interrupted"
        harness = harness_for(runtime)
        resumed = await harness.run(evaluation.id)
        tasks = await evaluations.tasks(evaluation.id)
        conversations = await runtime.store.list_conversations(limit=10_000)
    finally:
        await runtime.stop()

    assert _without_ids(resumed) == _without_ids(whole)
    # Finished tasks kept their runs; every task ran in one conversation with one run.
    assert {k: tasks[k].run_id for k in done_before} == done_before
    ran = [t for t in tasks.values() if t.run_id is not None]
    assert len(conversations) == len(ran)
    assert all(s.message_count == 2 for s in conversations)
    # Upstream calls: no more than the uninterrupted evaluation's, plus the calls that were
    # in flight when it was cancelled (at most two runs of seven calls each).
    assert len(skilled_sim.requests) <= calls_whole + 2 * 7


async def test_reuse_takes_answers_from_an_earlier_evaluation(
    skilled_sim: SimServer, tmp_path: Path, eval_key: None
) -> None:
    items = maths_items(3)
    _configure(skilled_sim, items)
    runtime = await Runtime.start(council_settings(skilled_sim, tmp_path))
    try:
        harness = harness_for(runtime)
        first = await harness.run((await harness.create(_plan(items))).id)
        skilled_sim.clear_requests()
        again = await harness.create(_plan(items, reuse=True))
        second = await harness.run(again.id)
    finally:
        await runtime.stop()
    # Only the judges were asked again: no answer prompt reached the upstream.
    kinds = {r.prompt_kind for r in skilled_sim.requests}
    assert kinds == {"answer"}
    assert all("impartial judge" in str(r.messages[-1]["content"]) for r in skilled_sim.requests)
    assert _without_ids(second) == _without_ids(first)


async def test_intervals_shrink_as_the_dataset_grows(
    skilled_sim: SimServer, tmp_path: Path, eval_key: None
) -> None:
    widths = []
    for n in (6, 30):
        items = maths_items(n, offset=100 * n)
        _configure(skilled_sim, items)
        (tmp_path / str(n)).mkdir()
        runtime = await Runtime.start(council_settings(skilled_sim, tmp_path / str(n)))
        try:
            harness = harness_for(runtime)
            plan = _plan(items, strategies=[f"member:{VERBOSE}"], judges=[JUDGE_A], concurrency=8)
            report = await harness.run((await harness.create(plan)).id)
        finally:
            await runtime.stop()
        [row] = report["comparisons"]
        win = row["overall"]["win_rate"]
        assert row["overall"]["losses"] == 0  # the council is never worse than a coin-flip member
        widths.append(win["high"] - win["low"])
    assert widths[1] < widths[0]


async def test_an_evaluation_refused_for_capacity_pauses_and_resumes_later(
    skilled_sim: SimServer, tmp_path: Path, eval_key: None
) -> None:
    items = maths_items(2)
    _configure(skilled_sim, items)
    skilled_sim.hold()  # the first run cannot end, so the second finds the council full

    async def instant(_seconds: float) -> None:
        return None

    full = {"capacity": {"max_active_runs": 1, "max_queued_runs": 0}}
    runtime = await Runtime.start(council_settings(skilled_sim, tmp_path, resilience=full))
    try:
        harness = EvaluationHarness(
            runs=runtime.runs,
            store=runtime.store,
            evaluations=EvaluationStore(runtime.engine),
            settings=runtime.settings,
            actor=None,
            simulated=True,
            sleep=instant,
        )
        evaluation = await harness.create(_plan(items, strategies=["chairman"], judges=[JUDGE_A]))
        with pytest.raises(EvaluationInterrupted, match="paused"):
            await harness.run(evaluation.id)
        paused = await harness.evaluations.get(evaluation.id)
        assert paused.status == "interrupted" and "resume" in (paused.error or "")
    finally:
        skilled_sim.release()
        await runtime.stop()

    runtime = await Runtime.start(council_settings(skilled_sim, tmp_path))
    try:
        report = await harness_for(runtime).run(evaluation.id)
    finally:
        await runtime.stop()
    [row] = report["comparisons"]
    assert row["overall"]["n"] == 2
