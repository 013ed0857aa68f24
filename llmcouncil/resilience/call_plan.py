"""What the council asks of the policy layer (``CallPlan``) and how it hears back (listeners).

``CallPlan.watched`` is the one place that says whether a call's tokens are watched; the
listeners only listen (``on_delta`` hears deltas of a watched call and nothing otherwise).
"""

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


@dataclass(frozen=True, slots=True)
class CallPlan:
    stage: int
    model: str  # the configured member or chairman
    messages: tuple[ChatMessage, ...]
    # Whether anyone watches this call's tokens. No default, so no plan forgets it: watched,
    # the provider streams deltas to ``on_delta``; unwatched, it takes its fast path and only
    # the answer comes back (the first-token deadline holds either way).
    watched: bool
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
