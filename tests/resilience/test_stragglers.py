"""Stragglers: a stage completes on quorum + grace; late members are cut or kept; hedging.

Every race here is won by a wide margin (a second or more), so a busy machine cannot change
who wins; what is asserted is who answered and what left the system, never how long it took.
"""

from __future__ import annotations

from resilience_support import (
    GROK,
    LLAMA,
    Launch,
    ask,
    calls_to,
    final,
    inject,
    of,
    quick_resilience,
    slow,
    stage1,
)
from support import MEMBERS, new_conversation

from llmcouncil.resilience.settings import HedgeSettings, StragglerSettings
from llmcouncil.sim import FaultSpec, LatencyProfile, SimServer

# One second of grace: the members that answer (20 ms) are never late, the hung one always is.
QUICK_GRACE = StragglerSettings(grace_min=1.0, grace_factor=1.0, grace_max=1.0)


async def test_a_hung_member_does_not_hold_the_stage(launch: Launch, sim: SimServer) -> None:
    live, client = await launch(quick_resilience(stragglers=QUICK_GRACE))
    inject(sim, {GROK: [FaultSpec(hang=True, prompt_kind="answer")]})
    cid = await new_conversation(client)
    events = await ask(client, cid)
    late = of(events, "model_late", GROK)
    assert len(late) == 1 and late[0]["stage"] == 1 and late[0]["kept"] is False
    assert "grace period" in late[0]["reason"] and "cancelled" in late[0]["reason"]
    done = next(e for e in events if e["type"] == "stage1_complete")
    assert sorted(a["model"] for a in done["data"]) == sorted(m for m in MEMBERS if m != GROK)
    assert [(e["model"], e["kind"]) for e in done["errors"]] == [(GROK, "late")]
    assert final(events)["degraded"] is False
    stored = (await client.get(f"/api/conversations/{cid}")).json()["messages"][1]
    assert [(e["model"], e["kind"]) for e in stored["errors"]] == [(GROK, "late")]
    # The hung request was abandoned, not left open against the upstream.
    assert live.runtime.caller.limits.in_flight == 0


async def test_no_straggler_policy_waits_for_everyone(launch: Launch, sim: SimServer) -> None:
    _, client = await launch(quick_resilience(stragglers=StragglerSettings(enabled=False)))
    slow(sim, GROK, LatencyProfile(base_ms=700, jitter_ms=0, first_token_ms=100))
    events = await ask(client, await new_conversation(client))
    assert not of(events, "model_late")
    assert set(stage1(events)) == set(MEMBERS)


async def test_the_grace_period_scales_with_the_time_the_quorum_took(
    launch: Launch, sim: SimServer
) -> None:
    """Quorum at ~0.3 s and grace factor 4: a member at ~0.5 s still makes it (with no
    grace at all it would be late)."""
    _, client = await launch(
        quick_resilience(stragglers=StragglerSettings(grace_min=0, grace_factor=4.0, grace_max=5))
    )
    sim.configure(
        sim.config.model_copy(update={"latency": {"*": LatencyProfile(base_ms=300, jitter_ms=0)}})
    )
    slow(sim, GROK, LatencyProfile(base_ms=500, jitter_ms=0))
    events = await ask(client, await new_conversation(client))
    assert not of(events, "model_late")
    assert set(stage1(events)) == set(MEMBERS)


async def test_a_kept_late_member_is_stored_as_late_outside_the_stage(
    launch: Launch, sim: SimServer
) -> None:
    kept = StragglerSettings(grace_min=0.1, grace_factor=0, grace_max=0.1, late="keep")
    live, client = await launch(quick_resilience(stragglers=kept))
    slow(sim, GROK, LatencyProfile(base_ms=2000, jitter_ms=0, first_token_ms=100))
    cid = await new_conversation(client)
    events = await ask(client, cid)
    late = of(events, "model_late", GROK)
    assert len(late) == 1 and late[0]["kept"] is True
    assert GROK not in stage1(events)
    await live.runtime.runs.settle_late()
    stored = (await client.get(f"/api/conversations/{cid}")).json()["messages"][1]
    assert GROK not in {a["model"] for a in stored["stage1"]}
    errors = [e for e in stored["errors"] if e["model"] == GROK]
    assert [(e["stage"], e["kind"]) for e in errors] == [(1, "late")]
    assert "answered" in errors[0]["message"] and "after the stage closed" in errors[0]["message"]


async def test_a_slow_call_is_hedged_on_its_fallback_and_the_first_answer_wins(
    launch: Launch, sim: SimServer
) -> None:
    hedging = HedgeSettings(enabled=True, min_samples=2, percentile=0.95, min_delay=0.05)
    _, client = await launch(
        quick_resilience(hedging=hedging), preset={"fallbacks": {GROK: [LLAMA]}}
    )
    cid = await new_conversation(client)
    for question in ("warm up", "warm up again"):  # two fast calls: p95 ≈ 20 ms
        await ask(client, cid, question)
    # GROK's first token is 10 s away: the hedge (after ~p95 of the warm-ups) always wins.
    slow(sim, GROK, LatencyProfile(base_ms=12_000, jitter_ms=0, first_token_ms=10_000))
    sim.clear_requests()
    events = await ask(client, cid, "now grok is slow")
    hedge = of(events, "model_hedge", GROK)
    assert hedge and hedge[0]["hedge"] == LLAMA and hedge[0]["after_ms"] >= 50
    answer = stage1(events)[GROK]
    assert answer["answered_by"] == LLAMA and "hedged" in answer["fallback_reason"]
    # Both calls left the system; only the winner's text was streamed, with no reset.
    assert calls_to(sim, GROK) == 1 and calls_to(sim, LLAMA) == 1
    assert not of(events, "model_reset", GROK)
    streamed = "".join(e["text"] for e in of(events, "model_delta", GROK) if e["stage"] == 1)
    assert streamed == answer["response"]


async def test_a_hedge_that_loses_is_cancelled(launch: Launch, sim: SimServer) -> None:
    hedging = HedgeSettings(enabled=True, min_samples=2, min_delay=0.05)
    _, client = await launch(
        quick_resilience(hedging=hedging), preset={"fallbacks": {GROK: [LLAMA]}}
    )
    cid = await new_conversation(client)
    for question in ("warm up", "warm up again"):
        await ask(client, cid, question)
    # GROK is slow to start (1 s: past the warm-ups' p95, so the hedge starts); the hedge is
    # slower still (10 s): GROK wins.
    slow(sim, GROK, LatencyProfile(base_ms=1200, jitter_ms=0, first_token_ms=1000))
    slow(sim, LLAMA, LatencyProfile(base_ms=12_000, jitter_ms=0, first_token_ms=10_000))
    events = await ask(client, cid, "close race")
    assert of(events, "model_hedge", GROK)
    answer = stage1(events)[GROK]
    assert answer["answered_by"] == GROK and answer["fallback_from"] is None
