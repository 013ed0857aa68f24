"""Circuit breakers shared through the real Redis on this machine: what one instance learns,
every instance acts on; one probe across all of them; and a fallback when Redis is away."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest

from llmcouncil.resilience.breaker_store import (
    BreakerState,
    InMemoryBreakerStore,
    Verdict,
)
from llmcouncil.resilience.redis_breakers import RedisBreakerStore
from llmcouncil.resilience.settings import BreakerSettings

REDIS = "redis://127.0.0.1:6379/0"
RULES = BreakerSettings(consecutive_failures=3, cooldown=30.0)
KEY = "sim:openai/gpt-5.1"


@pytest.fixture
async def pair() -> AsyncIterator[tuple[RedisBreakerStore, RedisBreakerStore]]:
    prefix = f"llmcouncil:test:{uuid.uuid4().hex}:"  # this test's keys only
    one, two = RedisBreakerStore(REDIS, prefix=prefix), RedisBreakerStore(REDIS, prefix=prefix)
    try:
        yield one, two
    finally:
        from redis.asyncio import Redis

        cleaner = Redis.from_url(REDIS)
        async for name in cleaner.scan_iter(match=prefix + "*"):
            await cleaner.delete(name)
        await cleaner.aclose()
        await one.aclose()
        await two.aclose()


async def _fail(store: RedisBreakerStore, now: float) -> None:
    admission = await store.admit(KEY, RULES, now=now)
    await store.record(
        KEY, RULES, now=now, failed=True, error="HTTP 503", probe=False, ticket=admission.ticket
    )


async def test_a_breaker_opened_by_one_instance_is_open_for_the_other(
    pair: tuple[RedisBreakerStore, RedisBreakerStore],
) -> None:
    one, two = pair
    for i in range(RULES.consecutive_failures):
        await _fail(one, now=100.0 + i)
    assert (await two.view(KEY)).state is BreakerState.OPEN
    refused = await two.admit(KEY, RULES, now=110.0)
    assert refused.verdict is Verdict.REJECT
    assert [v.key for v in await two.views()] == [KEY]


async def test_after_the_cool_down_exactly_one_instance_probes(
    pair: tuple[RedisBreakerStore, RedisBreakerStore],
) -> None:
    one, two = pair
    for i in range(RULES.consecutive_failures):
        await _fail(one, now=100.0 + i)
    later = 100.0 + RULES.cooldown + 5
    verdicts = await asyncio.gather(
        *(store.admit(KEY, RULES, now=later) for store in (one, two, one, two))
    )
    assert sorted(v.verdict for v in verdicts) == sorted(
        [Verdict.PROBE, Verdict.REJECT, Verdict.REJECT, Verdict.REJECT]
    )
    probe = next(v for v in verdicts if v.verdict is Verdict.PROBE)
    await two.record(
        KEY, RULES, now=later, failed=False, error=None, probe=True, ticket=probe.ticket
    )
    assert (await one.view(KEY)).state is BreakerState.CLOSED


async def test_without_redis_each_instance_keeps_its_own_breakers() -> None:
    store = RedisBreakerStore("redis://127.0.0.1:1/0")  # nothing listens there
    local = InMemoryBreakerStore()
    try:
        for i in range(RULES.consecutive_failures):
            await _fail(store, now=float(i))
            admission = await local.admit(KEY, RULES, now=float(i))
            await local.record(
                KEY,
                RULES,
                now=float(i),
                failed=True,
                error="HTTP 503",
                probe=False,
                ticket=admission.ticket,
            )
        assert (await store.view(KEY)) == (await local.view(KEY))
        assert (await store.admit(KEY, RULES, now=5.0)).verdict is Verdict.REJECT
    finally:
        await store.aclose()
