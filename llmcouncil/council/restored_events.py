"""A run's events with the privacy guard's placeholders put back, for one listener.

A model may stream ``<EMAIL_`` in one delta and ``1>`` in the next, so the tail of a model's text
that could still become a placeholder is held back until the next delta shows what it is, or
until that model's call ends. The concatenated deltas therefore equal the restored final text,
exactly as without redaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from llmcouncil.council.events import CouncilEvent, EventType
from llmcouncil.privacy.restore import Restoring, held_from, restore_value

_FLUSH_ALL = frozenset(
    {
        EventType.STAGE1_COMPLETE,
        EventType.REVISION_COMPLETE,
        EventType.STAGE2_COMPLETE,
        EventType.STAGE3_COMPLETE,
        EventType.COMPLETE,
        EventType.ERROR,
    }
)


class StreamRestorer:
    """Restores one listener's events; deltas are buffered per (stage, model)."""

    def __init__(self, vault: Restoring) -> None:
        self._vault = vault
        self._held: dict[tuple[Any, Any], str] = {}

    def feed(self, event: CouncilEvent) -> Iterator[CouncilEvent]:
        fields = event.fields
        key = (fields.get("stage"), fields.get("model"))
        if event.type is EventType.MODEL_DELTA:
            text = self._held.pop(key, "") + str(fields.get("text", ""))
            cut = held_from(text)
            if cut < len(text):
                self._held[key] = text[cut:]
            if cut:
                yield CouncilEvent(event.type, {**fields, "text": self._vault.restore(text[:cut])})
            return
        if event.type is EventType.MODEL_RESET:
            self._held.pop(key, None)
        elif event.type in (EventType.MODEL_COMPLETE, EventType.MODEL_ERROR):
            yield from self._flush([key])
        elif event.type in _FLUSH_ALL:
            yield from self._flush(list(self._held))
        yield CouncilEvent(event.type, restore_value(fields, self._vault))

    def _flush(self, keys: list[tuple[Any, Any]]) -> Iterator[CouncilEvent]:
        for key in keys:
            tail = self._held.pop(key, "")
            if tail:
                stage, model = key
                yield CouncilEvent(
                    EventType.MODEL_DELTA,
                    {"stage": stage, "model": model, "text": self._vault.restore(tail)},
                )
