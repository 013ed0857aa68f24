"""What the council asks of the policy layer (``CallPlan``) and how it hears back (listeners)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from llmcouncil.providers.base import ChatMessage, ReasoningRequest
from llmcouncil.resilience.policy import CallDeadline
from llmcouncil.resilience.retry import RetryNotice

DeltaListener = Callable[[str], None]
FallbackListener = Callable[[str, str], None]  # (fallback model, reason)
HedgeListener = Callable[[str, float], None]  # (hedge model, seconds waited before hedging)


def unwatched(_text: str) -> None:
    """The delta listener of a call whose tokens nobody watches: the upstream is asked for a
    stream (its first-token deadline holds) and the answer is collected whole."""


@dataclass(frozen=True, slots=True)
class CallPlan:
    stage: int
    model: str  # the configured member or chairman
    messages: tuple[ChatMessage, ...]
    fallbacks: Sequence[str] = ()
    position: int = 0
    temperature: float | None = None
    max_tokens: int | None = None
    json_schema: Mapping[str, Any] | None = None
    details: dict[str, Any] = field(default_factory=dict)
    preset: str | None = None  # whose per-preset policy applies
    total_timeout: float | None = None  # caps the model's own total timeout (the title's)
    deadline: CallDeadline | None = None  # one deadline for the whole call (the chairman's)
    seed: int | None = None
    reasoning: ReasoningRequest | None = None  # a reasoning model's effort and thinking budget


@dataclass(slots=True)
class CallListeners:
    on_delta: DeltaListener | None = None
    on_fallback: FallbackListener | None = None
    on_reset: Callable[[], None] | None = None
    on_retry: Callable[[RetryNotice], None] | None = None
    on_hedge: HedgeListener | None = None
