"""The ``[usage]`` section: prices, budget reservations and rate limits.

Cost comes from the upstream's ``usage.cost`` when it gives one, else from ``usage.prices``
(per million tokens, keyed by model id; ``"*"`` is the fallback entry), else it is unknown and
counted as zero. A run reserves ``reserve_cost`` / ``reserve_tokens`` of every hard budget that
applies before its first upstream call and settles to the real amounts when it ends.
"""

from __future__ import annotations

from pydantic import BaseModel, Field


class ModelPrice(BaseModel):
    prompt: float = Field(ge=0, description="Currency units per million prompt tokens.")
    completion: float = Field(ge=0, description="Currency units per million completion tokens.")


class RateLimitSettings(BaseModel):
    """Defaults per user (and per API key that has its own); ``None`` switches a limit off."""

    requests_per_minute: int | None = Field(default=600, ge=1)
    runs_per_minute: int | None = Field(default=30, ge=1)


class UsageSettings(BaseModel):
    currency: str = "USD"
    prices: dict[str, ModelPrice] = Field(default_factory=dict)
    reserve_cost: float = Field(
        default=0.25, ge=0, description="Held from each cost budget while a run is in flight."
    )
    reserve_tokens: int = Field(
        default=20_000, ge=0, description="Held from each token budget while a run is in flight."
    )
    rate_limits: RateLimitSettings = Field(default_factory=RateLimitSettings)
