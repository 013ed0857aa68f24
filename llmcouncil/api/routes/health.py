"""``GET /api/health/models``: every model's circuit breaker, and the server's load.

Lists each configured model (members, chairmen, fallbacks, title models of every preset) and any
other model the server has called, with its breaker state, recent failure rate, when an open
circuit will next let a probe through, and the last error; plus calls in flight per upstream and
councils running and waiting.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from llmcouncil.api.deps import RuntimeDep
from llmcouncil.errors import ConfigError
from llmcouncil.resilience.breaker_store import BreakerState, BreakerView

router = APIRouter(tags=["system"])


class ModelHealthPublic(BaseModel):
    model: str  # as configured, or the breaker key for a model called ad hoc
    provider: str | None
    upstream_model: str | None
    state: BreakerState
    consecutive_failures: int
    window_calls: int
    window_failures: int
    failure_rate: float
    opened_at: str | None
    next_probe_in_s: float | None  # open circuits only
    probe_in_flight: bool
    last_failure_at: str | None
    last_error: str | None
    times_opened: int


class ModelsHealthPublic(BaseModel):
    models: list[ModelHealthPublic]
    open: list[str]  # models whose circuit is not closed
    calls: dict[str, Any]
    runs: dict[str, Any]


def _iso(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, tz=UTC).isoformat()


def _configured_models(runtime: RuntimeDep) -> list[str]:
    return runtime.settings.model_refs()


@router.get("/api/health/models", response_model=ModelsHealthPublic)
async def models_health(runtime: RuntimeDep) -> dict[str, Any]:
    breakers = runtime.caller.breakers
    seen = {view.key: view for view in await breakers.views()}
    rows: list[dict[str, Any]] = []
    listed: set[str] = set()
    for ref in _configured_models(runtime):
        try:
            resolved = runtime.registry.resolve(ref)
        except ConfigError:
            continue
        key = f"{resolved.provider.name}:{resolved.model}"
        view = seen.get(key) or await breakers.view(key)
        rows.append(_row(ref, resolved.provider.name, resolved.model, view, runtime))
        listed.add(key)
    for key, view in seen.items():
        if key not in listed:
            provider, _, model = key.partition(":")
            rows.append(_row(model, provider, model, view, runtime))
    return {
        "models": rows,
        "open": [r["model"] for r in rows if r["state"] is not BreakerState.CLOSED],
        "calls": runtime.caller.limits.stats(),
        "runs": runtime.runs.admission.stats(),
    }


def _row(
    model: str, provider: str, upstream_model: str, view: BreakerView, runtime: RuntimeDep
) -> dict[str, Any]:
    breakers = runtime.caller.breakers
    closed = view.state is BreakerState.CLOSED
    return {
        "model": model,
        "provider": provider,
        "upstream_model": upstream_model,
        "state": view.state,
        "consecutive_failures": view.consecutive_failures,
        "window_calls": view.window_calls,
        "window_failures": view.window_failures,
        "failure_rate": round(view.failure_rate, 3),
        "opened_at": _iso(view.opened_at),
        "next_probe_in_s": None if closed else round(breakers.retry_in(view, model), 1),
        "probe_in_flight": view.state is BreakerState.HALF_OPEN
        and view.probe_started_at is not None,
        "last_failure_at": _iso(view.last_failure_at),
        "last_error": view.last_error,
        "times_opened": view.times_opened,
    }
