"""Helpers for resilience tests: short durations everywhere, faults injected into the simulator."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from support import LiveServer, stream_events

from llmcouncil.resilience.settings import (
    BreakerSettings,
    CapacitySettings,
    HedgeSettings,
    ResilienceSettings,
    RetrySettings,
    StragglerSettings,
)
from llmcouncil.sim import FaultSpec, LatencyProfile, SimServer

GROK = "x-ai/grok-4"
LLAMA = "meta-llama/llama-3.3-70b-instruct"
MISTRAL = "mistralai/mistral-large"

# The ``launch`` fixture: (resilience settings, **settings overrides) -> (server, client).
Launch = Callable[..., Awaitable[tuple[LiveServer, httpx.AsyncClient]]]


def quick_resilience(**sections: Any) -> ResilienceSettings:
    """Resilience settings with test-sized durations; ``sections`` replace whole sections."""
    values: dict[str, Any] = {
        "retry": RetrySettings(attempts=3, backoff_initial=0.02, backoff_max=0.1),
        "breaker": BreakerSettings(consecutive_failures=3, cooldown=0.3),
        "stragglers": StragglerSettings(grace_min=10.0, grace_max=10.0),
        "hedging": HedgeSettings(enabled=False),
        "capacity": CapacitySettings(),
        **sections,
    }
    return ResilienceSettings(**values)


def inject(sim: SimServer, faults: dict[str, list[FaultSpec]]) -> None:
    sim.configure(sim.config.model_copy(update={"faults": faults}))


def slow(sim: SimServer, model: str, profile: LatencyProfile) -> None:
    latency = {**sim.config.latency, model: profile}
    sim.configure(sim.config.model_copy(update={"latency": latency}))


def calls_to(sim: SimServer, model: str, kind: str = "answer") -> int:
    return sum(1 for r in sim.requests if r.model == model and r.prompt_kind == kind)


async def ask(
    client: httpx.AsyncClient, cid: str, question: str = "Why is the sky blue?"
) -> list[dict[str, Any]]:
    return await stream_events(
        client, f"/api/conversations/{cid}/message/stream", json_body={"content": question}
    )


def of(events: list[dict[str, Any]], kind: str, model: str | None = None) -> list[dict[str, Any]]:
    return [e for e in events if e["type"] == kind and (model is None or e.get("model") == model)]


def stage1(events: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    done = next(e for e in events if e["type"] == "stage1_complete")
    return {a["model"]: a for a in done["data"]}


def final(events: list[dict[str, Any]]) -> dict[str, Any]:
    return dict(next(e for e in events if e["type"] == "stage3_complete")["data"])
