"""Several instances on one database (SQLite and PostgreSQL): a run belongs to the instance that
executes it while that instance's heartbeat is within the lease; only then may another take it.
Times are given, never waited for."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from llmcouncil.errors import ConflictError, RunSupersededError
from llmcouncil.records import CallRecord, RunStatus, Stage
from llmcouncil.store.instances import Heartbeat, InstanceRegistry
from llmcouncil.store.repository import Store

LEASE = 20.0
T0 = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


async def _running(store: Store, worker: str) -> str:
    conversation = await store.create_conversation()
    run, _ = await store.start_run(
        conversation_id=conversation.id,
        content="q",
        idempotency_key=None,
        council={"members": ["a"]},
        seed=1,
        simulated=False,
        worker_id=worker,
    )
    return run.id


async def _status(store: Store, run_id: str) -> str:
    return (await store.get_run(run_id)).run.status


async def test_a_live_instances_runs_are_left_alone_and_a_dead_ones_interrupted(
    store: Store,
) -> None:
    registry = InstanceRegistry(store.engine)
    await registry.beat("a", host="h1", now=at(0))
    alive = await _running(store, "a")
    dead = await _running(store, "b")
    legacy = await _running(store, "old")
    await registry.beat("b", host="h2", now=at(0))
    # Instance c starts 15 s later: both a and b beat within the lease.
    assert await store.interrupt_orphaned_runs(worker_id="c", lease=LEASE, now=at(15)) == 1
    assert await _status(store, legacy) == RunStatus.INTERRUPTED  # no instance row: gone
    assert await _status(store, alive) == RunStatus.RUNNING
    # a keeps beating, b stops; 25 s later only b's run is left behind.
    await registry.beat("a", host="h1", now=at(10))
    assert await registry.live(now=at(25), lease=LEASE) == ["a"]
    assert await store.interrupt_orphaned_runs(worker_id="c", lease=LEASE, now=at(25)) == 1
    assert await _status(store, dead) == RunStatus.INTERRUPTED
    assert await _status(store, alive) == RunStatus.RUNNING
    detail = (await store.get_run(dead)).run
    assert detail.error is not None and detail.error["code"] == "interrupted"


async def test_a_retry_elsewhere_is_refused_while_the_owner_lives_and_takes_over_after(
    store: Store,
) -> None:
    registry = InstanceRegistry(store.engine)
    await registry.beat("a", host="h1", now=at(0))
    run_id = await _running(store, "a")
    with pytest.raises(ConflictError, match="another server instance"):
        await store.reset_for_retry(run_id, worker_id="b", idle_worker="b", lease=LEASE, now=at(5))
    assert await _status(store, run_id) == RunStatus.RUNNING
    taken = await store.reset_for_retry(
        run_id, worker_id="b", idle_worker="b", lease=LEASE, now=at(LEASE + 1)
    )
    assert taken.worker_id == "b" and taken.attempts == 2
    # Now b owns it: a third instance is refused while b lives.
    await registry.beat("b", host="h2", now=at(LEASE + 1))
    with pytest.raises(ConflictError):
        await store.reset_for_retry(
            run_id, worker_id="c", idle_worker="c", lease=LEASE, now=at(LEASE + 2)
        )


async def test_two_instances_taking_one_left_behind_run_at_once_one_wins(store: Store) -> None:
    run_id = await _running(store, "gone")
    registry = InstanceRegistry(store.engine)
    for live in ("b", "c"):
        await registry.beat(live, host="h", now=at(59))
    results = await asyncio.gather(
        *(
            store.reset_for_retry(run_id, worker_id=w, idle_worker=w, lease=LEASE, now=at(60))
            for w in ("b", "c")
        ),
        return_exceptions=True,
    )
    won = [r for r in results if not isinstance(r, BaseException)]
    assert len(won) == 1 and won[0].attempts == 2
    assert [type(r) for r in results if isinstance(r, BaseException)] == [ConflictError]


async def test_the_heartbeat_beats_sweeps_and_leaves(store: Store) -> None:
    clock = [at(0)]
    registry = InstanceRegistry(store.engine)

    def heartbeat(instance: str) -> Heartbeat:
        async def sweep(now: datetime) -> int:
            return await store.interrupt_orphaned_runs(worker_id=instance, lease=LEASE, now=now)

        return Heartbeat(
            registry=registry,
            instance_id=instance,
            sweep=sweep,
            every=5.0,
            lease=LEASE,
            clock=lambda: clock[0],
        )

    a, b = heartbeat("a"), heartbeat("b")
    assert await a.tick() == 0
    run_id = await _running(store, "a")
    assert await b.tick() == 0  # a is alive
    clock[0] = at(LEASE + 5)  # a stopped beating (killed): b's next tick frees its run
    assert await b.tick() == 1
    assert await _status(store, run_id) == RunStatus.INTERRUPTED
    await b.stop()  # a clean stop leaves at once
    assert await registry.live(now=clock[0], lease=LEASE) == []
    # Instances gone for ten leases are forgotten.
    await a.tick()
    clock[0] = at(20 * LEASE)
    assert await registry.forget_gone(now=clock[0], lease=LEASE) == 1


async def test_a_handed_over_run_is_left_behind_at_once_and_taken_by_one_live_instance(
    store: Store,
) -> None:
    """A draining instance hands its run over (council/handover.py): the run stays running with
    no owner, so the sweep of a live instance finds it while the draining one still beats, and
    its reset takes it; the handover's error is cleared."""
    registry = InstanceRegistry(store.engine)
    now = at(0)
    for instance in ("draining", "staying"):
        await registry.beat(instance, host="h", now=now)
    run_id = await _running(store, "draining")
    assert await registry.left_behind_runs(instance_id="staying", now=now, lease=LEASE) == []
    await store.hand_over_run(run_id, error={"code": "handed_over", "message": "m"})
    detail = (await store.get_run(run_id)).run
    assert detail.status == RunStatus.RUNNING and detail.error == {
        "code": "handed_over",
        "message": "m",
    }
    left = await registry.left_behind_runs(instance_id="staying", now=now, lease=LEASE)
    assert [r.run_id for r in left] == [run_id]
    run = await store.reset_for_retry(run_id, worker_id="staying", lease=LEASE, now=now)
    assert run.worker_id == "staying" and run.error is None and run.attempts == 2
    with pytest.raises(ConflictError):  # the second instance to try finds it taken
        await store.reset_for_retry(run_id, worker_id="other", lease=LEASE, now=now)


