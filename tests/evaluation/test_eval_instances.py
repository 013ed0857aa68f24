"""Evaluations on several server instances sharing one database: an evaluation belongs to the
instance running it while that instance's heartbeat is within the lease (store/instances.py).
A server starting beside a live one leaves its evaluations alone and refuses to resume them;
once their instance is gone they become interrupted and any instance resumes them. Times are
given, never waited for."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from eval_support import JUDGE_A, council_settings, maths_items
from sqlalchemy.ext.asyncio import AsyncEngine

from llmcouncil.api.runtime import Runtime
from llmcouncil.errors import ConflictError, NotFoundError
from llmcouncil.evaluation import EvaluationPlan
from llmcouncil.evaluation.jobs import Job
from llmcouncil.evaluation.repository import EvaluationDraft, EvaluationStore
from llmcouncil.evaluation.service import EvaluationService, Viewer
from llmcouncil.sim import SimServer
from llmcouncil.store.database import create_engine, upgrade
from llmcouncil.store.instances import InstanceRegistry

LEASE = 20.0
T0 = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
EVERYONE = Viewer(user_id=None, sees_all=True)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    await upgrade(engine)
    try:
        yield engine
    finally:
        await engine.dispose()


def _draft(worker: str | None) -> EvaluationDraft:
    return EvaluationDraft(
        name="n",
        user_id=None,
        preset=None,
        strategies=["council", "chairman"],
        judges=["j"],
        items=[{"question": "q", "reference": "4", "category": "maths", "match": "judge"}],
        options={"concurrency": 1},
        simulated=False,
        worker_id=worker,
    )


async def _status(store: EvaluationStore, evaluation_id: str) -> tuple[str, str | None]:
    evaluation = await store.get(evaluation_id)
    return evaluation.status, evaluation.worker_id


async def test_only_a_gone_instances_evaluations_are_interrupted(engine: AsyncEngine) -> None:
    store = EvaluationStore(engine)
    registry = InstanceRegistry(engine)
    await registry.beat("a", host="h1", now=at(0))
    await registry.beat("b", host="h2", now=at(0))
    alive = await store.create(_draft("a"))
    await store.claim(alive.id, worker_id="a", lease=LEASE, now=at(0))
    dying = await store.create(_draft("b"))
    await store.claim(dying.id, worker_id="b", lease=LEASE, now=at(0))
    pending = await store.create(_draft("a"))  # created by a, its job not started yet
    legacy = await store.create(_draft(None))  # before instances: nobody's
    await store.set_status(legacy.id, "running")
    done = await store.create(_draft("gone"))
    await store.set_status(done.id, "complete", report={"baseline": "council"})

    # Instance c starts 15 s later: a and b beat within the lease.
    assert await store.interrupt_orphaned(worker_id="c", lease=LEASE, now=at(15)) == 1
    assert await _status(store, legacy.id) == ("interrupted", None)
    assert await _status(store, alive.id) == ("running", "a")
    assert await _status(store, dying.id) == ("running", "b")
    assert await _status(store, pending.id) == ("pending", "a")
    # a keeps beating, b stops: 25 s later only b's evaluation was left behind.
    await registry.beat("a", host="h1", now=at(10))
    assert await store.interrupt_orphaned(worker_id="c", lease=LEASE, now=at(25)) == 1
    assert await _status(store, dying.id) == ("interrupted", "b")
    assert (await store.get(dying.id)).error == "the server running it stopped; resume it to finish"
    assert await _status(store, alive.id) == ("running", "a")
    assert await _status(store, done.id) == ("complete", "gone")
    # An instance's own evaluations are its business, even past the lease.
    assert await store.interrupt_orphaned(worker_id="a", lease=LEASE, now=at(100)) == 0


async def test_a_live_instances_evaluation_cannot_be_taken_and_a_dead_ones_can(
    engine: AsyncEngine,
) -> None:
    store = EvaluationStore(engine)
    registry = InstanceRegistry(engine)
    await registry.beat("a", host="h1", now=at(0))
    evaluation = await store.create(_draft("a"))
    await store.claim(evaluation.id, worker_id="a", lease=LEASE, now=at(0))
    with pytest.raises(ConflictError, match="another server instance"):
        await store.claim(evaluation.id, worker_id="b", lease=LEASE, now=at(5))
    await store.claim(evaluation.id, worker_id="a", lease=LEASE, now=at(5))  # its own: fine
    assert await _status(store, evaluation.id) == ("running", "a")
    # a's heartbeat is past the lease: b takes it over, and then a third is refused.
    await store.claim(evaluation.id, worker_id="b", lease=LEASE, now=at(LEASE + 1))
    assert await _status(store, evaluation.id) == ("running", "b")
    await registry.beat("b", host="h2", now=at(LEASE + 1))
    with pytest.raises(ConflictError):
        await store.claim(evaluation.id, worker_id="c", lease=LEASE, now=at(LEASE + 2))
    with pytest.raises(NotFoundError):
        await store.claim("nope", worker_id="c", lease=LEASE, now=at(LEASE + 2))


async def test_two_instances_resuming_one_interrupted_evaluation_at_once_one_wins(
    engine: AsyncEngine,
) -> None:
    store = EvaluationStore(engine)
    registry = InstanceRegistry(engine)
    evaluation = await store.create(_draft("gone"))
    await store.set_status(evaluation.id, "interrupted")
    for live in ("b", "c"):
        await registry.beat(live, host="h", now=at(0))
    results = await asyncio.gather(
        *(store.claim(evaluation.id, worker_id=w, lease=LEASE, now=at(1)) for w in ("b", "c")),
        return_exceptions=True,
    )
    assert sorted(type(r).__name__ for r in results) == ["ConflictError", "NoneType"]
    status, worker = await _status(store, evaluation.id)
    assert status == "running" and worker in ("b", "c")


class HeldJobs:
    """A job runner that keeps what it is given: a job 'running' for as long as the test says."""

    def __init__(self) -> None:
        self.jobs: dict[str, Job] = {}

    def submit(self, job_id: str, work: Job) -> None:
        if job_id in self.jobs:
            raise ConflictError(f"job {job_id} is already running")
        self.jobs[job_id] = work

    def running(self, job_id: str) -> bool:
        return job_id in self.jobs

    async def wait(self, job_id: str) -> None:
        return None

    async def aclose(self) -> None:
        self.jobs.clear()


async def test_a_server_starting_beside_a_live_one_leaves_its_evaluation_running(
    skilled_sim: SimServer, tmp_path: Path, eval_key: None
) -> None:
    settings = council_settings(skilled_sim, tmp_path)
    first: Runtime | None = await Runtime.start(settings)
    assert first is not None
    second: Runtime | None = None
    try:
        on_first = EvaluationService(
            runs=first.runs, store=first.store, settings=settings, simulated=True, jobs=HeldJobs()
        )
        plan = EvaluationPlan(
            name="shared", items=maths_items(2), strategies=["chairman"], judges=[JUDGE_A]
        )
        evaluation = await on_first.start(plan, actor=None)
        await on_first.evaluations.claim(  # its job has begun, as the harness does first
            evaluation.id, worker_id=first.runs.worker_id, lease=LEASE, now=datetime.now(UTC)
        )

        # A second instance starts (its first heartbeat sweeps) and lists the evaluations.
        second = await Runtime.start(settings)
        held = HeldJobs()
        on_second = EvaluationService(
            runs=second.runs, store=second.store, settings=settings, simulated=True, jobs=held
        )
        [seen] = await on_second.list(viewer=EVERYONE)
        assert (seen.status, seen.worker_id) == ("running", first.runs.worker_id)
        with pytest.raises(ConflictError, match="another server instance"):
            await on_second.resume(evaluation.id, viewer=EVERYONE, actor=None)
        assert held.jobs == {}

        # The first instance stops: at the second's next beat its evaluation is interrupted,
        # and the second resumes it.
        stopping, first = first, None
        await stopping.stop()
        assert second.heartbeat is not None
        await second.heartbeat.tick()
        assert (await on_second.get(evaluation.id, viewer=EVERYONE)).status == "interrupted"
        await on_second.resume(evaluation.id, viewer=EVERYONE, actor=None)
        resumed = await on_second.get(evaluation.id, viewer=EVERYONE)
        assert (resumed.status, resumed.worker_id) == ("running", second.runs.worker_id)
        assert list(held.jobs) == [evaluation.id]
    finally:
        for runtime in (second, first):
            if runtime is not None:
                await runtime.stop()
