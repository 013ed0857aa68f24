"""The process-wide parts of the policy layer, built once and shared by every call."""

from __future__ import annotations

import random
from dataclasses import dataclass

from llmcouncil.config import Settings
from llmcouncil.providers.registry import ProviderRegistry
from llmcouncil.resilience.breaker import CircuitBreakers
from llmcouncil.resilience.breaker_store import BreakerStore, InMemoryBreakerStore
from llmcouncil.resilience.hedging import LatencyTracker
from llmcouncil.resilience.limits import CallLimits
from llmcouncil.resilience.policy import PolicyBook


@dataclass(slots=True)
class ResilienceKit:
    registry: ProviderRegistry
    policies: PolicyBook
    breakers: CircuitBreakers
    limits: CallLimits
    latencies: LatencyTracker
    rng: random.Random

    @classmethod
    def build(
        cls,
        registry: ProviderRegistry,
        settings: Settings,
        *,
        breaker_store: BreakerStore | None = None,
    ) -> ResilienceKit:
        policies = PolicyBook(settings)
        return cls(
            registry=registry,
            policies=policies,
            breakers=CircuitBreakers(breaker_store or InMemoryBreakerStore(), policies),
            limits=CallLimits(settings.resilience),
            latencies=LatencyTracker(window=settings.resilience.hedging.window),
            rng=random.Random(),
        )
