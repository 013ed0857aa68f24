"""Typed events a run emits, in the wire shapes of docs/API.md.

The original prototype's event types keep their payloads; the ``model_*`` and ``run_start``
events are additions an original client ignores. ``RunChannel`` fans one run's events out to
any number of listeners (an SSE response, a second request with the same Idempotency-Key, the
CLI) and replays what they missed, so a listener that joins late sees the whole run. Each event
has a sequence number in its run (1, 2, …: its place in the channel) and the channel an
``epoch``, which the SSE stream sends as the event's ``id:`` so a client can resume after the
last one it received. A *tap*
(metrics, tracing) sees each event synchronously as it is emitted; a tap that raises is logged
and never disturbs the run.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

log = logging.getLogger(__name__)


class EventType(StrEnum):
    RUN_START = "run_start"
    STAGE1_START = "stage1_start"
    STAGE1_COMPLETE = "stage1_complete"
    REVISION_START = "revision_start"  # mode revise: a round of revisions ({"round": n})
    REVISION_COMPLETE = "revision_complete"
    STAGE2_START = "stage2_start"
    STAGE2_COMPLETE = "stage2_complete"
    STAGE3_START = "stage3_start"
    STAGE3_COMPLETE = "stage3_complete"
    TITLE_COMPLETE = "title_complete"
    MODEL_DELTA = "model_delta"
    MODEL_COMPLETE = "model_complete"
    MODEL_ERROR = "model_error"
    MODEL_FALLBACK = "model_fallback"
    MODEL_RESET = "model_reset"
    MODEL_RETRY = "model_retry"
    MODEL_HEDGE = "model_hedge"
    MODEL_LATE = "model_late"
    COMPLETE = "complete"
    ERROR = "error"


TERMINAL = frozenset({EventType.COMPLETE, EventType.ERROR})


@dataclass(frozen=True, slots=True)
class CouncilEvent:
    type: EventType
    fields: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"type": self.type.value, **self.fields}

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CouncilEvent:
        fields = dict(data)
        return cls(EventType(fields.pop("type")), fields)

    @classmethod
    def from_json(cls, raw: str | bytes) -> CouncilEvent:
        return cls.from_dict(json.loads(raw))

    def to_sse(self, event_id: str | None = None) -> bytes:
        """One SSE event; ``event_id`` (the ``id:`` line) lets a client resume after it."""
        head = f"id: {event_id}\n" if event_id is not None else ""
        return f"{head}data: {self.to_json()}\n\n".encode()


class RunChannel:
    """All events of one run so far, plus a wake-up for listeners waiting on new ones."""

    def __init__(self) -> None:
        # Names this channel's numbering: a run resumed or retried numbers its events from 1 on
        # a new channel, so an event number means something only with its epoch.
        self.epoch = secrets.token_hex(4)
        self._events: list[CouncilEvent] = []
        self._changed = asyncio.Event()
        self._taps: list[Callable[[CouncilEvent], None]] = []
        self.listeners = 0

    @property
    def closed(self) -> bool:
        return bool(self._events) and self._events[-1].type in TERMINAL

    def emit(self, event: CouncilEvent) -> None:
        if self.closed:
            return
        self._events.append(event)
        self._changed.set()
        for tap in self._taps:
            try:
                tap(event)
            except Exception:
                log.exception("a run observer failed on a %s event", event.type.value)

    def tap(self, callback: Callable[[CouncilEvent], None]) -> None:
        """Call ``callback`` with every event emitted from now on, as it is emitted."""
        self._taps.append(callback)

    def attach(self) -> None:
        """A client that the run should live for (a stream) starts listening."""
        self.listeners += 1

    def detach(self) -> None:
        self.listeners -= 1

    async def listen(self) -> AsyncIterator[CouncilEvent]:
        async for _seq, event in self.numbered():
            yield event

    async def numbered(self, after: int = 0) -> AsyncIterator[tuple[int, CouncilEvent]]:
        """The events after sequence number ``after``, each with its number, then the live ones
        as they come, up to the terminal event."""
        index = max(after, 0)
        while True:
            while index < len(self._events):
                event = self._events[index]
                index += 1
                yield index, event
                if event.type in TERMINAL:
                    return
            self._changed.clear()
            if index < len(self._events):
                continue
            await self._changed.wait()
