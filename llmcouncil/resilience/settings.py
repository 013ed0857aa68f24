"""The ``[resilience]`` section of the settings, and its per-preset and per-model overrides.

Precedence for one call of model M in preset P, later wins:
``resilience.*`` < ``resilience.models[M]`` < ``presets[P].resilience.*`` <
``presets[P].resilience.models[M]``. A model's breaker rules come only from the global layers:
a breaker guards the upstream model for every preset alike, and so does the retry budget.
The chairman's deadline (``resilience.chairman``) is replaced as a whole by
``presets[P].resilience.chairman``.

Every duration is in seconds.
"""

from __future__ import annotations

from typing import Literal, Self

from pydantic import BaseModel, Field, model_validator


class RetrySettings(BaseModel):
    """Retries of one model within one call: 429, 5xx, timeouts, dropped connections."""

    attempts: int = Field(
        default=3, ge=1, description="Tries per model and call, the first included; 1: no retry."
    )
    backoff_initial: float = Field(
        default=0.5, gt=0, description="Cap of the first backoff; full jitter draws in [0, cap]."
    )
    backoff_max: float = Field(default=10.0, gt=0, description="Largest cap of a backoff.")
    max_retry_after: float = Field(
        default=30.0,
        ge=0,
        description="A longer Retry-After moves on to the fallback instead of waiting.",
    )

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.backoff_initial > self.backoff_max:
            raise ValueError("backoff_initial must not exceed backoff_max")
        return self


class RetryBudgetSettings(BaseModel):
    """A token bucket of retries per upstream model, so an error storm is not multiplied.

    Every call's first attempt to a model adds ``ratio`` tokens (up to ``burst``); every retry
    the caller decides on by itself (after a 5xx, a timeout, a dropped connection, a malformed
    reply, a 429 without Retry-After) takes one. With none left the call moves on to its fallback.
    A retry the upstream scheduled (429 with Retry-After) is its own back-pressure and is
    honoured within the deadline without a token.
    """

    enabled: bool = True
    ratio: float = Field(
        default=0.5,
        gt=0,
        description="Retries allowed per call, on average: a down upstream gets at most "
        "1 + ratio attempts per call instead of `attempts`.",
    )
    burst: float = Field(
        default=20.0, ge=1, description="Tokens the bucket holds, and starts with."
    )


class BreakerSettings(BaseModel):
    """A circuit breaker per upstream model.

    Only failures that say the upstream is unwell count (5xx, timeouts, dropped connections,
    malformed replies); a 429 is back-pressure and counts as no outcome. The defaults are set so
    that random errors a retry gets through (a third of attempts failing, say) do not open a
    circuit: it opens for an upstream that is down, not for one that is flaky.
    """

    enabled: bool = True
    consecutive_failures: int = Field(
        default=10, ge=1, description="Failed attempts in a row that open the circuit."
    )
    failure_rate: float = Field(
        default=0.75,
        gt=0,
        le=1,
        description="Share of failed attempts in the window that opens it.",
    )
    window: float = Field(default=60.0, gt=0, description="Seconds the failure rate looks back.")
    min_calls: int = Field(
        default=20, ge=1, description="Attempts in the window before the rate is judged."
    )
    cooldown: float = Field(
        default=30.0, gt=0, description="Seconds an open circuit waits before one probe call."
    )
    probe_lease: float = Field(
        default=600.0,
        gt=0,
        description="A probe not settled within this (its process died) no longer blocks others.",
    )


class StageDeadlineSettings(BaseModel):
    """One deadline for a whole call: the model, its retries and its fallbacks share it.

    Used for the chairman's call (stage 3): after it the call ends with a failure and the run's
    degraded result (the top-ranked answer) takes over. Each candidate but the last may use
    ``primary_share`` of what is left, so a hung chairman leaves its fallbacks time to answer.
    """

    enabled: bool = True
    total: float = Field(
        default=180.0, gt=0, description="Seconds for the whole call, fallbacks included."
    )
    first_token: float = Field(
        default=60.0,
        gt=0,
        description="Seconds to a stream's first token (or reasoning) per attempt; caps the "
        "model's own first_token_timeout.",
    )
    primary_share: float = Field(
        default=0.5,
        gt=0,
        le=1,
        description="Share of what is left that a candidate with fallbacks after it may use.",
    )


