"""The process-wide parts of the policy layer, built once and shared by every call."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from llmcouncil.config import Settings
from llmcouncil.providers.registry import ProviderRegistry, ResolvedModel
from llmcouncil.resilience.breaker import CircuitBreakers, Clock
from llmcouncil.resilience.breaker_store import BreakerStore, InMemoryBreakerStore
from llmcouncil.resilience.hedging import LatencyTracker
from llmcouncil.resilience.limits import CallLimits
from llmcouncil.resilience.policy import PolicyBook
from llmcouncil.resilience.retry_allowance import RetryAllowance


@dataclass(slots=True)
class ResilienceKit:
    registry: ProviderRegistry
    policies: PolicyBook
    breakers: CircuitBreakers
    limits: CallLimits
    latencies: LatencyTracker
    allowance: RetryAllowance
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
        clock: Clock | None = None,
        rng: random.Random | None = None,
    ) -> ResilienceKit:
        """``clock`` (wall-clock seconds) drives the breakers' cool-downs; tests inject one."""
        policies = PolicyBook(settings)
        store = breaker_store or InMemoryBreakerStore()
        breakers = (
            CircuitBreakers(store, policies)
            if clock is None
            else CircuitBreakers(store, policies, clock=clock)
        )
        return cls(
            registry=registry,
            policies=policies,
            breakers=breakers,
            limits=CallLimits(settings.resilience),
            latencies=LatencyTracker(window=settings.resilience.hedging.window),
            allowance=RetryAllowance(settings.resilience.retry_budget),
            rng=rng or random.Random(),
        )
