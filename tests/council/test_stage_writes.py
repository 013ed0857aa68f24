"""``behind_write``: the next stage's calls leave before the write, its events after it."""

from __future__ import annotations

import asyncio

import pytest

from llmcouncil.council.events import CouncilEvent, EventType
from llmcouncil.council.stage_events import StageEvents
from llmcouncil.council.stage_writes import behind_write


def event(kind: EventType, **data: object) -> CouncilEvent:
    return CouncilEvent(kind, dict(data))


async def test_the_next_stages_requests_are_sent_before_the_write_begins() -> None:
    order: list[str] = []

    async def write() -> None:
        order.append("write")

    async def one_call(name: str) -> None:
        # Like an HTTP client on Python 3.11: set-up in the call's own first step, the
        # request body written by a task of its own.
        async def send_body() -> None:
            order.append(f"sent {name}")

        asyncio.ensure_future(send_body())
        await asyncio.sleep(0.01)

    async def next_stage(_events: StageEvents) -> str:
        await asyncio.gather(*(one_call(n) for n in ("a", "b", "c", "d")))
        return "reviews"

    result = await behind_write(
        write(), [], events=StageEvents(lambda _e: None, watched=True), next_stage=next_stage
    )

    assert result == "reviews"
    assert order == ["sent a", "sent b", "sent c", "sent d", "write"]


async def test_events_of_the_next_stage_wait_for_the_write() -> None:
    shown: list[EventType] = []
    written = asyncio.Event()

    async def write() -> None:
        await asyncio.sleep(0.01)
        written.set()

    async def next_stage(events: StageEvents) -> None:
        on_delta = events.listeners(stage=2, model="m").on_delta
        assert on_delta is not None
        on_delta("token")
        assert not written.is_set()

    announce = [event(EventType.STAGE1_COMPLETE), event(EventType.STAGE2_START)]
    await behind_write(
        write(),
        announce,
        events=StageEvents(lambda e: shown.append(e.type), watched=True),
        next_stage=next_stage,
    )

    assert shown == [EventType.STAGE1_COMPLETE, EventType.STAGE2_START, EventType.MODEL_DELTA]


async def test_a_failed_write_cancels_the_next_stage_and_fails() -> None:
    finished = asyncio.Event()

    async def write() -> None:
        raise RuntimeError("disk full")

    async def next_stage(_events: StageEvents) -> None:
        await asyncio.sleep(0.02)
        finished.set()

    with pytest.raises(RuntimeError, match="disk full"):
        await behind_write(
            write(), [], events=StageEvents(lambda _e: None, watched=True), next_stage=next_stage
        )
    await asyncio.sleep(0.05)
    assert not finished.is_set()
