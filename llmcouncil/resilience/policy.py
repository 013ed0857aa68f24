"""The effective policy of one call, merged once per (preset, model) from the settings layers.

See ``resilience.settings`` for the precedence. Merging is cached: the fast path of a call is a
dictionary lookup, not a walk through pydantic models.
"""

from __future__ import annotations

from dataclasses import dataclass

from llmcouncil.config import Settings
from llmcouncil.resilience.settings import (
    BreakerSettings,
    HedgeSettings,
    ModelPolicySettings,
    RetryBudgetSettings,
    StragglerSettings,
)


@dataclass(frozen=True, slots=True)
class CallDeadline:
    """One budget for the whole call: every candidate, retry and backoff fits inside ``total``.

    A candidate with others after it may use ``primary_share`` of what is left, so fallbacks
    keep time; the last candidate gets all that remains. ``first_token`` caps each attempt's
    first-token timeout.
    """

    total: float
    first_token: float | None = None
    primary_share: float = 1.0


@dataclass(frozen=True, slots=True)
class CallPolicy:
    """How one model is called within one preset."""

    attempts: int
    backoff_initial: float
    backoff_max: float
    max_retry_after: float
    total_timeout: float
    first_token_timeout: float
    hedge: HedgeSettings | None  # None: no hedging for this model


class PolicyBook:
    """Answers "which policy applies here?" for the caller, the stages and the health route."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._calls: dict[tuple[str | None, str], CallPolicy] = {}
        self._breakers: dict[str, BreakerSettings] = {}

    @property
    def settings(self) -> Settings:
        return self._settings

    @property
    def title_timeout(self) -> float:
        return self._settings.resilience.title_timeout

    @property
    def retry_budget(self) -> RetryBudgetSettings:
        return self._settings.resilience.retry_budget

    def chairman_deadline(self, preset: str | None) -> CallDeadline | None:
        """The deadline of the chairman's whole call in ``preset``; None when disabled."""
        preset_settings = self._settings.presets.get(preset or self._settings.default_preset)
        rules = self._settings.resilience.chairman
        if preset_settings is not None and preset_settings.resilience.chairman is not None:
            rules = preset_settings.resilience.chairman
        if not rules.enabled:
            return None
        return CallDeadline(
            total=rules.total, first_token=rules.first_token, primary_share=rules.primary_share
        )

    def call(self, *, preset: str | None, model: str) -> CallPolicy:
        key = (preset, model)
        policy = self._calls.get(key)
        if policy is None:
            policy = self._calls[key] = self._merge(preset, model)
        return policy

    def breaker(self, model: str) -> BreakerSettings:
        rules = self._breakers.get(model)
        if rules is None:
            resilience = self._settings.resilience
            override = resilience.models.get(model)
            rules = override.breaker if override and override.breaker else resilience.breaker
            self._breakers[model] = rules
        return rules

    def stragglers(self, preset: str | None) -> StragglerSettings:
        preset_settings = self._settings.presets.get(preset or self._settings.default_preset)
        if preset_settings is not None and preset_settings.resilience.stragglers is not None:
            return preset_settings.resilience.stragglers
        return self._settings.resilience.stragglers

    def _merge(self, preset: str | None, model: str) -> CallPolicy:
        settings = self._settings
        resilience = settings.resilience
        retry, hedging = resilience.retry, resilience.hedging
        layers: list[ModelPolicySettings | None] = [resilience.models.get(model)]
        preset_settings = settings.presets.get(preset or settings.default_preset)
        if preset_settings is not None:
            overrides = preset_settings.resilience
            retry = overrides.retry or retry
            hedging = overrides.hedging or hedging
            layers.append(overrides.models.get(model))
        attempts = retry.attempts
        total = settings.timeouts.total
        first_token = settings.timeouts.first_token
        hedge_on = hedging.enabled
        for layer in layers:
            if layer is None:
                continue
            attempts = layer.attempts if layer.attempts is not None else attempts
            total = layer.total_timeout if layer.total_timeout is not None else total
            if layer.first_token_timeout is not None:
                first_token = layer.first_token_timeout
            hedge_on = layer.hedge if layer.hedge is not None else hedge_on
        return CallPolicy(
            attempts=attempts,
            backoff_initial=retry.backoff_initial,
            backoff_max=retry.backoff_max,
            max_retry_after=retry.max_retry_after,
            total_timeout=total,
            first_token_timeout=min(first_token, total),
            hedge=hedging if hedge_on else None,
        )
