"""What the evaluation harness costs: per call against a normal run, and a large evaluation.

    .venv/bin/python bench/eval_harness.py                      # both parts
    .venv/bin/python bench/eval_harness.py --overhead-runs 200 --questions 0
    .venv/bin/python bench/eval_harness.py --questions 200 --concurrency 32 --latency-ms 0

Everything runs in this process against the simulated upstream (in-process, real HTTP on
loopback) and a SQLite database in a scratch folder, through the real run machinery
(``Runtime``: privacy guard, gate, store).

1. Overhead per call: the same classic councils, one at a time, asked (a) as a normal run
   (a titled conversation, ``RunService.start``, wait, read back) and (b) by the harness (an
   evaluation whose only strategy is the council: the task rows written before, during and
   after each run, the result read back). Rounds alternate a and b so a drift of this VM's
   speed falls on both; the difference of the medians per run is the harness's overhead.
2. A 200-question evaluation with 8 strategies (council, select, self-moa, four members alone,
   the chairman alone) and 3 judges, every question judged (so 200 × 7 × 3 × 2 = 8,400 judge
   runs beside 1,600 answers); prints wall time, runs per second and the CPU it took.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from llmcouncil.api.runtime import Runtime
from llmcouncil.config import ProviderSettings, Settings
from llmcouncil.evaluation import EvalItem, EvaluationHarness, EvaluationPlan, EvaluationStore
from llmcouncil.presets.settings import PresetSettings
from llmcouncil.privacy.settings import PrivacySettings
from llmcouncil.sim import SimConfig, SimServer
from llmcouncil.sim.skills import KeyedQuestion, ModelSkill, SkillConfig

MEMBERS = ["acme/one", "bolt/two", "corp/three", "dyna/four"]
CHAIR = "eval/chair"
KEY_ENV = "COUNCIL_BENCH_EVAL_KEY"


def items(n: int, *, offset: int = 0) -> list[EvalItem]:
    return [
        EvalItem(
            question=f"What is {13 + i} times {7 + i} (item {i})?",
            reference=str((13 + i) * (7 + i)),
            category=("maths", "reasoning", "factual", "coding")[i % 4],
        )
        for i in range(offset, offset + n)
    ]


def skills(questions: list[EvalItem]) -> SkillConfig:
    return SkillConfig(
        questions=[
            KeyedQuestion(question=q.question, answer=q.reference or "", category=q.category)
            for q in questions
        ],
        models={
            MEMBERS[0]: ModelSkill(accuracy={"*": 0.9}),
            MEMBERS[1]: ModelSkill(accuracy={"*": 0.3}),
            MEMBERS[2]: ModelSkill(accuracy={"*": 0.6}, verbose=True),
        },
    )


def settings(sim: SimServer, folder: Path) -> Settings:
    return Settings.model_validate(
        {
            "database_url": f"sqlite+aiosqlite:///{folder / 'council.db'}",
            "default_provider": "sim",
            "providers": {"sim": ProviderSettings(base_url=sim.base_url, api_key_env=KEY_ENV)},
            "presets": {
                "default": PresetSettings(members=MEMBERS, chairman=CHAIR, title_model=CHAIR)
            },
            "privacy": PrivacySettings(ner_model="none"),
        }
    )


def harness(runtime: Runtime) -> EvaluationHarness:
    return EvaluationHarness(
        runs=runtime.runs,
        store=runtime.store,
        evaluations=EvaluationStore(runtime.engine),
        settings=runtime.settings,
        actor=None,
        simulated=True,
    )


async def normal_runs(runtime: Runtime, questions: list[EvalItem]) -> float:
    started = time.perf_counter()
    for item in questions:
        conversation = await runtime.store.create_conversation(source="cli")
        await runtime.store.set_title(conversation.id, "bench")
        handle = await runtime.runs.start(
            conversation_id=conversation.id, content=item.question, stream_tokens=False
        )
        await handle.wait()
        await handle.result()
    return time.perf_counter() - started


async def harness_runs(runtime: Runtime, questions: list[EvalItem]) -> float:
    h = harness(runtime)
    plan = EvaluationPlan(
        name="bench", items=questions, strategies=["council"], judges=[CHAIR], concurrency=1
    )
    evaluation = await h.create(plan)
    started = time.perf_counter()
    await h.run(evaluation.id)
    return time.perf_counter() - started


async def overhead(sim: SimServer, folder: Path, *, runs: int, rounds: int) -> dict[str, Any]:
    per_round = max(1, runs // rounds)
    sim.configure(SimConfig.fast(base_ms=0))
    runtime = await Runtime.start(settings(sim, folder))
    normal: list[float] = []
    through: list[float] = []
    try:
        await normal_runs(runtime, items(5, offset=90_000))  # warm up both paths
        await harness_runs(runtime, items(5, offset=91_000))
        for r in range(rounds):
            batch_a = items(per_round, offset=r * 2 * per_round)
            batch_b = items(per_round, offset=(r * 2 + 1) * per_round)
            order = [("a", batch_a), ("b", batch_b)]
            if r % 2:
                order.reverse()
            for side, batch in order:
                if side == "a":
                    normal.append(await normal_runs(runtime, batch) / per_round * 1000)
                else:
                    through.append(await harness_runs(runtime, batch) / per_round * 1000)
    finally:
        await runtime.stop()
    a, b = statistics.median(normal), statistics.median(through)
    return {
        "runs_per_side": per_round * rounds,
        "normal_ms_per_run": round(a, 2),
        "harness_ms_per_run": round(b, 2),
        "overhead_ms_per_run": round(b - a, 2),
        "overhead_share": round((b - a) / a, 3),
        "rounds_normal": [round(x, 2) for x in normal],
        "rounds_harness": [round(x, 2) for x in through],
    }


async def large(
    sim: SimServer, folder: Path, *, questions: int, concurrency: int, latency_ms: float
) -> dict[str, Any]:
    dataset = items(questions)
    config = SimConfig.fast(base_ms=latency_ms).model_copy(
        update={"skills": skills(dataset), "capture": False}
    )
    sim.configure(config)
    runtime = await Runtime.start(settings(sim, folder))
    try:
        h = harness(runtime)
        plan = EvaluationPlan(
            name="bench-large",
            items=dataset,
            strategies=["council", "select", "self-moa", "members", "chairman"],
            judges=[],  # the default panel: three models of different families
            concurrency=concurrency,
        )
        evaluation = await h.create(plan)
        cpu = time.process_time()
        started = time.perf_counter()
        report = await h.run(evaluation.id)
        wall = time.perf_counter() - started
        cpu = time.process_time() - cpu
    finally:
        await runtime.stop()
    answers = sum(r["answered"] + r["failed"] for r in report["strategies"])
    judges = len(report["evaluation"]["judges"])
    runs = answers + questions * (len(report["strategies"]) - 1) * judges * 2
    return {
        "questions": questions,
        "strategies": len(report["strategies"]),
        "judges": judges,
        "runs": runs,
        "upstream_calls": sum(r["calls"] for r in report["strategies"])
        + report["judging"]["spend"]["calls"],
        "concurrency": concurrency,
        "sim_latency_ms": latency_ms,
        "wall_s": round(wall, 1),
        "cpu_s": round(cpu, 1),
        "runs_per_s": round(runs / wall, 1),
        "net_vs": {c["strategy"]: c["overall"]["net"]["value"] for c in report["comparisons"]},
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--overhead-runs", type=int, default=240)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    args = parser.parse_args()
    os.environ.setdefault(KEY_ENV, "sk-bench-not-a-real-key")
    sim = SimServer(SimConfig.fast(base_ms=0))
    await sim.start(host="127.0.0.1", port=0)
    try:
        with tempfile.TemporaryDirectory() as scratch:
            if args.overhead_runs:
                (Path(scratch) / "overhead").mkdir()
                result = await overhead(
                    sim, Path(scratch) / "overhead", runs=args.overhead_runs, rounds=args.rounds
                )
                print("overhead per council run:", result, flush=True)
            if args.questions:
                (Path(scratch) / "large").mkdir()
                result = await large(
                    sim,
                    Path(scratch) / "large",
                    questions=args.questions,
                    concurrency=args.concurrency,
                    latency_ms=args.latency_ms,
                )
                print("large evaluation:", result, flush=True)
    finally:
        await sim.stop()


if __name__ == "__main__":
    asyncio.run(main())
