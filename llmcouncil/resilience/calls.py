"""The policy layer's front door: ``ModelCaller.call`` turns a ``CallPlan`` into a ``CallRecord``.

It tries the configured model, then each fallback in order, with retries, circuit breakers,
in-flight limits and optional hedging (see ``execution.py``), and returns a record saying which
model really answered and why a fallback ran. It never raises for an upstream failure (the
record carries the failure), so one model cannot sink a stage.

A stream that fails after tokens were forwarded is restarted — on the same model when a retry
is due, else on the next candidate — and listeners are first told to discard the text so far
(``on_reset`` → the ``model_reset`` event). Restarting was chosen over giving up because a
member's answer is otherwise lost to the whole council; the reset keeps what a client shows
honest. A request for structured output that the upstream rejects (400) is repeated as text.
"""

from __future__ import annotations

import random

from llmcouncil.config import Settings
from llmcouncil.providers.registry import ProviderRegistry
from llmcouncil.records import CallRecord
from llmcouncil.resilience.breaker import CircuitBreakers, Clock
from llmcouncil.resilience.breaker_store import BreakerStore
from llmcouncil.resilience.call_plan import (
    CallListeners,
    CallPlan,
    DeltaListener,
    FallbackListener,
    HedgeListener,
)
from llmcouncil.resilience.execution import CallExecution
from llmcouncil.resilience.hedging import LatencyTracker
from llmcouncil.resilience.kit import ResilienceKit
from llmcouncil.resilience.limits import CallLimits
from llmcouncil.resilience.policy import CallDeadline, PolicyBook
from llmcouncil.resilience.retry_allowance import RetryAllowance

__all__ = [
    "CallDeadline",
    "CallListeners",
    "CallPlan",
    "DeltaListener",
    "FallbackListener",
    "HedgeListener",
    "ModelCaller",
]


class ModelCaller:
    def __init__(
        self,
        registry: ProviderRegistry,
        settings: Settings,
        *,
        breaker_store: BreakerStore | None = None,
        clock: Clock | None = None,
        rng: random.Random | None = None,
    ) -> None:
        """``clock`` drives the breakers' cool-downs and ``rng`` the backoff jitter: tests
        inject both."""
        self.registry = registry
        self.kit = ResilienceKit.build(
            registry, settings, breaker_store=breaker_store, clock=clock, rng=rng
        )

    @property
    def policies(self) -> PolicyBook:
        return self.kit.policies

    @property
    def breakers(self) -> CircuitBreakers:
        return self.kit.breakers

    @property
    def limits(self) -> CallLimits:
        return self.kit.limits

    @property
    def latencies(self) -> LatencyTracker:
        return self.kit.latencies

    @property
    def allowance(self) -> RetryAllowance:
        return self.kit.allowance

    async def call(self, plan: CallPlan, listeners: CallListeners | None = None) -> CallRecord:
        return await CallExecution(self.kit, plan, listeners or CallListeners()).run()
