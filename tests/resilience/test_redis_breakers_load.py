"""The Redis breaker store under load and against the in-memory rules, on the real Redis of
this machine: the same sequence decides the same in both stores; steps from hundreds of tasks
and two instances at once all land, with no fallback to per-process state; and an attempt
costs two round trips to Redis (counted by ``MONITOR``)."""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from llmcouncil.resilience.breaker_store import (
    BreakerState,
    BreakerStore,
    InMemoryBreakerStore,
    Verdict,
)
from llmcouncil.resilience.redis_breakers import RedisBreakerStore
from llmcouncil.resilience.settings import BreakerSettings

REDIS = "redis://127.0.0.1:6379/0"
# Window 20 s: buckets of 1 s, so outcomes on whole seconds fall where the exact window has them.
RULES = BreakerSettings(
    consecutive_failures=4, failure_rate=0.5, window=20, min_calls=8, cooldown=5, probe_lease=30
)
KEY = "sim:openai/gpt-5.1"


@pytest.fixture
async def prefix() -> AsyncIterator[str]:
    prefix = f"llmcouncil:test:{uuid.uuid4().hex}:"  # this test's keys only
    yield prefix
    cleaner = Redis.from_url(REDIS)
    try:
        async for name in cleaner.scan_iter(match=prefix + "*"):
            await cleaner.delete(name)
    finally:
        await cleaner.aclose()


async def _attempt(store: BreakerStore, *, now: float, failed: bool | None, force: bool) -> str:
    """One attempt: admitted or not; then an outcome (None: cancelled). What was decided."""
    admission = await store.admit(KEY, RULES, now=now, force=force)
    if admission.verdict is Verdict.REJECT:
        return "reject"
    probe = admission.verdict is Verdict.PROBE
    if failed is None:
        await store.release(KEY, admission.ticket, probe=probe)
        return f"{admission.verdict.value} released"
    transition = await store.record(
        KEY,
        RULES,
        now=now,
        failed=failed,
        error="upstream_5xx: boom" if failed else None,
        probe=probe,
        ticket=admission.ticket,
    )
    return f"{admission.verdict.value} {transition.before.value}->{transition.after.value}"


@pytest.mark.parametrize("seed", range(6))
async def test_a_sequence_decides_the_same_in_redis_as_in_one_process(
    prefix: str, seed: int
) -> None:
    rng = random.Random(seed)
    shared = RedisBreakerStore(REDIS, prefix=prefix)
    local = InMemoryBreakerStore()
    try:
        now = 1_000.0
        for _ in range(300):
            now += rng.choice([0.0, 1.0, 1.0, 2.0, 7.0])
            failed = rng.choices([True, False, None], weights=[5, 4, 1])[0]
            force = rng.random() < 0.05
            decided = [
                await _attempt(store, now=now, failed=failed, force=force)
                for store in (shared, local)
            ]
            assert decided[0] == decided[1]
            assert await shared.view(KEY) == await local.view(KEY)
    finally:
        await shared.aclose()


async def test_concurrent_outcomes_from_many_tasks_and_two_instances_all_land(
    prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    rules = RULES.model_copy(update={"consecutive_failures": 10_000, "min_calls": 10_000})
    one, two = RedisBreakerStore(REDIS, prefix=prefix), RedisBreakerStore(REDIS, prefix=prefix)

    async def attempt(store: RedisBreakerStore, failed: bool) -> int:
        admission = await store.admit(KEY, rules, now=1_000.0)
        await store.record(
            KEY, rules, now=1_000.0, failed=failed, error="x", probe=False, ticket=admission.ticket
        )
        return admission.ticket

    try:
        with caplog.at_level(logging.ERROR):
            tickets = await asyncio.gather(
                *(attempt(one if i % 2 else two, failed=i % 3 == 0) for i in range(400))
            )
        view = await one.view(KEY)
    finally:
        await one.aclose()
        await two.aclose()
    assert sorted(tickets) == list(range(1, 401))
    assert (view.window_calls, view.window_failures) == (400, len(range(0, 400, 3)))
    assert view.state is BreakerState.CLOSED
    assert "per process" not in caplog.text


async def test_a_burst_of_200_calls_waits_for_connections_instead_of_going_local(
    prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    """More calls at once than the pool has connections: they queue for one, not fail over."""
    store = RedisBreakerStore(REDIS, prefix=prefix, max_connections=8)
    try:
        with caplog.at_level(logging.ERROR):
            admissions = await asyncio.gather(
                *(store.admit(f"{KEY}-{i % 4}", RULES, now=1_000.0) for i in range(200))
            )
    finally:
        await store.aclose()
    assert sorted(a.ticket for a in admissions) == sorted(list(range(1, 51)) * 4)
    assert "per process" not in caplog.text


async def test_an_attempt_costs_two_round_trips(prefix: str) -> None:
    store = RedisBreakerStore(REDIS, prefix=prefix)
    watcher = Redis.from_url(REDIS)
    seen: list[str] = []
    try:
        await _attempt(store, now=1_000.0, failed=False, force=False)  # the script is loaded
        async with watcher.monitor() as monitor:
            # MONITOR is on once entered: what follows is buffered until the task reads it.
            listening = asyncio.create_task(_collect(monitor, prefix, seen))
            for i in range(10):
                failed = i in (3, 4, 5, 6)  # four in a row: the circuit opens
                await _attempt(store, now=1_001.0 + i, failed=failed, force=False)
            await store.release(KEY, 0, probe=False)  # the end marker
            await asyncio.wait_for(listening, timeout=30)
    finally:
        await store.aclose()
        await watcher.aclose()
    # Seven attempts admitted and recorded (the seventh opens it), three refused, the marker.
    assert len(seen) == 7 * 2 + 3 + 1, seen


async def _collect(monitor: object, prefix: str, seen: list[str]) -> None:
    """Commands of this test's keys sent by a client (not run inside a script), to the end
    marker (a release of ticket 0)."""
    async for command in monitor.listen():  # type: ignore[attr-defined]
        text = command["command"]
        if prefix not in text or command.get("client_type") == "lua":
            continue
        seen.append(text)
        if " release 0 0" in text:
            return
