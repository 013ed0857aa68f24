"""How a stage's calls are announced: ``StageEvents`` turns each call's progress (tokens,
fallbacks, retries, hedges, a late answer, its end) into ``model_*`` events on the run's
channel, so the stages themselves never build an event.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from llmcouncil.council.events import CouncilEvent, EventType
from llmcouncil.records import CallRecord
from llmcouncil.resilience.call_plan import unwatched
from llmcouncil.resilience.calls import CallListeners
from llmcouncil.resilience.retry import RetryNotice


class StageEvents:
    """Turns a call's progress into ``model_*`` events on the run's channel."""

    def __init__(self, emit: Callable[[CouncilEvent], None], *, show_tokens: bool = True) -> None:
        """``show_tokens`` False: nobody watches this run's tokens (a caller that only waits
        for the result): no ``model_delta`` events, and each call is collected whole."""
        self._emit = emit
        self.show_tokens = show_tokens

    def emit(self, event: CouncilEvent) -> None:
        self._emit(event)

    def redirected(self, emit: Callable[[CouncilEvent], None]) -> StageEvents:
        """The same run's events, sent through ``emit`` (e.g. held until a write commits)."""
        return StageEvents(emit, show_tokens=self.show_tokens)

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

        return StageEvents(filtered_emit, show_tokens=self.show_tokens)

    def tagged(self, **extra: Any) -> StageEvents:
        """The same run's events, each carrying ``extra`` (a revision's ``round``)."""
        emit = self._emit

        def tagged_emit(event: CouncilEvent) -> None:
            emit(CouncilEvent(event.type, {**event.fields, **extra}))

        return StageEvents(tagged_emit, show_tokens=self.show_tokens)

    def listeners(
        self, *, stage: int, model: str, stream: bool = True, show_tokens: bool = True
    ) -> CallListeners:
        """``stream``: ask the upstream for a stream (first-token timeouts and hedging need
        one); ``show_tokens``: pass its tokens on as ``model_delta`` events."""

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
            on_delta=(delta if show_tokens else unwatched) if stream else None,
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
