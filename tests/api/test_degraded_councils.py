"""Faults injected in the simulated upstream reach the user; the council degrades as specified."""

from __future__ import annotations

from typing import Any

import httpx
from support import CHAIRMAN, MEMBERS, LiveServer, new_conversation, stream_events, types

from llmcouncil.sim import FaultSpec, SimServer


def inject(sim: SimServer, faults: dict[str, list[FaultSpec]]) -> None:
    sim.configure(sim.config.model_copy(update={"faults": faults}))


async def test_a_failing_member_is_dropped_and_its_real_reason_shown(
    client: httpx.AsyncClient,
    sim: SimServer,
) -> None:
    inject(sim, {"x-ai/grok-4": [FaultSpec(status=402)]})
    cid = await new_conversation(client)
    events = await stream_events(
        client,
        f"/api/conversations/{cid}/message/stream",
        json_body={"content": "Is P equal to NP?"},
    )
    errors = [e for e in events if e["type"] == "model_error"]
    assert [(e["stage"], e["model"], e["kind"]) for e in errors] == [
        (1, "x-ai/grok-4", "payment_required")
    ]
    assert "402" in errors[0]["message"]
    stage1 = next(e for e in events if e["type"] == "stage1_complete")
    assert [a["model"] for a in stage1["data"]] == [m for m in MEMBERS if m != "x-ai/grok-4"]
    assert stage1["errors"][0]["model"] == "x-ai/grok-4"
    metadata = next(e for e in events if e["type"] == "stage2_complete")["metadata"]
    assert len(metadata["label_to_model"]) == 3
    assert types(events)[-1] == "complete"
    stored = (await client.get(f"/api/conversations/{cid}")).json()["messages"][1]
    assert stored["errors"] == [
        {
            "stage": 1,
            "model": "x-ai/grok-4",
            "kind": "payment_required",
            "message": errors[0]["message"],
            "status": 402,
        }
    ]


async def test_every_member_failing_is_an_explicit_error_listing_each_reason(
    client: httpx.AsyncClient,
    sim: SimServer,
) -> None:
    inject(
        sim,
        {
            "*": [FaultSpec(status=401, prompt_kind="answer")],
            "google/gemini-3-pro-preview": [FaultSpec(status=404, prompt_kind="answer")],
        },
    )
    cid = await new_conversation(client)
    events = await stream_events(
        client, f"/api/conversations/{cid}/message/stream", json_body={"content": "anything"}
    )
    final = events[-1]
    assert final["type"] == "error" and final["code"] == "council_failed"
    reasons = {f["model"]: f["kind"] for f in final["failures"]}
    assert reasons == {
        "openai/gpt-5.1": "auth",
        "google/gemini-3-pro-preview": "model_not_found",
        "anthropic/claude-sonnet-4.5": "auth",
        "x-ai/grok-4": "auth",
    }
    for model in MEMBERS:
        assert model in final["message"]
    assistant = (await client.get(f"/api/conversations/{cid}")).json()["messages"][1]
    assert assistant["status"] == "failed"
    assert assistant["error"]["code"] == "council_failed"
    # Non-streamed: a gateway error with the same reasons.
    response = await client.post(f"/api/conversations/{cid}/message", json={"content": "again"})
    assert response.status_code == 502
    detail = response.json()["detail"]
    assert detail["code"] == "council_failed" and len(detail["failures"]) == 4
    assert detail["run_id"]


async def test_a_single_surviving_answer_skips_ranking_and_says_so(
    client: httpx.AsyncClient,
    sim: SimServer,
) -> None:
    inject(sim, {"*": [FaultSpec(status=403, prompt_kind="answer")], "openai/gpt-5.1": []})
    cid = await new_conversation(client)
    events = await stream_events(
        client, f"/api/conversations/{cid}/message/stream", json_body={"content": "one survivor"}
    )
    stage2 = next(e for e in events if e["type"] == "stage2_complete")
    assert stage2["data"] == []
    assert stage2["metadata"]["ranking_skipped"] is True
    assert "one answer" in stage2["metadata"]["ranking_skipped_reason"]
    assert not [r for r in sim.requests if r.prompt_kind == "ranking"]
    assert types(events)[-1] == "complete"


