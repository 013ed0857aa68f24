"""Retries against injected faults: what is retried, how long it waits, what the user sees.

How long a retry waits is asserted from what left the system (the times the simulator captured
the calls) and from the delays the server scheduled, never from how long a council took: on a
busy machine that says nothing about the product.
"""

from __future__ import annotations

import pytest
from resilience_support import (
    GROK,
    LLAMA,
    Launch,
    ask,
    calls_to,
    inject,
    of,
    quick_resilience,
    slow,
    stage1,
)
from support import MEMBERS, new_conversation

from llmcouncil.resilience.settings import ModelPolicySettings, RetrySettings
from llmcouncil.sim import FaultSpec, LatencyProfile, SimServer


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_5xx_is_retried_on_the_same_model_until_it_answers(
    launch: Launch, sim: SimServer, status: int
) -> None:
    _, client = await launch()
    inject(sim, {GROK: [FaultSpec(status=status, times=2, prompt_kind="answer")]})
    events = await ask(client, await new_conversation(client))
    retries = of(events, "model_retry", GROK)
    assert [(r["stage"], r["attempt"], r["kind"]) for r in retries] == [
        (1, 2, "upstream_5xx"),
        (1, 3, "upstream_5xx"),
    ]
    assert calls_to(sim, GROK) == 3
    answer = stage1(events)[GROK]
    assert answer["answered_by"] == GROK and answer["fallback_from"] is None
    assert not of(events, "model_error")


async def test_429_storm_waits_for_retry_after_each_time(launch: Launch, sim: SimServer) -> None:
    _, client = await launch()
    inject(sim, {"*": [FaultSpec(status=429, times=8, retry_after_s=0.3, prompt_kind="answer")]})
    events = await ask(client, await new_conversation(client))
    retries = of(events, "model_retry")
    assert len(retries) == 8 and {r["kind"] for r in retries} == {"rate_limited"}
    # The Retry-After is honoured as given (plus at most 10 % spread), not backed off further.
    assert all(300 <= r["delay_ms"] <= 330 for r in retries), [r["delay_ms"] for r in retries]
    # Every member got its answer: nobody gave up on a rate limit.
    assert set(stage1(events)) == set(MEMBERS)
    # What left the system: no member was asked again sooner than its Retry-After.
    for model in MEMBERS:
        sent = [r.time for r in sim.requests if r.model == model and r.prompt_kind == "answer"]
        assert all(b - a >= 0.29 for a, b in zip(sent, sent[1:], strict=False)), model


async def test_a_retry_after_beyond_the_limit_moves_on_to_the_fallback_at_once(
    launch: Launch, sim: SimServer
) -> None:
    _, client = await launch(
        quick_resilience(retry=RetrySettings(backoff_initial=0.02, max_retry_after=1.0)),
        preset={"fallbacks": {GROK: [LLAMA]}},
    )
    inject(sim, {GROK: [FaultSpec(status=429, retry_after_s=60)]})
    events = await ask(client, await new_conversation(client))
    # No wait was scheduled for GROK: it was asked once, then its fallback answered.
    assert not of(events, "model_retry", GROK)
    assert calls_to(sim, GROK) == 1
    answer = stage1(events)[GROK]
    assert answer["answered_by"] == LLAMA
    assert "rate_limited" in answer["fallback_reason"]


@pytest.mark.parametrize(
    ("status", "kind"),
    [(400, "bad_request"), (401, "auth"), (402, "payment_required"), (404, "model_not_found")],
)
async def test_client_errors_are_never_retried(
    launch: Launch, sim: SimServer, status: int, kind: str
) -> None:
    _, client = await launch()
    inject(sim, {GROK: [FaultSpec(status=status, prompt_kind="answer")]})
    events = await ask(client, await new_conversation(client))
    assert not of(events, "model_retry")
    # A 400 on structured output is repeated once as text; that is not a retry of the same call.
    assert calls_to(sim, GROK) == 1
    errors = of(events, "model_error", GROK)
    assert [e["kind"] for e in errors] == [kind]


