"""Every deliberation mode end to end on ``FakeProvider``: what was asked of which model, what
was stored, what the API shows, and a revision round resumed after a crash. No HTTP."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from fake_council import CHAIR, MEMBERS, events_of, ranking
from mode_council import STRUCTURED_CHAIR, mode_council

from llmcouncil.council.events import EventType
from llmcouncil.council.modes import MODE_STEPS
from llmcouncil.council.transcript import run_payload
from llmcouncil.errors import ValidationFailedError
from llmcouncil.presets.settings import MODES
from llmcouncil.providers.fake import FakeReply
from llmcouncil.records import RunStatus, Stage


def test_every_mode_has_its_steps() -> None:
    assert set(MODE_STEPS) == set(MODES)


async def test_classic_stores_the_structured_synthesis(tmp_path: Path) -> None:
    async with mode_council(tmp_path) as council:
        council.queue_answers()
        council.queue_reviews()
        council.fake.enqueue(CHAIR, STRUCTURED_CHAIR)
        handle = await council.ask()
        events = await events_of(handle)
        detail = await handle.result()

    assert events[0].fields["mode"] == "classic"
    final = detail.run.final
    assert final is not None and final["kind"] == "synthesis"
    assert final["response"] == "Blue light scatters most."
    structured = final["structured"]
    assert structured["consensus"] == ["Rayleigh scattering"]
    assert structured["confidence"] == {
        "level": "high",
        "justification": "all agree on the mechanism",
    }
    labels = detail.run.label_to_model or {}
    position = structured["contradictions"][0]["positions"][0]
    assert position["models"] == [labels["Response A"]]
    assert "council_structure" in council.fake.requests[-1].messages[-1].content


async def test_a_chairman_without_structure_degrades_to_text_with_a_note(tmp_path: Path) -> None:
    async with mode_council(tmp_path) as council:
        council.queue_answers()
        council.queue_reviews()
        council.fake.enqueue(CHAIR, "Just prose, no structure.")
        detail = await (await council.ask()).result()
    final = detail.run.final
    assert final is not None
    assert final["response"] == "Just prose, no structure."
    assert final["structured"] is None
    assert "no structured summary" in final["structured_note"]


async def test_select_returns_the_top_answer_verbatim_without_a_chairman(tmp_path: Path) -> None:
    async with mode_council(tmp_path, mode="select") as council:
        council.queue_answers()
        council.queue_reviews()
        handle = await council.ask()
        events = await events_of(handle)
        detail = await handle.result()

    assert detail.run.status == RunStatus.COMPLETE
    assert CHAIR not in {r.model for r in council.fake.requests}
    final = detail.run.final
    assert final is not None and final["kind"] == "selected"
    labels = detail.run.label_to_model or {}
    top = labels["Response A"]  # every reviewer put A first
    assert final["selected_model"] == top
    assert final["response"] == f"The answer of {top}."
    assert "Ranked first" in final["review_summary"]
    kinds = [e.type for e in events]
    assert kinds.index(EventType.STAGE2_COMPLETE) < kinds.index(EventType.STAGE3_COMPLETE)


async def test_answers_mode_asks_only_the_members(tmp_path: Path) -> None:
    async with mode_council(tmp_path) as council:
        council.queue_answers()
        conversation = await council.store.create_conversation(preset=None)
        handle = await council.runs.start(
            conversation_id=conversation.id, content="Compare them", mode="answers"
        )
        events = await events_of(handle)
        detail = await handle.result()

    assert {r.model for r in council.fake.requests} == {*MEMBERS, "titler"}
    assert not [c for c in detail.calls if c.stage == Stage.REVIEWS]
    assert detail.run.final is not None and detail.run.final["kind"] == "answers"
    assert EventType.STAGE2_START not in [e.type for e in events]
    payload = run_payload(detail)
    assert payload["mode"] == "answers"
    assert len(payload["stage1"]) == 3


async def test_revise_runs_rounds_with_the_others_answers_anonymised(tmp_path: Path) -> None:
    async with mode_council(tmp_path, mode="revise", revision_rounds=2) as council:
        council.queue_answers()
        for member in MEMBERS:
            council.fake.enqueue(
                member, f"Revised once by {member}.", f"Revised twice by {member}."
            )
        council.queue_reviews()
        council.fake.enqueue(CHAIR, "The synthesis.")
        handle = await council.ask()
        events = await events_of(handle)
        detail = await handle.result()

    assert detail.run.status == RunStatus.COMPLETE
    revision = next(
        r
        for r in council.fake.requests
        if r.model == "m1" and "Revise your answer" in r.messages[-1].content
    )
    prompt = revision.messages[-1].content
    assert "The answer of m2." in prompt and "The answer of m3." in prompt
    assert "m2" not in prompt.replace("The answer of m2.", "")  # no model name but in the text
    rounds = [e.fields["round"] for e in events if e.type is EventType.REVISION_COMPLETE]
    assert rounds == [1, 2]
    tagged = [
        e for e in events if e.type is EventType.MODEL_COMPLETE and e.fields.get("round") == 2
    ]
    assert len(tagged) == 3
    payload = run_payload(detail)
    assert sorted(a["response"] for a in payload["stage1"]) == [
        f"Revised twice by {m}." for m in MEMBERS
    ]
    assert [len(r) for r in payload["stage1_rounds"]] == [3, 3, 3]
    chair_prompt = council.fake.requests[-1].messages[-1].content
    assert "Revised twice by m1." in chair_prompt and "The answer of m1." not in chair_prompt


async def test_revise_stops_early_when_no_answer_changes(tmp_path: Path) -> None:
    async with mode_council(tmp_path, mode="revise", revision_rounds=3, early_stop=True) as c:
        c.queue_answers()
        for member in MEMBERS:
            c.fake.enqueue(member, f"The answer of {member}.")  # round 1: unchanged
        c.queue_reviews()
        c.fake.enqueue(CHAIR, "The synthesis.")
        detail = await (await c.ask()).result()

    revisions = [c for c in detail.calls if c.stage == Stage.ANSWERS and "round" in c.details]
    assert {r.details["round"] for r in revisions} == {1}
    assert detail.run.meta is not None
    assert detail.run.meta["early_stop"]["kind"] == "unchanged"
    assert detail.run.final is not None and detail.run.final["early_stop"]["round"] == 1


async def test_unanimous_short_answers_skip_the_review(tmp_path: Path) -> None:
    async with mode_council(tmp_path, early_stop=True) as council:
        council.fake.enqueue("titler", "A title")
        for member in MEMBERS:
            council.fake.enqueue(member, "391.")
        detail = await (await council.ask("What is 17 * 23?")).result()
    final = detail.run.final
    assert final is not None and final["kind"] == "unanimous"
    assert final["response"] == "391."
    assert final["early_stop"]["kind"] == "unanimous"
    assert not [c for c in detail.calls if c.stage > Stage.ANSWERS]


async def test_self_moa_samples_one_model_with_varied_temperature(tmp_path: Path) -> None:
    async with mode_council(tmp_path, mode="self-moa", samples=4) as council:
        council.fake.enqueue("titler", "A title")
        council.fake.enqueue("m1", *[f"Sample {i}." for i in range(4)])
        for member in MEMBERS:
            council.fake.enqueue(member, ranking("A", "B", "C", "D"))
        council.fake.enqueue(CHAIR, "The synthesis.")
        detail = await (await council.ask()).result()

    answers = [c for c in detail.calls if c.stage == Stage.ANSWERS]
    assert sorted(a.model for a in answers) == [f"m1#{i}" for i in range(1, 5)]
    samples = [r for r in council.fake.requests if r.model == "m1" and r.seed is not None]
    assert len({r.temperature for r in samples}) == 4
    assert len({r.seed for r in samples}) == 4
    reviews = [c for c in detail.calls if c.stage == Stage.REVIEWS]
    assert sorted(r.model for r in reviews) == list(MEMBERS)
    assert detail.run.final is not None and detail.run.final["kind"] == "synthesis"
    assert detail.run.council["mode"] == "self-moa"


async def test_a_crash_mid_round_resumes_with_that_round(tmp_path: Path) -> None:
    held = asyncio.Event()
    async with mode_council(tmp_path, mode="revise", revision_rounds=2) as council:
        council.queue_answers()
        council.fake.enqueue("m1", "Revised once by m1.")
        council.fake.enqueue("m2", "Revised once by m2.")
        council.fake.enqueue("m3", "Revised once by m3.")
        council.fake.enqueue("m1", "Twice m1.")
        council.fake.enqueue("m2", "Twice m2.")
        council.fake.enqueue("m3", FakeReply("Twice m3.", release=held))
        handle = await council.ask()
        await council.fake.received(10)  # title, answers, round 1, round 2 in flight
        await council.runs.cancel(conversation_id=handle.conversation_id, run_id=handle.run_id)
        first = await handle.result()
        assert first.run.status == RunStatus.CANCELLED
        rounds = {c.details.get("round", 0) for c in first.calls if c.stage == Stage.ANSWERS}
        assert rounds == {0, 1}  # round 2 was not finished, so nothing of it is stored

        asked = len(council.fake.requests)
        for member in MEMBERS:
            council.fake.enqueue(member, f"Twice {member}, again.")
        council.queue_reviews()
        council.fake.enqueue(CHAIR, "The synthesis.")
        retried = await council.runs.retry(
            conversation_id=handle.conversation_id, run_id=handle.run_id
        )
        events = await events_of(retried)
        detail = await retried.result()

    assert detail.run.status == RunStatus.COMPLETE
    again = council.fake.requests[asked:]
    round_two = [r for r in again if "round 2" in r.messages[-1].content]
    assert len(round_two) == 3
    assert not [r for r in again if "round 1" in r.messages[-1].content]
    assert "Revised once by m2." in round_two[0].messages[-1].content
    payload = run_payload(detail)
    assert sorted(a["response"] for a in payload["stage1"]) == [
        f"Twice {m}, again." for m in MEMBERS
    ]
    assert [e.fields["round"] for e in events if e.type is EventType.REVISION_COMPLETE] == [1, 2]


async def test_a_question_may_not_name_an_unknown_mode(tmp_path: Path) -> None:
    async with mode_council(tmp_path) as council:
        conversation = await council.store.create_conversation(preset=None)
        with pytest.raises(ValidationFailedError, match="mode 'debate'"):
            await council.runs.start(conversation_id=conversation.id, content="Hi", mode="debate")
        with pytest.raises(ValidationFailedError, match="rounds"):
            await council.runs.start(
                conversation_id=conversation.id, content="Hi", mode="revise", rounds=4
            )
        stored = await council.store.get_conversation(conversation.id)
    assert not council.fake.requests
    assert stored is not None


async def test_self_moa_reviewed_by_the_sampled_model_itself(tmp_path: Path) -> None:
    async with mode_council(
        tmp_path, mode="self-moa", samples=3, sample_model="m2", sample_reviewers="same"
    ) as council:
        council.fake.enqueue("titler", "A title")
        council.fake.enqueue("m2", "One.", "Two.", "Three.", ranking("B", "A", "C"))
        council.fake.enqueue(CHAIR, "The synthesis.")
        detail = await (await council.ask()).result()

    assert {r.model for r in council.fake.requests} == {"titler", "m2", CHAIR}
    reviews = [c for c in detail.calls if c.stage == Stage.REVIEWS]
    assert [r.model for r in reviews] == ["m2"]
    assert reviews[0].details["vote"]["counted"] == "full"  # no answer is "its own"
    assert detail.run.meta is not None and detail.run.meta["mode"] == "self-moa"


async def test_revision_prompts_carry_no_personal_data_and_every_call_is_counted(
    tmp_path: Path,
) -> None:
    async with mode_council(tmp_path, mode="revise") as council:
        council.queue_answers()
        for member in MEMBERS:
            council.fake.enqueue(member, f"Revised by {member}.")
        council.queue_reviews()
        council.fake.enqueue(CHAIR, "The synthesis.")
        handle = await council.ask("My email is alice.jones@example.com: is it safe to share?")
        events = await events_of(handle)
        detail = await handle.result()

    sent = [m.content for r in council.fake.requests for m in r.messages]
    revisions = [c for c in sent if c.startswith("Revise your answer")]
    assert len(revisions) == 3
    assert not any("alice.jones@example.com" in c for c in sent)
    usage = events[-1].fields["usage"]
    calls = [c for c in detail.calls if c.stage > 0 or c.ok]
    assert usage["total_tokens"] == sum(c.usage.total_tokens for c in calls)
    assert len([c for c in detail.calls if c.stage == Stage.ANSWERS]) == 6


async def test_a_preset_may_ask_for_a_plain_synthesis(tmp_path: Path) -> None:
    async with mode_council(tmp_path, structured_synthesis=False) as council:
        council.queue_answers()
        council.queue_reviews()
        council.fake.enqueue(CHAIR, "Plain.")
        detail = await (await council.ask()).result()
    assert "council_structure" not in council.fake.requests[-1].messages[-1].content
    final = detail.run.final
    assert final is not None and final["response"] == "Plain." and final["kind"] == "synthesis"
    assert final.get("structured") is None and final.get("structured_note") is None
