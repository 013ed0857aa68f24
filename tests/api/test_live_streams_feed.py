"""The Redis side of live streams, against the real Redis: what a publisher writes is what a
follower reads, in order, and a follower stops rather than skip or repeat events."""

from __future__ import annotations

import contextvars
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from live_events_support import REDIS_URL

from llmcouncil.api.live_streams import (
    FeedBreak,
    LiveEventPublisher,
    RedisEventFeed,
    redis_client,
    stream_key,
)
from llmcouncil.council.events import CouncilEvent, EventType, RunChannel


@dataclass
class _Run:
    run_id: str


@pytest.fixture
async def redis() -> AsyncIterator[Any]:
    client = redis_client(REDIS_URL)
    yield client
    await client.aclose()


def _delta(n: int) -> CouncilEvent:
    return CouncilEvent(EventType.MODEL_DELTA, {"stage": 1, "model": "m", "text": f"t{n}"})


async def _read(feed: RedisEventFeed, run_id: str, **kwargs: Any) -> list[Any]:
    """What the feed gives up to its end, or up to a block that brought nothing more."""
    read = []
    async for item in feed.follow(run_id, **kwargs):
        if item is None:
            break
        read.append(item)
    return read


async def test_what_a_run_publishes_is_read_back_after_any_n(redis: Any) -> None:
    run_id = f"feed-{uuid.uuid4()}"
    publisher = LiveEventPublisher(redis_client(REDIS_URL), linger=0)
    channel = RunChannel()
    publisher.run_started(_Run(run_id), channel, contextvars.copy_context())  # type: ignore[arg-type]
    events = [_delta(n) for n in range(1, 8)]
    events.append(CouncilEvent(EventType.COMPLETE, {"run_id": run_id}))
    for event in events[:3]:
        channel.emit(event)
    await publisher.drained()  # two sends at least: entries hold batches
    for event in events[3:]:
        channel.emit(event)
    await publisher.drained()
    await publisher.aclose()

    feed = RedisEventFeed(redis)
    for after in (0, 2, 3, 7):
        read = await _read(feed, run_id, after=after)
        assert read == [(n, e, channel.epoch) for n, e in enumerate(events, 1) if n > after]
    assert 1 < await redis.xlen(stream_key(run_id)) < len(events)
    await redis.delete(stream_key(run_id))


async def _entry(redis: Any, run_id: str, *, first: int, count: int, owner: str) -> None:
    events = [_delta(n).as_dict() for n in range(first, first + count)]
    fields = {"e": json.dumps(events), "f": first, "o": owner}
    await redis.xadd(stream_key(run_id), fields, id=f"0-{first + count - 1}")


async def test_a_follower_stops_at_a_gap_and_at_another_numbering(redis: Any) -> None:
    feed = RedisEventFeed(redis, block_ms=1)
    trimmed = f"feed-{uuid.uuid4()}"
    await _entry(redis, trimmed, first=5, count=3, owner="aaaa")  # events 1–4 trimmed away
    read = await _read(feed, trimmed, after=2)
    assert len(read) == 1 and isinstance(read[0], FeedBreak) and "3–4" in read[0].reason
    assert [n for n, *_ in await _read(feed, trimmed, after=5)] == [6, 7]

    moved = f"feed-{uuid.uuid4()}"
    await _entry(redis, moved, first=1, count=2, owner="aaaa")
    await _entry(redis, moved, first=3, count=2, owner="bbbb")  # another numbering took over
    read = await _read(feed, moved, after=0)
    assert [item[0] for item in read[:2]] == [1, 2]
    assert isinstance(read[2], FeedBreak) and "another instance" in read[2].reason
    assert isinstance((await _read(feed, moved, after=0, epoch="bbbb"))[0], FeedBreak)
    await redis.delete(stream_key(trimmed), stream_key(moved))