async def test_handing_over_an_ended_run_changes_nothing(store: Store) -> None:
    run_id = await _running(store, "draining")
    await store.finish_run(run_id, status=RunStatus.COMPLETE)
    await store.hand_over_run(run_id, error={"code": "handed_over", "message": "m"})
    detail = (await store.get_run(run_id)).run
    assert detail.status == RunStatus.COMPLETE and detail.error is None


async def test_an_instance_that_lost_its_run_writes_nothing_more_of_it(store: Store) -> None:
    """Instance a stalls past its lease; b takes its run over. When a wakes, each of its
    writes of the run (a stage, the title, the end) is refused whole, and b's go on."""
    registry = InstanceRegistry(store.engine)
    await registry.beat("a", host="h1", now=at(0))
    run_id = await _running(store, "a")  # this store executes it: its writes are fenced
    stalled = store
    taker = Store(store.engine)  # another process on the same database
    await registry.beat("b", host="h2", now=at(LEASE + 1))
    taken = await taker.reset_for_retry(
        run_id, worker_id="b", idle_worker="b", lease=LEASE, now=at(LEASE + 1)
    )
    assert taken.attempts == 2
    answer = CallRecord(stage=Stage.ANSWERS, model="m1", ok=True, text="stale")
    with pytest.raises(RunSupersededError, match="taken over"):
        await stalled.record_stage(run_id, stage=Stage.ANSWERS, calls=[answer])
    conversation_id = (await store.get_run(run_id)).run.conversation_id
    title = CallRecord(stage=Stage.TITLE, model="t", ok=True, text="T")
    with pytest.raises(RunSupersededError):
        await stalled.record_title(run_id, conversation_id=conversation_id, call=title, title="T")
    with pytest.raises(RunSupersededError):
        await stalled.finish_run(run_id, status=RunStatus.CANCELLED, error={"code": "cancelled"})
    detail = await store.get_run(run_id)
    assert detail.run.status == RunStatus.RUNNING and detail.run.stages_done == 0
    assert detail.calls == []
    # The taker's writes are its own attempt's, and land.
    fresh = CallRecord(stage=Stage.ANSWERS, model="m1", ok=True, text="fresh")
    await taker.record_stage(run_id, stage=Stage.ANSWERS, calls=[fresh])
    await taker.finish_run(run_id, status=RunStatus.COMPLETE)
    detail = await store.get_run(run_id)
    assert detail.run.status == RunStatus.COMPLETE and [c.text for c in detail.calls] == ["fresh"]