async def test_retries_stop_at_the_call_deadline(launch: Launch, sim: SimServer) -> None:
    """Fifty attempts allowed, but only what fits in the 1.5 s deadline is made."""
    _, client = await launch(
        quick_resilience(
            retry=RetrySettings(attempts=50, backoff_initial=0.2, backoff_max=0.2),
            models={GROK: ModelPolicySettings(total_timeout=1.5)},
        )
    )
    inject(sim, {GROK: [FaultSpec(status=503)]})
    events = await ask(client, await new_conversation(client))
    retries = [r for r in of(events, "model_retry", GROK) if r["stage"] == 1]
    assert retries, "a 503 is retried while the deadline leaves time"
    # The waits scheduled fit in the deadline, and the retries stopped long before fifty.
    assert sum(r["delay_ms"] for r in retries) < 1500
    assert calls_to(sim, GROK) == len(retries) + 1 < 50
    assert [e["kind"] for e in of(events, "model_error", GROK)] == ["upstream_5xx"]


async def test_a_stream_cut_midway_is_reset_then_restarted(launch: Launch, sim: SimServer) -> None:
    _, client = await launch()
    inject(sim, {GROK: [FaultSpec(cut_stream_after=2, times=1, prompt_kind="answer")]})
    cid = await new_conversation(client)
    events = await ask(client, cid)
    mine = [e for e in events if e.get("model") == GROK and e.get("stage") == 1]
    kinds = [e["type"] for e in mine]
    reset = kinds.index("model_reset")
    assert kinds[:reset] == ["model_delta", "model_delta"]
    assert kinds[reset + 1] == "model_retry" and mine[reset + 1]["kind"] == "connection"
    after = "".join(e["text"] for e in mine[reset:] if e["type"] == "model_delta")
    answer = stage1(events)[GROK]
    assert answer["response"] == after and after
    stored = (await client.get(f"/api/conversations/{cid}")).json()["messages"][1]
    assert {a["model"]: a["response"] for a in stored["stage1"]}[GROK] == after


async def test_first_token_timeout_covers_an_upstream_that_never_answers(
    launch: Launch, sim: SimServer
) -> None:
    # Long enough that the retry's first token (20 ms away) arrives in time on a busy machine.
    _, client = await launch(
        quick_resilience(models={GROK: ModelPolicySettings(first_token_timeout=1.0)})
    )
    inject(sim, {GROK: [FaultSpec(hang=True, times=1, prompt_kind="answer")]})
    events = await ask(client, await new_conversation(client))
    retry = of(events, "model_retry", GROK)
    assert len(retry) == 1 and retry[0]["kind"] == "timeout"
    assert "first token within 1 s" in retry[0]["reason"]
    assert GROK in stage1(events)


async def test_first_token_timeout_is_separate_from_the_total(
    launch: Launch, sim: SimServer
) -> None:
    """A slow first token fails fast; more than that time spent streaming is fine.

    The margins are wide (a first token 2 s late against a 1 s limit, or 0.95 s early) so that
    a busy machine cannot move either call across the limit."""
    _, client = await launch(
        quick_resilience(
            retry=RetrySettings(attempts=1),
            models={GROK: ModelPolicySettings(first_token_timeout=1.0, total_timeout=10)},
        )
    )
    slow(sim, GROK, LatencyProfile(base_ms=3500, jitter_ms=0, first_token_ms=3000))
    events = await ask(client, await new_conversation(client))
    errors = of(events, "model_error", GROK)
    assert errors and errors[0]["kind"] == "timeout"
    assert "no first token within 1 s" in errors[0]["message"]
    slow(sim, GROK, LatencyProfile(base_ms=1500, jitter_ms=0, first_token_ms=50))
    events = await ask(client, await new_conversation(client), "again")
    assert GROK in stage1(events)
