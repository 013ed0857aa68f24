"""An answer cut by its output limit, finished by the same model on request."""

from __future__ import annotations

from pathlib import Path

import pytest
from fake_council import CHAIR, MEMBERS, ranking
from mode_council import mode_council

from llmcouncil.council.transcript import run_payload
from llmcouncil.errors import ConflictError
from llmcouncil.providers.fake import FakeReply
from llmcouncil.records import Stage


async def test_a_cut_answer_and_a_cut_synthesis_continue(tmp_path: Path) -> None:
    async with mode_council(tmp_path) as council:
        council.fake.enqueue("titler", "A title")
        council.fake.enqueue("m1", FakeReply("The answer of m1 is cut", finish_reason="length"))
        council.fake.enqueue("m2", "The answer of m2.")
        council.fake.enqueue("m3", "The answer of m3.")
        for member in MEMBERS:
            council.fake.enqueue(member, ranking("A", "B", "C"))
        council.fake.enqueue(CHAIR, FakeReply("The synthesis is", finish_reason="length"))
        handle = await council.ask()
        detail = await handle.result()
        assert detail.run.final is not None
        assert detail.run.final["finish_reason"] == "length"

        council.fake.enqueue("m1", " short.")
        member = await council.runs.continue_answer(
            conversation_id=handle.conversation_id, run_id=handle.run_id, stage=1, model="m1"
        )
        council.fake.enqueue(CHAIR, ' whole.\n<council_structure>{"consensus": ["x"]}')
        final = await council.runs.continue_answer(
            conversation_id=handle.conversation_id, run_id=handle.run_id, stage=3, model=CHAIR
        )
        with pytest.raises(ConflictError, match="not cut"):
            await council.runs.continue_answer(
                conversation_id=handle.conversation_id, run_id=handle.run_id, stage=1, model="m2"
            )
        stored = await council.store.get_run(handle.run_id)

    assert member["response"] == "The answer of m1 is cut short."
    assert member["finish_reason"] == "stop"
    asked = council.fake.requests[-2].messages
    assert [m.role for m in asked] == ["user", "assistant", "user"]
    assert asked[0].content == "Why is the sky blue?"
    assert asked[1].content == "The answer of m1 is cut"
    assert council.fake.requests[-1].messages[1].content == "The synthesis is"
    assert final["response"] == "The synthesis is whole."
    payload = run_payload(stored)
    m1 = next(a for a in payload["stage1"] if a["model"] == "m1")
    assert m1["response"] == "The answer of m1 is cut short." and m1["finish_reason"] == "stop"
    assert payload["stage3"]["response"] == "The synthesis is whole."
    assert payload["stage3"]["structured"]["consensus"] == ["x"]
    assert len([c for c in stored.calls if c.stage == Stage.ANSWERS]) == 3  # as the stage gave
    pieces = [c for c in stored.calls if c.details.get("continues")]
    assert [(p.stage, p.details["continues"]["stage"]) for p in pieces] == [(0, 1), (0, 3)]
