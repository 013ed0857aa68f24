"""Backpressure: a full queue answers 429 with Retry-After; in-flight and rpm limits hold."""

from __future__ import annotations

import asyncio

import httpx
from resilience_support import Launch, ask, inject, of, quick_resilience, slow
from support import MEMBERS, new_conversation

from llmcouncil.resilience.settings import (
    CapacitySettings,
    ModelPolicySettings,
    UpstreamLimitSettings,
)
from llmcouncil.sim import FaultSpec, LatencyProfile, SimServer


def capacity(**values: object) -> CapacitySettings:
    return CapacitySettings.model_validate(values)


async def hold_a_council(client: httpx.AsyncClient, cid: str) -> asyncio.Task[list[dict]]:
    """Start a streamed council that stays in stage 1 until the hang fault is lifted."""
    task = asyncio.create_task(ask(client, cid, "hold the slot"))
    return task


async def wait_for_active(live: object, count: int) -> None:
    runs = live.runtime.runs  # type: ignore[attr-defined]
    while runs.admission.active < count:
        await asyncio.sleep(0.01)


async def test_past_the_queue_new_councils_get_429_with_retry_after(
    launch: Launch, sim: SimServer
) -> None:
    live, client = await launch(
        quick_resilience(capacity=capacity(max_active_runs=1, max_queued_runs=0))
    )
    inject(sim, {"*": [FaultSpec(hang=True, prompt_kind="answer")]})
    cid = await new_conversation(client)
    held = await hold_a_council(client, cid)
    await wait_for_active(live, 1)
    other = await new_conversation(client)
    response = await client.post(f"/api/conversations/{other}/message", json={"content": "hi"})
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) >= 1
    assert response.json()["detail"]["code"] == "overloaded"
    streamed = await client.post(
        f"/api/conversations/{other}/message/stream", json={"content": "hi"}
    )
    assert streamed.status_code == 429
    # Nothing was stored for the refused councils.
    assert (await client.get(f"/api/conversations/{other}")).json()["messages"] == []
    health = (await client.get("/api/health/models")).json()
    assert health["runs"]["rejected"] == 2 and health["runs"]["active"] == 1
    held.cancel()
    await asyncio.gather(held, return_exceptions=True)
    inject(sim, {})
    while live.runtime.runs.admission.active:  # the cancelled run gives its slot back
        await asyncio.sleep(0.01)
    response = await client.post(f"/api/conversations/{other}/message", json={"content": "hi"})
    assert response.status_code == 200


async def test_a_queued_council_waits_its_turn_then_runs(launch: Launch, sim: SimServer) -> None:
    live, client = await launch(
        quick_resilience(capacity=capacity(max_active_runs=1, max_queued_runs=1))
    )
    slow(sim, "*", LatencyProfile(base_ms=150, jitter_ms=0))
    first, second = await new_conversation(client), await new_conversation(client)
    results = await asyncio.gather(
        client.post(f"/api/conversations/{first}/message", json={"content": "one"}),
        client.post(f"/api/conversations/{second}/message", json={"content": "two"}),
    )
    assert [r.status_code for r in results] == [200, 200]
    assert live.runtime.runs.admission.rejected == 0


async def test_a_council_that_waited_too_long_in_line_gets_429(
    launch: Launch, sim: SimServer
) -> None:
    live, client = await launch(
        quick_resilience(
            capacity=capacity(max_active_runs=1, max_queued_runs=5, max_queue_wait=0.2)
        )
    )
    inject(sim, {"*": [FaultSpec(hang=True, prompt_kind="answer")]})
    held = await hold_a_council(client, await new_conversation(client))
    await wait_for_active(live, 1)
    other = await new_conversation(client)
    response = await client.post(f"/api/conversations/{other}/message", json={"content": "hi"})
    assert response.status_code == 429
    assert "within 0.2 s" in response.json()["detail"]["message"]
    held.cancel()
    await asyncio.gather(held, return_exceptions=True)


async def test_calls_in_flight_per_upstream_are_capped(launch: Launch, sim: SimServer) -> None:
    _, client = await launch(quick_resilience(capacity=capacity(max_inflight_per_upstream=2)))
    slow(sim, "*", LatencyProfile(base_ms=100, jitter_ms=0))
    events = await ask(client, await new_conversation(client))
    assert events[-1]["type"] == "complete"
    stats = (await client.get(f"{sim.root_url}/_sim/stats")).json()
    assert stats["peak"] == 2


async def test_the_upstreams_rpm_is_respected_and_overflow_fails_without_calling(
    launch: Launch, sim: SimServer
) -> None:
    # Long enough for a call that got its slot (20 ms) to end in time on a busy machine; the
    # calls left without a slot wait this long before they give up.
    short = ModelPolicySettings(total_timeout=2.0)
    _, client = await launch(
        quick_resilience(
            upstreams={"sim": UpstreamLimitSettings(rpm=3)},
            models=dict.fromkeys([*MEMBERS, "google/gemini-2.5-flash"], short),
        )
    )
    events = await ask(client, await new_conversation(client))
    # Three calls this minute reached the upstream; the others could not be sent in time.
    assert len(sim.requests) == 3
    errors = [e for e in of(events, "model_error") if e["stage"] == 1]
    assert errors and {e["kind"] for e in errors} == {"capacity"}
    assert all("rpm" in e["message"] for e in errors)
    assert events[-1]["type"] == "complete"
