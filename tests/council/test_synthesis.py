"""Reading the chairman's structured part (tags, fences, sections, nothing), and the stream
filter that keeps it out of the streamed answer."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from llmcouncil.council.synthesis import NO_STRUCTURE_NOTE, StructureFilter, read_structure

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
    assert read.structured["confidence"] == {"level": "medium", "justification": "two of three"}
    assert read.structured["contradictions"][0]["positions"][0]["models"] == ["m2"]


def test_a_fenced_block_inside_the_tags_and_a_missing_closing_tag() -> None:
    body = BLOCK.removeprefix("<council_structure>").removesuffix("</council_structure>")
    read = read_structure(f"Answer.\n<council_structure>\n```json\n{body}\n```", label_to_model={})
    assert read.answer == "Answer."
    assert read.structured is not None and read.structured["consensus"] == ["x"]


def test_a_bare_json_fence_with_the_keys_counts() -> None:
    body = '{"consensus": ["a"], "confidence": "low"}'
    read = read_structure(f"Answer.\n\n```json\n{body}\n```", label_to_model={})
    assert read.structured is not None and read.structured["confidence"]["level"] == "low"
    assert read.answer == "Answer."


def test_sections_are_read_when_there_is_no_json() -> None:
    reply = (
        "Answer text.\n\n**Consensus:**\n- light scatters\n- blue dominates\n\n"
        "**Contradictions:**\n- whether ozone matters\n\n**Confidence:** high, all agree."
    )
    read = read_structure(reply, label_to_model={})
    assert read.structured is not None
    assert read.structured["consensus"] == ["light scatters", "blue dominates"]
    assert read.structured["confidence"]["level"] == "high"
    assert read.answer == reply.strip()


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
