"""The pipeline's title beside the stages: when its write waits for stage 1's and when it does
not, ordered by events rather than by time (the grace is injected)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from fake_council import CHAIR, MEMBERS, TITLER, fake_council

from llmcouncil.council.events import EventType
from llmcouncil.providers.fake import FakeReply
from llmcouncil.records import RunStatus


async def test_a_title_that_ends_before_the_answers_is_written_after_them(
    tmp_path: Path,
) -> None:
    """Its write would compete with the handling of the answers and the sending of the reviews."""
    held = asyncio.Event()
    async with fake_council(tmp_path, title_write_grace=None) as council:
        council.fake.enqueue(TITLER, "A title")
        for member in MEMBERS:
            council.fake.enqueue(member, FakeReply(f"The answer of {member}.", release=held))
        council.queue_reviews()
        council.fake.enqueue(CHAIR, "The synthesis.")
        handle = await council.ask()
        await council.fake.received(4)  # the title answered, the members held
        held.set()
        kinds = [e.type async for e in handle.events()]
        detail = await handle.result()

    assert kinds.index(EventType.STAGE1_COMPLETE) < kinds.index(EventType.TITLE_COMPLETE)
    assert detail.run.status == RunStatus.COMPLETE
    assert [c.details["title"] for c in detail.calls if c.model == TITLER] == ["A title"]


async def test_a_title_past_its_grace_is_written_while_the_answers_are_awaited(
    tmp_path: Path,
) -> None:
    held = asyncio.Event()
    async with fake_council(tmp_path, title_write_grace=0.0) as council:
        council.fake.enqueue(TITLER, "A title")
        for member in MEMBERS:
            council.fake.enqueue(member, FakeReply(f"The answer of {member}.", release=held))
        council.queue_reviews()
        council.fake.enqueue(CHAIR, "The synthesis.")
        handle = await council.ask()
        kinds: list[EventType] = []
        async for event in handle.events():
            kinds.append(event.type)
            if event.type is EventType.TITLE_COMPLETE:
                held.set()  # the members answer only once the title is stored
        titled = await council.store.get_conversation(handle.conversation_id)

    assert kinds.index(EventType.TITLE_COMPLETE) < kinds.index(EventType.STAGE1_COMPLETE)
    assert kinds[-1] is EventType.COMPLETE
    assert titled.title == "A title"
