"""An error storm (30 % 5xx + 20 % 429 on every model) with a fallback for each role.

The simulator's faults come from its seeded random source; councils run one after another, so
the fault stream is close to the same on every run. What is asserted holds for any draw that
is not wildly unlucky: breakers stay closed (a 429 is back-pressure and 30 % of 5xx is below
the failure rate that opens one), and nearly every council ends with a chairman's answer.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from resilience_support import GROK, LLAMA, MISTRAL, Launch, ask, calls_to, inject, stage1
from support import CHAIRMAN, MEMBERS, new_conversation

from llmcouncil.resilience.settings import (
    BreakerSettings,
    CapacitySettings,
    HedgeSettings,
    ResilienceSettings,
    RetrySettings,
    StragglerSettings,
)
from llmcouncil.sim import FaultSpec, SimServer

COUNCILS = 30
STORM = [
    FaultSpec(status=503, probability=0.30),
    FaultSpec(status=429, probability=0.20 / 0.70, retry_after_s=0.02),
]


def storm_resilience() -> ResilienceSettings:
    """The product's breaker and retry-budget defaults; only the waits are test-sized."""
    return ResilienceSettings(
        retry=RetrySettings(attempts=3, backoff_initial=0.01, backoff_max=0.05),
        breaker=BreakerSettings(),
        stragglers=StragglerSettings(grace_min=10.0, grace_max=10.0),
        hedging=HedgeSettings(enabled=False),
        capacity=CapacitySettings(),
    )


async def health(client: httpx.AsyncClient) -> dict[str, dict[str, Any]]:
    rows = (await client.get("/api/health/models")).json()["models"]
    return {row["model"]: row for row in rows}


# Thirty councils, one after another: a hang guard sized for a busy machine, not the suite's 120 s.
@pytest.mark.timeout(600)
async def test_a_storm_with_fallbacks_leaves_the_breakers_closed_and_the_chairman_answering(
    launch: Launch, sim: SimServer
) -> None:
    fallbacks = {m: [LLAMA] for m in MEMBERS}
    _, client = await launch(
        storm_resilience(), preset={"fallbacks": fallbacks, "chairman_fallbacks": [MISTRAL]}
    )
    inject(sim, {"*": STORM})
    answered = 0
    for i in range(COUNCILS):
        cid = await new_conversation(client)
        response = await client.post(
            f"/api/conversations/{cid}/message", json={"content": f"storm question {i}"}
        )
        assert response.status_code == 200
        body = response.json()
        answered += not body["stage3"]["degraded"]
        refused = [e for e in body.get("errors", []) if e.get("kind") == "circuit_open"]
        assert refused == []
    # The storm really raged: many attempts failed, and were retried.
    faults = [r.fault for r in sim.requests if r.fault is not None]
    assert sum(f.startswith("status:503") for f in faults) > COUNCILS
    assert sum(f.startswith("status:429") for f in faults) > COUNCILS // 2
    rows = await health(client)
    assert {m: rows[m]["times_opened"] for m in [*MEMBERS, LLAMA, MISTRAL]} == dict.fromkeys(
        [*MEMBERS, LLAMA, MISTRAL], 0
    )
    # One chairman call in 64 fails all six attempts; 90 % leaves room for an unlucky draw.
    assert answered >= COUNCILS * 0.9, f"{answered} of {COUNCILS} with a chairman's answer"
    assert CHAIRMAN in rows


async def test_429s_never_open_a_breaker(launch: Launch, sim: SimServer) -> None:
    rules = BreakerSettings(consecutive_failures=2, min_calls=2, failure_rate=0.5, cooldown=60)
    _, client = await launch(
        ResilienceSettings(
            retry=RetrySettings(attempts=3, backoff_initial=0.01, backoff_max=0.05),
            breaker=rules,
            hedging=HedgeSettings(enabled=False),
        ),
        preset={"fallbacks": {GROK: [LLAMA]}},
    )
    inject(sim, {GROK: [FaultSpec(status=429, retry_after_s=0.01, prompt_kind="answer")]})
    cid = await new_conversation(client)
    for question in ("one", "two", "three"):
        events = await ask(client, cid, question)
        assert stage1(events)[GROK]["answered_by"] == LLAMA
    row = (await health(client))[GROK]
    assert row["state"] == "closed" and row["times_opened"] == 0
    # Every question still asked GROK, three times (its Retry-After honoured each time).
    assert calls_to(sim, GROK) == 9