async def test_chairman_fails_over_to_its_fallback_and_records_why(
    make_settings: Any,
    start_server: Any,
    sim: SimServer,
) -> None:
    live: LiveServer = await start_server(
        make_settings(preset={"chairman_fallbacks": ["anthropic/claude-sonnet-4.5"]})
    )
    inject(sim, {CHAIRMAN: [FaultSpec(status=401, prompt_kind="chairman")]})
    async with httpx.AsyncClient(base_url=live.base_url, timeout=30) as http:
        cid = await new_conversation(http)
        events = await stream_events(
            http, f"/api/conversations/{cid}/message/stream", json_body={"content": "chair please"}
        )
        fallback = [e for e in events if e["type"] == "model_fallback"]
        assert fallback == [
            {
                "type": "model_fallback",
                "stage": 3,
                "model": CHAIRMAN,
                "fallback": "anthropic/claude-sonnet-4.5",
                "reason": fallback[0]["reason"],
            }
        ]
        assert "auth" in fallback[0]["reason"]
        final = next(e for e in events if e["type"] == "stage3_complete")["data"]
        assert final["degraded"] is False
        assert final["model"] == CHAIRMAN
        assert final["answered_by"] == "anthropic/claude-sonnet-4.5"
        assert final["fallback_from"] == CHAIRMAN and "401" in final["fallback_reason"]
        stored = (await http.get(f"/api/conversations/{cid}")).json()["messages"][1]
        assert stored["stage3"] == final


async def test_every_chairman_failing_offers_the_top_answer_honestly(
    client: httpx.AsyncClient,
    sim: SimServer,
) -> None:
    inject(sim, {CHAIRMAN: [FaultSpec(status=401, prompt_kind="chairman")]})
    cid = await new_conversation(client)
    events = await stream_events(
        client, f"/api/conversations/{cid}/message/stream", json_body={"content": "no chair"}
    )
    stage2 = next(e for e in events if e["type"] == "stage2_complete")
    final = next(e for e in events if e["type"] == "stage3_complete")
    top = stage2["metadata"]["aggregate_rankings"][0]["model"]
    answers = {
        a["model"]: a["response"]
        for a in next(e for e in events if e["type"] == "stage1_complete")["data"]
    }
    assert final["data"]["degraded"] is True and final["data"]["model"] is None
    assert final["data"]["top_ranked_model"] == top
    assert "No synthesis was produced" in final["data"]["response"]
    assert answers[top] in final["data"]["response"]
    assert final["errors"][0]["model"] == CHAIRMAN and final["errors"][0]["kind"] == "auth"


async def test_malformed_reply_and_cut_stream_are_named_as_such(
    client: httpx.AsyncClient,
    sim: SimServer,
) -> None:
    inject(
        sim,
        {
            "openai/gpt-5.1": [FaultSpec(malformed=True, prompt_kind="answer")],
            "x-ai/grok-4": [FaultSpec(cut_stream_after=2, prompt_kind="answer")],
        },
    )
    cid = await new_conversation(client)
    events = await stream_events(
        client, f"/api/conversations/{cid}/message/stream", json_body={"content": "faulty"}
    )
    kinds = {e["model"]: e["kind"] for e in events if e["type"] == "model_error"}
    assert kinds["openai/gpt-5.1"] == "malformed_response"
    assert kinds["x-ai/grok-4"] == "connection"
    assert types(events)[-1] == "complete"


async def test_reviewer_text_that_cannot_be_parsed_is_marked_not_fatal(
    make_settings: Any,
    start_server: Any,
    sim: SimServer,
) -> None:
    live: LiveServer = await start_server(make_settings(preset={"structured_rankings": False}))
    inject(sim, {"x-ai/grok-4": [FaultSpec(empty=True, prompt_kind="ranking")]})
    async with httpx.AsyncClient(base_url=live.base_url, timeout=30) as http:
        cid = await new_conversation(http)
        body = (
            await http.post(f"/api/conversations/{cid}/message", json={"content": "rank me"})
        ).json()
    reviews = {r["model"]: r for r in body["stage2"]}
    assert reviews["x-ai/grok-4"]["parse_status"] == "failed"
    assert reviews["openai/gpt-5.1"]["parse_status"] == "ok"
    assert reviews["openai/gpt-5.1"]["parse_source"] == "text"
    # Only reviewers whose ranking could be read count towards agreement.
    assert body["metadata"]["agreement"]["reviewers"] == 3
    assert body["status"] == "complete"
