"""Circuit breakers against a failing member: open, fail fast, fall back, probe, recover."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from resilience_support import (
    GROK,
    LLAMA,
    MISTRAL,
    Launch,
    ask,
    calls_to,
    inject,
    of,
    quick_resilience,
    stage1,
)
from support import new_conversation

from llmcouncil.resilience.settings import BreakerSettings, RetrySettings
from llmcouncil.sim import FaultSpec, SimServer


async def health(client: httpx.AsyncClient) -> dict[str, dict[str, Any]]:
    response = await client.get("/api/health/models")
    assert response.status_code == 200
    return {row["model"]: row for row in response.json()["models"]}


def breaker_settings(**rules: Any) -> Any:
    """A cool-down no test outlasts: an open circuit stays open however slow the machine."""
    return quick_resilience(
        retry=RetrySettings(attempts=1),
        breaker=BreakerSettings(**{"consecutive_failures": 2, "cooldown": 60, **rules}),
    )


async def test_a_failing_member_opens_its_circuit_and_falls_back_unsent_while_open(
    launch: Launch, sim: SimServer
) -> None:
    """The cool-down is far away here; what happens when it passes (one probe, which closes or
    reopens the circuit) is driven on an injected clock in test_breaker_clock.py."""
    _, client = await launch(breaker_settings(cooldown=60), preset={"fallbacks": {GROK: [LLAMA]}})
    inject(sim, {GROK: [FaultSpec(status=503)]})
    cid = await new_conversation(client)
    assert (await health(client))[GROK]["state"] == "closed"
    for question in ("one", "two"):  # two failures in a row: the circuit opens
        events = await ask(client, cid, question)
        assert stage1(events)[GROK]["answered_by"] == LLAMA
    row = (await health(client))[GROK]
    assert row["state"] == "open" and row["consecutive_failures"] >= 2
    assert row["times_opened"] == 1
    assert "upstream_5xx" in row["last_error"] and 0 < row["next_probe_in_s"] <= 60

    # While open: no call reaches the failing upstream, the fallback answers at once.
    sim.clear_requests()
    events = await ask(client, cid, "three")
    assert calls_to(sim, GROK) == 0
    answer = stage1(events)[GROK]
    assert answer["answered_by"] == LLAMA and "circuit_open" in answer["fallback_reason"]
    fallback = of(events, "model_fallback", GROK)
    assert fallback and "circuit" in fallback[0]["reason"]
    assert (await health(client))[GROK]["times_opened"] == 1


async def test_failure_rate_over_the_window_opens_the_circuit(
    launch: Launch, sim: SimServer
) -> None:
    _, client = await launch(
        breaker_settings(consecutive_failures=100, failure_rate=0.5, min_calls=4, window=30),
        preset={"fallbacks": {GROK: [LLAMA]}},
    )
    # Every other call fails: never two in a row, but half of them.
    inject(sim, {GROK: [FaultSpec(status=502, probability=0.5)]})
    cid = await new_conversation(client)
    for i in range(12):
        await ask(client, cid, f"question {i}")
        if (await health(client))[GROK]["state"] == "open":
            break
    row = (await health(client))[GROK]
    assert row["state"] == "open"
    assert row["window_failures"] / row["window_calls"] >= 0.5


async def test_when_every_candidate_is_open_the_least_recently_failed_is_probed(
    launch: Launch, sim: SimServer
) -> None:
    _, client = await launch(
        breaker_settings(cooldown=60), preset={"fallbacks": {GROK: [LLAMA, MISTRAL]}}
    )
    inject(
        sim,
        {
            GROK: [FaultSpec(status=503)],
            LLAMA: [FaultSpec(status=503)],
            MISTRAL: [FaultSpec(status=503)],
        },
    )
    cid = await new_conversation(client)
    for question in ("one", "two"):
        await ask(client, cid, question)
    rows = await health(client)
    assert {rows[m]["state"] for m in (GROK, LLAMA, MISTRAL)} == {"open"}

    # All open, cool-down far away: instead of failing without trying, one probe goes out,
    # to the candidate that failed least recently (GROK, tried first each time).
    sim.clear_requests()
    events = await ask(client, cid, "three")
    assert [
        r.model
        for r in sim.requests
        if r.prompt_kind == "answer" and r.model in (GROK, LLAMA, MISTRAL)
    ] == [GROK]
    error = of(events, "model_error", GROK)[0]
    assert "circuit of every candidate is open" in error["message"]
    assert f"probed {GROK}" in error["message"]

    # The upstreams recover. GROK just failed its probe, so now the least recently failed is
    # LLAMA: it is probed, answers for GROK and its circuit closes, with no cool-down waited.
    inject(sim, {})
    events = await ask(client, cid, "four")
    assert stage1(events)[GROK]["answered_by"] == LLAMA
    rows = await health(client)
    assert rows[LLAMA]["state"] == "closed" and rows[GROK]["state"] == "open"


async def test_only_one_probe_at_a_time_when_every_candidate_is_open(
    launch: Launch, sim: SimServer
) -> None:
    _, client = await launch(breaker_settings(cooldown=60))
    inject(sim, {GROK: [FaultSpec(status=503)]})
    cid = await new_conversation(client)
    for question in ("one", "two"):
        await ask(client, cid, question)
    # The probe hangs; meanwhile another council must fail fast rather than pile on.
    inject(sim, {GROK: [FaultSpec(hang=True, prompt_kind="answer")]})
    sim.clear_requests()
    other = await new_conversation(client)
    first = asyncio.create_task(ask(client, cid, "probe that hangs"))
    while calls_to(sim, GROK) == 0:  # no timing: the loop ends when the probe was sent
        await asyncio.sleep(0.01)
    events = await ask(client, other, "meanwhile")
    # The other council ended while the probe still hangs: it did not wait for it.
    assert not first.done()
    error = of(events, "model_error", GROK)[0]
    assert error["kind"] == "circuit_open" and "already in flight" in error["message"]
    assert calls_to(sim, GROK) == 1
    first.cancel()
    await asyncio.gather(first, return_exceptions=True)


async def test_client_errors_do_not_open_the_circuit(launch: Launch, sim: SimServer) -> None:
    _, client = await launch(breaker_settings())
    inject(sim, {GROK: [FaultSpec(status=402, prompt_kind="answer")]})
    cid = await new_conversation(client)
    for question in ("one", "two", "three"):
        await ask(client, cid, question)
    assert (await health(client))[GROK]["state"] == "closed"


async def test_health_lists_every_configured_model_and_the_load(
    launch: Launch, sim: SimServer
) -> None:
    _, client = await launch(preset={"fallbacks": {GROK: [LLAMA]}, "chairman_fallbacks": [MISTRAL]})
    body = (await client.get("/api/health/models")).json()
    models = {row["model"] for row in body["models"]}
    assert {GROK, LLAMA, MISTRAL, "google/gemini-2.5-flash"} <= models
    assert body["open"] == []
    assert {"in_flight", "max_inflight_calls", "upstreams"} <= set(body["calls"])
    assert {"active", "queued", "max_active", "max_queued", "rejected"} <= set(body["runs"])
