"""What one model call cost: the upstream's own figure when it gave one, else the price table."""

from __future__ import annotations

from dataclasses import dataclass

from llmcouncil.usage.settings import ModelPrice, UsageSettings

UPSTREAM = "upstream"
PRICE_TABLE = "price_table"
UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class CallCost:
    cost: float
    source: str  # upstream | price_table | unknown


def price_for(settings: UsageSettings, *models: str | None) -> ModelPrice | None:
    """The first price-table entry naming one of ``models`` (with or without a provider
    prefix such as ``openai:``), else the ``"*"`` entry."""
    prices = settings.prices
    for model in models:
        if not model:
            continue
        for name in (model, model.partition(":")[2]):
            if name and name in prices:
                return prices[name]
    return prices.get("*")


def call_cost(
    settings: UsageSettings,
    *,
    models: tuple[str | None, ...],
    prompt_tokens: int,
    completion_tokens: int,
    upstream_cost: float | None,
) -> CallCost:
    if upstream_cost is not None:
        return CallCost(cost=float(upstream_cost), source=UPSTREAM)
    price = price_for(settings, *models)
    if price is None:
        return CallCost(cost=0.0, source=UNKNOWN)
    cost = (prompt_tokens * price.prompt + completion_tokens * price.completion) / 1_000_000
    return CallCost(cost=cost, source=PRICE_TABLE)
