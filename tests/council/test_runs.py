"""Runs end to end on ``FakeProvider``: answers, reviews (with repair), the chairman's answer or
its degraded stand-in, cancellation and a retry that resumes after stage 1. No HTTP."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from fake_council import CHAIR, MEMBERS, events_of, fake_council, ranking

from llmcouncil.council.events import EventType
from llmcouncil.errors import ProviderAuthError, RunSupersededError, ValidationFailedError
from llmcouncil.providers.fake import FakeReply
from llmcouncil.records import RunStatus, Stage
from llmcouncil.store.repository import Store


async def test_a_council_answers_reviews_and_synthesises(tmp_path: Path) -> None:
    async with fake_council(tmp_path) as council:
        council.queue_answers()
        council.queue_reviews()
        council.fake.enqueue(CHAIR, "The synthesis.")
        handle = await council.ask()
        events = await events_of(handle)
        detail = await handle.result()

    kinds = [e.type for e in events if not e.type.value.startswith("model_")]
    assert kinds[0] == EventType.RUN_START
    assert kinds.index(EventType.STAGE1_COMPLETE) < kinds.index(EventType.STAGE2_COMPLETE)
    assert kinds.index(EventType.STAGE2_COMPLETE) < kinds.index(EventType.STAGE3_COMPLETE)
    assert kinds[-1] == EventType.COMPLETE
    assert detail.run.status == RunStatus.COMPLETE
    assert detail.run.final is not None and detail.run.final["response"] == "The synthesis."
    assert detail.run.final["degraded"] is False
    answers = sorted(c.text for c in detail.calls if c.stage == Stage.ANSWERS)
    assert answers == [f"The answer of {m}." for m in MEMBERS]
    reviews = [c for c in detail.calls if c.stage == Stage.REVIEWS]
    assert {r.details["parse_status"] for r in reviews} == {"ok"}
    assert not council.fake.pending(CHAIR)


async def test_a_review_without_a_ranking_gets_one_repair_turn(tmp_path: Path) -> None:
    async with fake_council(tmp_path) as council:
        council.queue_answers()
        council.fake.enqueue("m1", "All three are fine answers, I could not choose.")
        council.fake.enqueue("m2", ranking("B", "A", "C"), "unused")
        council.fake.enqueue("m3", "No ranking here either.")
        council.fake.enqueue("m1", ranking("C", "B", "A"))  # the repair turn's answer
        council.fake.enqueue("m3", "Still none.")  # its repair fails too
        council.fake.enqueue(CHAIR, "The synthesis.")
        handle = await council.ask()
        detail = await handle.result()

    reviews = {c.model: c for c in detail.calls if c.stage == Stage.REVIEWS}
    assert reviews["m1"].details["parse_status"] == "ok"
    assert reviews["m1"].details["repair"] is not None
    assert reviews["m2"].details.get("repair") is None
    assert reviews["m3"].details["parse_status"] == "failed"
    assert council.fake.pending("m2") == 1  # a review that parsed is never asked again
    chair_prompt = council.fake.requests[-1].messages[-1].content
    assert "Still none." not in chair_prompt  # an uncounted review stays out of the chair's
    assert detail.run.status == RunStatus.COMPLETE


async def test_every_chairman_failing_degrades_to_the_top_ranked_answer(tmp_path: Path) -> None:
    async with fake_council(tmp_path) as council:
        council.queue_answers()
        council.queue_reviews()
        council.fake.enqueue(CHAIR, ProviderAuthError("key revoked"))
        handle = await council.ask()
        events = await events_of(handle)
        detail = await handle.result()

    final = detail.run.final
    assert detail.run.status == RunStatus.COMPLETE
    assert final is not None and final["degraded"] is True
    assert "key revoked" in final["degraded_reason"]
    top = final["top_ranked_model"]
    assert top in MEMBERS
    assert f"The answer of {top}." in final["response"]
    stage3 = next(e for e in events if e.type is EventType.STAGE3_COMPLETE)
    assert stage3.fields["errors"][0]["model"] == CHAIR


async def test_every_member_failing_fails_the_run_with_each_reason(tmp_path: Path) -> None:
    async with fake_council(tmp_path) as council:
        council.fake.enqueue("titler", "A title")
        for member in MEMBERS:
            council.fake.enqueue(member, ProviderAuthError(f"no access to {member}"))
        handle = await council.ask()
        events = await events_of(handle)
        detail = await handle.result()

    assert detail.run.status == RunStatus.FAILED
    assert events[-1].type is EventType.ERROR
    assert events[-1].fields["code"] == "council_failed"
    assert {f["model"] for f in events[-1].fields["failures"]} == set(MEMBERS)


async def test_a_cancelled_run_ends_cancelled_and_gives_its_slot_back(tmp_path: Path) -> None:
    held = asyncio.Event()
    async with fake_council(tmp_path) as council:
        council.fake.enqueue("titler", "A title")
        council.fake.enqueue("m1", "one")
        council.fake.enqueue("m2", "two")
        council.fake.enqueue("m3", FakeReply("three", release=held))
        handle = await council.ask()
        await council.fake.received(4)  # the title and three members are in flight
        assert council.runs.capacity.active == 1
        cancelled = await council.runs.cancel(
            conversation_id=handle.conversation_id, run_id=handle.run_id
        )
        detail = await handle.result()
        events = await events_of(handle)

        assert cancelled
        assert detail.run.status == RunStatus.CANCELLED
        assert events[-1].fields["code"] == "cancelled"
        assert council.runs.capacity.active == 0


async def test_a_retry_resumes_after_the_stored_answers(tmp_path: Path) -> None:
    held = asyncio.Event()
    async with fake_council(tmp_path) as council:
        council.queue_answers()
        council.fake.enqueue("m1", ranking("A", "B", "C"))
        council.fake.enqueue("m2", ranking("A", "B", "C"))
        council.fake.enqueue("m3", FakeReply(ranking("A", "B", "C"), release=held))
        handle = await council.ask()
        await council.fake.received(7)  # the title, three answers and three reviews
        await council.runs.cancel(conversation_id=handle.conversation_id, run_id=handle.run_id)
        first = await handle.result()
        assert first.run.status == RunStatus.CANCELLED
        assert first.run.stages_done == Stage.ANSWERS

        asked = len(council.fake.requests)
        council.queue_reviews()
        council.fake.enqueue(CHAIR, "The synthesis.")
        retried = await council.runs.retry(
            conversation_id=handle.conversation_id, run_id=handle.run_id
        )
        detail = await retried.result()

    assert detail.run.status == RunStatus.COMPLETE
    again = {r.model for r in council.fake.requests[asked:]}
    assert again == {*MEMBERS, CHAIR}  # reviews and the chairman; no member answered again
    answers = sorted(c.text for c in detail.calls if c.stage == Stage.ANSWERS)
    assert answers == [f"The answer of {m}." for m in MEMBERS]
    assert detail.run.attempts == 2


async def test_text_no_database_can_store_is_refused_before_anything_is_stored(
    tmp_path: Path,
) -> None:
    """The CLI and uploaded files reach the run service without the API's input guard."""
    async with fake_council(tmp_path) as council:
        conversation = await council.store.create_conversation(preset=None)
        for content in ("a\x00b", "x \udfff y"):
            with pytest.raises(ValidationFailedError, match="content must not contain"):
                await council.runs.start(conversation_id=conversation.id, content=content)
        assert (await council.store.conversation_detail(conversation.id)).messages == []


