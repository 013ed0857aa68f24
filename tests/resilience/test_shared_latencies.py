"""Hedging statistics shared through the real Redis: one instance's latencies reach another's
tracker at the next sync, both end with the same window, and Redis away keeps each its own."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from llmcouncil.resilience.hedging import LatencyKey, LatencyTracker
from llmcouncil.resilience.settings import HedgeSettings
from llmcouncil.resilience.shared_latencies import SharedLatencies, decode_key, encode_key

REDIS = "redis://127.0.0.1:6379/0"
KEY: LatencyKey = ("openai/gpt-5.1", 1, True)
HEDGE = HedgeSettings(enabled=True, percentile=0.9, min_samples=20, min_delay=0.0)


@pytest.fixture
async def pair() -> AsyncIterator[tuple[LatencyTracker, LatencyTracker, list[SharedLatencies]]]:
    prefix = f"llmcouncil:test:latency:{uuid.uuid4().hex}:"
    one, two = LatencyTracker(window=50), LatencyTracker(window=50)
    shared = [SharedLatencies(REDIS, t, prefix=prefix) for t in (one, two)]
    yield one, two, shared
    for s in shared:
        await s.aclose()


async def test_one_instance_s_latencies_tell_another_when_to_hedge(
    pair: tuple[LatencyTracker, LatencyTracker, list[SharedLatencies]],
) -> None:
    one, two, (sync_one, sync_two) = pair
    for ms in range(100, 400, 10):  # 30 calls seen by the first instance only
        one.observe(KEY, float(ms))
    assert two.hedge_delay(KEY, HEDGE) is None  # too few samples of its own
    assert await sync_one.sync() and await sync_two.sync()
    assert two.hedge_delay(KEY, HEDGE) == one.hedge_delay(KEY, HEDGE) == 0.37

    for ms in range(1000, 1300, 10):  # 30 slow calls on the second
        two.observe(KEY, float(ms))
    assert await sync_two.sync() and await sync_one.sync()
    assert one.percentile(KEY, 0.5, min_samples=1) == two.percentile(KEY, 0.5, min_samples=1)
    # The shared window is the latest 50 of the 60: the first instance now hedges later.
    assert one.hedge_delay(KEY, HEDGE) == pytest.approx(1.25)


async def test_redis_away_keeps_each_instance_s_own_samples() -> None:
    tracker = LatencyTracker(window=50)
    away = SharedLatencies("redis://127.0.0.1:1/0", tracker)
    try:
        for ms in range(25):
            tracker.observe(KEY, float(ms))
        assert await away.sync() is False
        assert tracker.percentile(KEY, 0.5, min_samples=20) == 12.0
    finally:
        await away.aclose()


def test_keys_round_trip_with_a_bar_in_the_model_name() -> None:
    key: LatencyKey = ("vendor/model|v2", 3, False)
    assert decode_key(encode_key(key)) == key
