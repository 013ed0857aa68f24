"""How a stage's calls are announced: ``StageEvents`` turns each call's progress (tokens,
fallbacks, retries, hedges, a late answer, its end) into ``model_*`` events on the run's
channel, so the stages themselves never build an event.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from llmcouncil.council.events import CouncilEvent, EventType
from llmcouncil.records import CallRecord
from llmcouncil.resilience.calls import CallListeners
from llmcouncil.resilience.retry import RetryNotice


class StageEvents:
    """Turns a call's progress into ``model_*`` events on the run's channel."""

    def __init__(self, emit: Callable[[CouncilEvent], None], *, watched: bool) -> None:
        """``watched`` False: nobody watches this run's tokens (a caller that only waits for
        the result). The stages put it in each call's plan (``CallPlan.watched``): unwatched
        calls take the provider's fast path and send no ``model_delta`` events."""
        self._emit = emit
        self.watched = watched

    def emit(self, event: CouncilEvent) -> None:
        self._emit(event)

    def redirected(self, emit: Callable[[CouncilEvent], None]) -> StageEvents:
        """The same run's events, sent through ``emit`` (e.g. held until a write commits)."""
        return StageEvents(emit, watched=self.watched)

    def filtered(self, feed: Callable[[str], str], reset: Callable[[], None]) -> StageEvents:
        """The same run's events, each ``model_delta``'s text passed through ``feed`` (and
        dropped when nothing is left); ``reset`` when the call starts over."""
        emit = self._emit

        def filtered_emit(event: CouncilEvent) -> None:
            if event.type is EventType.MODEL_DELTA:
                text = feed(str(event.fields.get("text", "")))
                if not text:
                    return
                event = CouncilEvent(event.type, {**event.fields, "text": text})
            elif event.type is EventType.MODEL_RESET:
                reset()
            emit(event)

        return StageEvents(filtered_emit, watched=self.watched)

    def tagged(self, **extra: Any) -> StageEvents:
        """The same run's events, each carrying ``extra`` (a revision's ``round``)."""
        emit = self._emit

        def tagged_emit(event: CouncilEvent) -> None:
            emit(CouncilEvent(event.type, {**event.fields, **extra}))

        return StageEvents(tagged_emit, watched=self.watched)

    def listeners(self, *, stage: int, model: str) -> CallListeners:
        """A call's listeners: its deltas (a watched call's only) become ``model_delta``
        events, its fallbacks, resets, retries and hedges ``model_*`` events."""

        def delta(text: str) -> None:
            self._emit(
                CouncilEvent(EventType.MODEL_DELTA, {"stage": stage, "model": model, "text": text})
            )

        def fallback(to: str, reason: str) -> None:
            self._emit(
                CouncilEvent(
                    EventType.MODEL_FALLBACK,
                    {"stage": stage, "model": model, "fallback": to, "reason": reason},
                )
            )

        def reset() -> None:
            self._emit(CouncilEvent(EventType.MODEL_RESET, {"stage": stage, "model": model}))

        def retry(notice: RetryNotice) -> None:
            self._emit(
                CouncilEvent(
                    EventType.MODEL_RETRY,
                    {
                        "stage": stage,
                        "model": model,
                        "candidate": notice.model,
                        "attempt": notice.attempt,
                        "delay_ms": round(notice.delay * 1000),
                        "kind": notice.error.kind,
                        "reason": notice.error.message,
                    },
                )
            )

        def hedge(to: str, after_s: float) -> None:
            self._emit(
                CouncilEvent(
                    EventType.MODEL_HEDGE,
                    {
                        "stage": stage,
                        "model": model,
                        "hedge": to,
                        "after_ms": round(after_s * 1000),
                    },
                )
            )

        return CallListeners(
            on_delta=delta,
            on_fallback=fallback,
            on_reset=reset,
            on_retry=retry,
            on_hedge=hedge,
        )

    def late(self, record: CallRecord, *, kept: bool) -> None:
        self._emit(
            CouncilEvent(
                EventType.MODEL_LATE,
                {
                    "stage": record.stage,
                    "model": record.model,
                    "kept": kept,
                    "reason": record.failure.message if record.failure else "",
                },
            )
        )

    def finished(self, record: CallRecord) -> None:
        if record.ok:
            self._emit(
                CouncilEvent(
                    EventType.MODEL_COMPLETE,
                    {
                        "stage": record.stage,
                        "model": record.model,
                        "answered_by": record.answered_by,
                        "usage": record.usage.as_dict(),
                        "latency_ms": record.latency_ms,
                        "ttft_ms": record.ttft_ms,
                        "fallback_from": record.fallback_from,
                        "fallback_reason": record.fallback_reason,
                    },
                )
            )
        else:
            self._emit(CouncilEvent(EventType.MODEL_ERROR, record.error_item()))
