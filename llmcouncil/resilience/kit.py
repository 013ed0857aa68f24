"""The process-wide parts of the policy layer, built once and shared by every call."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from llmcouncil.config import Settings
from llmcouncil.providers.registry import ProviderRegistry, ResolvedModel
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
    _targets: dict[str, tuple[ResolvedModel, str]] = field(default_factory=dict)

    def resolve(self, ref: str) -> tuple[ResolvedModel, str]:
        """The provider of a model reference and its breaker key (``provider:model``), cached:
        settings do not change while the process runs. Raises ``ConfigError`` for bad refs."""
        hit = self._targets.get(ref)
        if hit is None:
            resolved = self.registry.resolve(ref)
            hit = self._targets[ref] = (resolved, f"{resolved.provider.name}:{resolved.model}")
        return hit

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