async def test_a_run_taken_over_by_another_instance_stops_here_without_writing(
    tmp_path: Path,
) -> None:
    """This process stalled past its lease and another instance took its run over: when its
    members answer, nothing of them is stored, the stream ends handed_over, and the run is the
    taker's."""
    held = asyncio.Event()
    async with fake_council(tmp_path) as council:
        council.fake.enqueue("titler", "A title")
        council.fake.enqueue("m1", "one")
        council.fake.enqueue("m2", "two")
        council.fake.enqueue("m3", FakeReply("three", release=held))
        handle = await council.ask()
        await council.fake.received(4)  # the title and three members are in flight
        taker = Store(council.store.engine)  # another instance; this one has no heartbeat row
        taken = await taker.reset_for_retry(handle.run_id, worker_id="other", lease=1.0)
        assert taken.attempts == 2
        held.set()
        events = await events_of(handle)
        with pytest.raises(RunSupersededError):  # what a client waiting here is told
            await handle.result()
        detail = await council.store.get_run(handle.run_id)

    assert events[-1].type == EventType.ERROR and events[-1].fields["code"] == "handed_over"
    assert detail.run.status == RunStatus.RUNNING and detail.run.worker_id == "other"
    assert detail.calls == [] and detail.run.stages_done == 0
    assert council.runs.capacity.active == 0


async def test_a_run_nobody_watches_asks_every_call_unwatched(tmp_path: Path) -> None:
    """``stream_tokens`` False reaches each call's plan: the provider hears ``watched=False``
    for every call and the run sends no ``model_delta``; a watched run's stage calls stream."""
    async with fake_council(tmp_path) as council:
        for stream_tokens in (False, True):
            council.fake.watched.clear()
            council.queue_answers()
            council.queue_reviews()
            council.fake.enqueue(CHAIR, "The synthesis.")
            conversation = await council.store.create_conversation(preset=None)
            handle = await council.runs.start(
                conversation_id=conversation.id,
                content="Why is the sky blue?",
                stream_tokens=stream_tokens,
            )
            events = await events_of(handle)
            detail = await handle.result()
            assert detail.run.status == RunStatus.COMPLETE
            deltas = [e for e in events if e.type is EventType.MODEL_DELTA]
            if stream_tokens:
                assert deltas and True in council.fake.watched
            else:
                assert deltas == [] and set(council.fake.watched) == {False}