class StragglerSettings(BaseModel):
    """When a stage stops waiting for its slowest members."""

    enabled: bool = True
    quorum: int | None = Field(
        default=None,
        ge=1,
        description="Answers before the grace period starts; default: a majority of the calls.",
    )
    grace_factor: float = Field(
        default=1.0, ge=0, description="Grace after the quorum, times the time the quorum took."
    )
    grace_min: float = Field(default=1.0, ge=0)
    grace_max: float = Field(default=60.0, ge=0, description="Absolute cap of the grace period.")
    late: Literal["cancel", "keep"] = Field(
        default="cancel",
        description="cancel late calls, or keep them running and store their answers as late.",
    )

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.grace_min > self.grace_max:
            raise ValueError("grace_min must not exceed grace_max")
        return self


class HedgeSettings(BaseModel):
    """A second, racing call when the first runs past the model's recent latency percentile."""

    enabled: bool = False
    percentile: float = Field(default=0.95, gt=0, lt=1)
    min_samples: int = Field(default=20, ge=1, description="Observed calls before hedging.")
    min_delay: float = Field(default=0.05, ge=0, description="Never hedge sooner than this.")
    max_hedges: int = Field(
        default=1, ge=1, le=3, description="Hedges per call, one more every percentile interval."
    )
    window: int = Field(default=200, ge=1, description="Recent calls kept per model and stage.")


class UpstreamLimitSettings(BaseModel):
    """Limits of one provider (by its configured name, ``simulated`` in demo mode)."""

    max_inflight: int | None = Field(default=None, ge=1, description="Default: the global one.")
    rpm: int | None = Field(default=None, ge=1, description="Requests per minute it accepts.")


class CapacitySettings(BaseModel):
    """Backpressure: calls in flight, councils running, councils waiting for a slot."""

    max_inflight_calls: int = Field(default=1024, ge=1, description="Upstream calls, globally.")
    max_inflight_per_upstream: int = Field(default=512, ge=1)
    max_active_runs: int = Field(default=256, ge=1, description="Councils running at once.")
    max_queued_runs: int = Field(
        default=256, ge=0, description="Councils waiting for a slot; past that: 429."
    )
    max_queue_wait: float = Field(
        default=30.0, gt=0, description="A council that waited this long gets 429."
    )
    max_active_runs_cluster: int | None = Field(
        default=None,
        ge=1,
        description="Councils running at once across every instance sharing COUNCIL_REDIS_URL "
        "(past it: 429); unset: only each instance's own max_active_runs.",
    )


class ModelPolicySettings(BaseModel):
    """Per-model overrides; an unset field inherits."""

    attempts: int | None = Field(default=None, ge=1)
    total_timeout: float | None = Field(default=None, gt=0)
    first_token_timeout: float | None = Field(default=None, gt=0)
    hedge: bool | None = None
    breaker: BreakerSettings | None = Field(
        default=None, description="Only honoured in the global resilience.models section."
    )


class ResilienceSettings(BaseModel):
    retry: RetrySettings = Field(default_factory=RetrySettings)
    retry_budget: RetryBudgetSettings = Field(default_factory=RetryBudgetSettings)
    breaker: BreakerSettings = Field(default_factory=BreakerSettings)
    chairman: StageDeadlineSettings = Field(default_factory=StageDeadlineSettings)
    stragglers: StragglerSettings = Field(default_factory=StragglerSettings)
    hedging: HedgeSettings = Field(default_factory=HedgeSettings)
    capacity: CapacitySettings = Field(default_factory=CapacitySettings)
    upstreams: dict[str, UpstreamLimitSettings] = Field(default_factory=dict)
    models: dict[str, ModelPolicySettings] = Field(default_factory=dict)
    title_timeout: float = Field(
        default=30.0, gt=0, description="The title call's own deadline; it never holds a run."
    )


class PresetResilienceSettings(BaseModel):
    """A preset's overrides: each section given replaces the global one for this preset."""

    retry: RetrySettings | None = None
    chairman: StageDeadlineSettings | None = None
    stragglers: StragglerSettings | None = None
    hedging: HedgeSettings | None = None
    models: dict[str, ModelPolicySettings] = Field(default_factory=dict)
