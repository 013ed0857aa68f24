"""Originals back in what the user sees, including placeholders split across streamed deltas."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from llmcouncil.council.events import CouncilEvent, EventType
from llmcouncil.council.restored_events import StreamRestorer
from llmcouncil.privacy.restore import held_from, restore_value
from llmcouncil.privacy.vault import PiiVault


def _vault() -> PiiVault:
    vault = PiiVault()
    vault.placeholder("EMAIL_ADDRESS", "ana@example.com")
    vault.placeholder("CREDIT_CARD", "4111 1111 1111 1111")
    return vault


def _delta(text: str, model: str = "m") -> CouncilEvent:
    return CouncilEvent(EventType.MODEL_DELTA, {"stage": 1, "model": model, "text": text})


def _streamed(restorer: StreamRestorer, events: list[CouncilEvent], model: str = "m") -> str:
    out = []
    for event in events:
        for restored in restorer.feed(event):
            if restored.type is EventType.MODEL_DELTA and restored.fields["model"] == model:
                out.append(restored.fields["text"])
    return "".join(out)


def test_held_from_keeps_only_what_could_become_a_placeholder() -> None:
    assert held_from("write to <EMA") == len("write to ")
    assert held_from("write to <") == len("write to ")
    assert held_from("if a < b") == len("if a < b")
    assert held_from("done <EMAIL_1>") == len("done <EMAIL_1>")
    assert held_from("x <" + "A" * 60) == len("x <" + "A" * 60)


@given(st.lists(st.integers(min_value=0, max_value=80), max_size=12))
def test_deltas_split_anywhere_restore_to_the_restored_whole(cuts: list[int]) -> None:
    vault = _vault()
    text = "Mail <EMAIL_1> today; <CARD_1> is blocked, <EMAIL_9> is unknown, a<b>c <EMAIL_1>."
    bounds = sorted({0, len(text), *(min(c, len(text)) for c in cuts)})
    pieces = [text[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]
    events = [_delta(p) for p in pieces]
    events.append(CouncilEvent(EventType.MODEL_COMPLETE, {"stage": 1, "model": "m"}))
    assert _streamed(StreamRestorer(vault), events) == vault.restore(text)


def test_each_model_has_its_own_buffer_and_a_reset_drops_it() -> None:
    vault = _vault()
    restorer = StreamRestorer(vault)
    events = [
        _delta("to <EMA", "a"),
        _delta("x <CA", "b"),
        _delta("IL_1>", "a"),
        CouncilEvent(EventType.MODEL_RESET, {"stage": 1, "model": "b"}),
        _delta("fresh <CARD_1>", "b"),
        CouncilEvent(EventType.STAGE1_COMPLETE, {"data": [{"response": "<EMAIL_1>"}]}),
    ]
    out = [e for event in events for e in restorer.feed(event)]
    texts = [(e.fields.get("model"), e.fields.get("text")) for e in out if e.fields.get("text")]
    assert texts == [
        ("a", "to "),
        ("b", "x "),
        ("a", "ana@example.com"),
        ("b", "fresh 4111 1111 1111 1111"),
    ]
    assert out[-1].fields["data"] == [{"response": "ana@example.com"}]


def test_a_tail_still_held_when_the_stage_ends_is_flushed() -> None:
    restorer = StreamRestorer(_vault())
    out = [
        e
        for event in (_delta("ends with <EMAIL"), CouncilEvent(EventType.STAGE1_COMPLETE))
        for e in restorer.feed(event)
    ]
    assert [e.type for e in out] == [
        EventType.MODEL_DELTA,
        EventType.MODEL_DELTA,
        EventType.STAGE1_COMPLETE,
    ]
    assert "".join(e.fields.get("text", "") for e in out) == "ends with <EMAIL"


def test_restore_value_walks_json() -> None:
    payload = {"a": ["<EMAIL_1>", {"b": "card <CARD_1>"}], "n": 3, "none": None}
    assert restore_value(payload, _vault()) == {
        "a": ["ana@example.com", {"b": "card 4111 1111 1111 1111"}],
        "n": 3,
        "none": None,
    }
    assert restore_value(payload, None) is payload
