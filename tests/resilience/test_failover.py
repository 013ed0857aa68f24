"""Fallbacks: who really answered and why is stored and shown; total failure is explicit."""

from __future__ import annotations

from resilience_support import (
    GROK,
    LLAMA,
    MISTRAL,
    Launch,
    ask,
    calls_to,
    final,
    inject,
    of,
    quick_resilience,
    stage1,
)
from support import CHAIRMAN, MEMBERS, new_conversation

from llmcouncil.resilience.settings import BreakerSettings, ModelPolicySettings, RetrySettings
from llmcouncil.sim import FaultSpec, SimServer


async def test_a_member_fallback_is_recorded_with_its_reason(
    launch: Launch, sim: SimServer
) -> None:
    _, client = await launch(preset={"fallbacks": {GROK: [LLAMA]}})
    inject(sim, {GROK: [FaultSpec(status=503)]})
    cid = await new_conversation(client)
    events = await ask(client, cid)
    switched = [e for e in of(events, "model_fallback", GROK) if e["stage"] == 1]
    assert [e["fallback"] for e in switched] == [LLAMA]
    answer = stage1(events)[GROK]
    assert answer["answered_by"] == LLAMA and answer["fallback_from"] == GROK
    assert "upstream_5xx" in answer["fallback_reason"] and "503" in answer["fallback_reason"]
    stored = (await client.get(f"/api/conversations/{cid}")).json()["messages"][1]
    saved = {a["model"]: a for a in stored["stage1"]}[GROK]
    assert (saved["answered_by"], saved["fallback_reason"]) == (LLAMA, answer["fallback_reason"])
    # The member was retried before its fallback ran: 3 attempts.
    assert calls_to(sim, GROK) == 3


async def test_the_chairman_fails_over_to_its_fallback(launch: Launch, sim: SimServer) -> None:
    _, client = await launch(preset={"chairman_fallbacks": [MISTRAL]})
    inject(sim, {CHAIRMAN: [FaultSpec(status=500, prompt_kind="chairman")]})
    cid = await new_conversation(client)
    events = await ask(client, cid)
    result = final(events)
    assert result["degraded"] is False
    assert result["model"] == CHAIRMAN and result["answered_by"] == MISTRAL
    assert result["fallback_from"] == CHAIRMAN and "500" in result["fallback_reason"]
    assert of(events, "model_fallback", CHAIRMAN)[0]["fallback"] == MISTRAL
    stored = (await client.get(f"/api/conversations/{cid}")).json()["messages"][1]
    assert stored["stage3"]["answered_by"] == MISTRAL


async def test_every_chairman_failing_degrades_to_the_top_answer(
    launch: Launch, sim: SimServer
) -> None:
    _, client = await launch(preset={"chairman_fallbacks": [MISTRAL]})
    inject(sim, {"*": [FaultSpec(status=503, prompt_kind="chairman")]})
    events = await ask(client, await new_conversation(client))
    result = final(events)
    assert result["degraded"] is True and "every chairman failed" in result["degraded_reason"]
    assert events[-1]["type"] == "complete"


async def test_all_members_failing_is_one_explicit_error_and_breakers_open(
    launch: Launch, sim: SimServer
) -> None:
    _, client = await launch(
        quick_resilience(
            retry=RetrySettings(attempts=2, backoff_initial=0.01, backoff_max=0.02),
            breaker=BreakerSettings(consecutive_failures=2, cooldown=30),
        )
    )
    inject(sim, {"*": [FaultSpec(status=503, prompt_kind="answer")]})
    cid = await new_conversation(client)
    events = await ask(client, cid)
    error = events[-1]
    assert error["type"] == "error" and error["code"] == "council_failed"
    assert {f["model"]: f["kind"] for f in error["failures"]} == dict.fromkeys(
        MEMBERS, "upstream_5xx"
    )
    health = (await client.get("/api/health/models")).json()
    assert set(MEMBERS) <= set(health["open"])
    # The next council still probes each member once rather than failing without trying.
    sim.clear_requests()
    events = await ask(client, cid, "again")
    assert sorted(r.model for r in sim.requests if r.prompt_kind == "answer") == sorted(MEMBERS)
    assert all("probed" in f["message"] for f in events[-1]["failures"])


async def test_a_hung_member_of_a_plain_request_is_replaced_by_its_fallback(
    launch: Launch, sim: SimServer
) -> None:
    """A client that only waits for the result gets no token events, but the upstream calls
    still stream: a member that never answers misses its first-token deadline and its fallback
    answers, instead of the member being cut (and lost) by the straggler policy."""
    policy = quick_resilience(
        retry=RetrySettings(attempts=1),
        models={GROK: ModelPolicySettings(first_token_timeout=0.3)},
    )
    _, client = await launch(policy, preset={"fallbacks": {GROK: [LLAMA]}})
    inject(sim, {GROK: [FaultSpec(hang=True, prompt_kind="answer")]})
    cid = await new_conversation(client)
    answer = await client.post(f"/api/conversations/{cid}/message", json={"content": "Why?"})
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert result["errors"] == []
    members = {a["model"]: a for a in result["stage1"]}
    assert set(members) == set(MEMBERS)
    assert members[GROK]["answered_by"] == LLAMA
    assert "timeout" in members[GROK]["fallback_reason"]
