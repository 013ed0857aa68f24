"""The plain records every layer shares: the floor of the package.

A provider reports ``Usage``; the policy layer turns a call into a ``CallRecord``; the store
keeps both; the council renders them. Stages and run statuses are enums whose values are what
the database and the API have always held (``Stage.REVIEWS == 2``, ``RunStatus.COMPLETE ==
"complete"``). ``call_fields`` is what every stage item says of its call, in the API's shape.

This module imports only ``errors``; every other module may import it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from typing import Any

from llmcouncil.errors import ModelFailure

__all__ = [
    "CallRecord",
    "RunStatus",
    "Stage",
    "Usage",
    "call_fields",
    "usage_total",
]


class Stage(IntEnum):
    TITLE = 0
    ANSWERS = 1
    REVIEWS = 2
    FINAL = 3


class RunStatus(StrEnum):
    RUNNING = "running"
    COMPLETE = "complete"
    FAILED = "failed"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"


@dataclass(frozen=True, slots=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    cost: float | None = None
    # Of completion_tokens, those a reasoning model spent thinking (billed as output).
    reasoning_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        cost: float | None
        if self.cost is None and other.cost is None:
            cost = None
        else:
            cost = (self.cost or 0.0) + (other.cost or 0.0)
        return Usage(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            total_tokens=self.total_tokens + other.total_tokens,
            cost=cost,
            reasoning_tokens=self.reasoning_tokens + other.reasoning_tokens,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.total_tokens,
            "cost": self.cost,
            "reasoning_tokens": self.reasoning_tokens,
        }


@dataclass(slots=True)
class CallRecord:
    """One model's contribution to a stage (or the title)."""

    stage: int
    model: str  # as configured: the member or chairman this call stands for
    ok: bool
    position: int = 0
    text: str = ""
    answered_by: str | None = None  # the model that really answered (fallback / upstream id)
    fallback_from: str | None = None
    fallback_reason: str | None = None
    failure: ModelFailure | None = None
    usage: Usage = field(default_factory=Usage)
    latency_ms: float | None = None
    ttft_ms: float | None = None
    finish_reason: str | None = None
    simulated: bool = False
    # Free-form by design: what a stage learnt about the call (a review's parse, its vote, the
    # order it was shown, reasoning), stored as JSON beside the row.
    details: dict[str, Any] = field(default_factory=dict)

    def error_item(self) -> dict[str, Any]:
        failure = self.failure or ModelFailure(model=self.model, kind="internal", message="")
        return {"stage": self.stage, **failure.as_dict(), "model": self.model}


def usage_total(records: list[CallRecord]) -> Usage:
    total = Usage()
    for record in records:
        total = total + record.usage
    return total


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def call_fields(record: CallRecord) -> dict[str, Any]:
    """What every stage item says of its call, in the API's shape."""
    return {
        "answered_by": record.answered_by,
        "fallback_from": record.fallback_from,
        "fallback_reason": record.fallback_reason,
        "usage": record.usage.as_dict(),
        "latency_ms": _ms(record.latency_ms),
        "ttft_ms": _ms(record.ttft_ms),
        "finish_reason": record.finish_reason,
        "simulated": record.simulated,
    }
