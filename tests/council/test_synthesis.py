"""Reading the chairman's structured part (tags, fences, sections, nothing), and the stream
filter that keeps it out of the streamed answer."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from llmcouncil.api.results import Stage3Final
from llmcouncil.council.final_answer import Confidence, FinalAnswer
from llmcouncil.council.synthesis import (
    NO_STRUCTURE_NOTE,
    StructureFilter,
    final_synthesis,
    read_structure,
)
from llmcouncil.records import CallRecord, Stage

LABELS = {"Response A": "m1", "Response B": "m2"}
BLOCK = (
    '<council_structure>{"consensus": ["x"], "contradictions": [{"point": "p", "positions": '
    '[{"responses": ["Response B"], "says": "no"}]}], "gaps": [], "confidence": {"level": '
    '"Medium", "justification": "two of three"}}</council_structure>'
)


def test_a_tagged_block_is_read_and_removed_from_the_answer() -> None:
    read = read_structure(f"The answer.\n\n{BLOCK}", label_to_model=LABELS)
    assert read.answer == "The answer."
    assert read.structured is not None
    assert read.structured.confidence == Confidence("medium", "two of three")
    assert read.structured.contradictions[0].positions[0].models == ("m2",)
    assert read.structured.as_json()["contradictions"] == [
        {"point": "p", "positions": [{"responses": ["Response B"], "says": "no", "models": ["m2"]}]}
    ]


def test_a_fenced_block_inside_the_tags_and_a_missing_closing_tag() -> None:
    body = BLOCK.removeprefix("<council_structure>").removesuffix("</council_structure>")
    read = read_structure(f"Answer.\n<council_structure>\n```json\n{body}\n```", label_to_model={})
    assert read.answer == "Answer."
    assert read.structured is not None and read.structured.consensus == ("x",)


def test_a_bare_json_fence_with_the_keys_counts() -> None:
    body = '{"consensus": ["a"], "confidence": "low"}'
    read = read_structure(f"Answer.\n\n```json\n{body}\n```", label_to_model={})
    assert read.structured is not None and read.structured.confidence.level == "low"
    assert read.answer == "Answer."


def test_sections_are_read_when_there_is_no_json() -> None:
    reply = (
        "Answer text.\n\n**Consensus:**\n- light scatters\n- blue dominates\n\n"
        "**Contradictions:**\n- whether ozone matters\n\n**Confidence:** high, all agree."
    )
    read = read_structure(reply, label_to_model={})
    assert read.structured is not None
    assert read.structured.consensus == ("light scatters", "blue dominates")
    assert read.structured.confidence.level == "high"
    assert read.answer == reply.strip()


def test_a_bare_json_fence_without_the_keys_is_part_of_the_answer() -> None:
    """An answer may show any JSON in a code block: only consensus or confidence marks it as
    the chairman's structured part."""
    reply = 'Use this config:\n\n```json\n{"gaps": ["none"], "port": 8080}\n```'
    read = read_structure(reply, label_to_model={})
    assert read.structured is None and read.answer == reply


def test_an_unknown_confidence_level_is_kept_as_no_level() -> None:
    body = '{"consensus": ["a"], "confidence": {"level": "very high", "justification": "j"}}'
    read = read_structure(f"A.<council_structure>{body}</council_structure>", label_to_model={})
    assert read.structured is not None
    assert read.structured.confidence == Confidence(None, "j")


def test_each_kind_of_final_answer_validates_as_the_api_describes_it() -> None:
    chair = CallRecord(stage=Stage.FINAL, model="chair", ok=True, text=f"The answer.\n\n{BLOCK}")
    answer = CallRecord(stage=Stage.ANSWERS, model="m1", ok=True, text="42", finish_reason="stop")
    finals = {
        "synthesis": final_synthesis(chair, label_to_model=LABELS),
        "degraded": FinalAnswer.degraded_to(answer, reason="every chairman failed: 503"),
        "selected": FinalAnswer.selected(answer, label="Response A", summary="Ranked first."),
        "answers": FinalAnswer.side_by_side([answer]),
        "unanimous": FinalAnswer.unanimous(answer, members=3),
    }
    for kind, final in finals.items():
        shown = Stage3Final.model_validate(final.as_dict())
        assert shown.kind == kind
    synthesis = finals["synthesis"].as_dict()
    assert synthesis["response"] == "The answer." and chair.text == "The answer."
    assert synthesis["structured"]["contradictions"][0]["positions"][0]["models"] == ["m2"]
    assert chair.details["structured"] == synthesis["structured"]
    degraded = finals["degraded"].as_dict()
    assert degraded["degraded"] is True and degraded["top_ranked_model"] == "m1"
    assert "42" in degraded["response"]
    selected = finals["selected"].as_dict()
    assert (selected["selected_model"], selected["finish_reason"]) == ("m1", "stop")
    assert finals["unanimous"].as_dict()["unanimous_members"] == 3
    seeded = FinalAnswer.seeded_from("client text").as_dict()
    assert seeded["seeded"] is True and "kind" not in seeded and "reasoning" not in seeded


def test_no_structure_or_broken_json_degrades_with_a_note() -> None:
    for reply in ("Just prose.", "Prose <council_structure>{not json</council_structure>"):
        read = read_structure(reply, label_to_model={})
        assert read.structured is None and read.note == NO_STRUCTURE_NOTE


@settings(deadline=None)
@given(
    answer=st.text(min_size=1, max_size=80).filter(lambda t: "<" not in t and t.strip()),
    cuts=st.lists(st.integers(min_value=1, max_value=400), max_size=8),
)
def test_the_stream_filter_streams_exactly_the_stored_answer(answer: str, cuts: list[int]) -> None:
    reply = f"{answer}\n\n{BLOCK}"
    points = sorted({c for c in cuts if c < len(reply)})
    pieces = [reply[a:b] for a, b in zip([0, *points], [*points, len(reply)], strict=True)]
    block = StructureFilter()
    streamed = "".join(block.feed(piece) for piece in pieces)
    assert streamed == read_structure(reply, label_to_model={}).answer
