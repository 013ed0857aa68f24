"""Which policy applies: global < global per-model < preset < preset per-model."""

from __future__ import annotations

from llmcouncil.config import Settings, TimeoutSettings
from llmcouncil.presets.settings import PresetSettings
from llmcouncil.resilience.policy import PolicyBook
from llmcouncil.resilience.settings import (
    BreakerSettings,
    HedgeSettings,
    ModelPolicySettings,
    PresetResilienceSettings,
    ResilienceSettings,
    RetrySettings,
    StragglerSettings,
)


def book() -> PolicyBook:
    settings = Settings.model_validate(
        {
            "timeouts": TimeoutSettings(total=100, first_token=50),
            "resilience": ResilienceSettings(
                retry=RetrySettings(attempts=3),
                hedging=HedgeSettings(enabled=False),
                breaker=BreakerSettings(cooldown=30),
                models={
                    "a": ModelPolicySettings(
                        attempts=5, total_timeout=20, breaker=BreakerSettings(cooldown=1)
                    ),
                    "b": ModelPolicySettings(first_token_timeout=500),
                },
            ),
            "presets": {
                "default": PresetSettings(members=["a", "b"], chairman="a"),
                "fast": PresetSettings(
                    members=["a", "b"],
                    chairman="a",
                    resilience=PresetResilienceSettings(
                        retry=RetrySettings(attempts=1),
                        hedging=HedgeSettings(enabled=True),
                        stragglers=StragglerSettings(quorum=1),
                        models={"a": ModelPolicySettings(attempts=2, hedge=False)},
                    ),
                ),
            },
        }
    )
    return PolicyBook(settings)


def test_global_and_per_model_layers() -> None:
    policies = book()
    a = policies.call(preset=None, model="a")
    assert (a.attempts, a.total_timeout, a.first_token_timeout, a.hedge) == (5, 20, 20, None)
    b = policies.call(preset="default", model="b")
    # A first-token timeout never exceeds the total.
    assert (b.attempts, b.total_timeout, b.first_token_timeout) == (3, 100, 100)


def test_a_preset_overrides_the_global_layers() -> None:
    policies = book()
    a = policies.call(preset="fast", model="a")
    assert (a.attempts, a.total_timeout, a.hedge) == (2, 20, None)
    b = policies.call(preset="fast", model="b")
    assert b.attempts == 1 and b.hedge is not None and b.hedge.enabled
    assert policies.stragglers("fast").quorum == 1
    assert policies.stragglers("default").quorum is None


def test_breaker_rules_are_per_model_only() -> None:
    policies = book()
    assert policies.breaker("a").cooldown == 1
    assert policies.breaker("b").cooldown == 30


def test_policies_are_merged_once() -> None:
    policies = book()
    assert policies.call(preset="fast", model="a") is policies.call(preset="fast", model="a")


def test_settings_come_from_the_environment(monkeypatch: object) -> None:
    import pytest

    assert isinstance(monkeypatch, pytest.MonkeyPatch)
    monkeypatch.setenv("COUNCIL_RESILIENCE__RETRY__ATTEMPTS", "7")
    monkeypatch.setenv("COUNCIL_RESILIENCE__STRAGGLERS__LATE", "keep")
    settings = Settings()
    assert settings.resilience.retry.attempts == 7
    assert settings.resilience.stragglers.late == "keep"
