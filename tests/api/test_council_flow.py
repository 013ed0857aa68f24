"""A whole council over HTTP against the simulated upstream: shapes, events, what left."""

from __future__ import annotations

from typing import Any

import httpx
from support import CHAIRMAN, MEMBERS, LiveServer, new_conversation, stream_events, types

from llmcouncil.sim import SimServer


async def test_streamed_council_emits_the_original_events_in_order(
    client: httpx.AsyncClient,
) -> None:
    cid = await new_conversation(client)
    events = await stream_events(
        client,
        f"/api/conversations/{cid}/message/stream",
        json_body={"content": "Why is the sky blue?"},
    )
    order = [t for t in types(events) if t != "title_complete"]
    assert order == [
        "run_start",
        "stage1_start",
        "stage1_complete",
        "stage2_start",
        "stage2_complete",
        "stage3_start",
        "stage3_complete",
        "complete",
    ]
    assert "title_complete" in types(events)
    deltas = [e for e in events if e["type"] == "model_delta"]
    assert {e["stage"] for e in deltas} == {1, 2, 3}
    assert {e["model"] for e in deltas if e["stage"] == 1} == set(MEMBERS)
    stage1 = next(e for e in events if e["type"] == "stage1_complete")["data"]
    assert [a["model"] for a in stage1] == MEMBERS
    for answer in stage1:
        streamed = "".join(
            e["text"] for e in deltas if e["stage"] == 1 and e["model"] == answer["model"]
        )
        assert streamed == answer["response"]
        assert answer["usage"]["completion_tokens"] > 0
        assert answer["simulated"] is True
    stage2 = next(e for e in events if e["type"] == "stage2_complete")
    labels = stage2["metadata"]["label_to_model"]
    assert sorted(labels) == ["Response A", "Response B", "Response C", "Response D"]
    assert sorted(labels.values()) == sorted(MEMBERS)
    for review in stage2["data"]:
        assert review["parse_status"] == "ok"
        assert sorted(review["parsed_ranking"]) == sorted(labels)
        assert labels[review["own_label"]] == review["model"]
    rows = stage2["metadata"]["aggregate_rankings"]
    assert {r["model"] for r in rows} == set(MEMBERS)
    assert all(set(r) == {"model", "average_rank", "rankings_count"} for r in rows)
    assert stage2["metadata"]["agreement"]["reviewers"] == 4
    final = next(e for e in events if e["type"] == "stage3_complete")["data"]
    assert final["model"] == CHAIRMAN and final["degraded"] is False and final["response"]


async def test_each_reviewer_sees_its_own_order_and_the_order_is_stored(
    client: httpx.AsyncClient,
    sim: SimServer,
) -> None:
    cid = await new_conversation(client)
    response = await client.post(
        f"/api/conversations/{cid}/message", json={"content": "Compare tabs and spaces"}
    )
    assert response.status_code == 200
    result = response.json()
    orders = {r["model"]: r["presentation_order"] for r in result["stage2"]}
    assert len({tuple(o) for o in orders.values()}) > 1, "every reviewer saw the same order"
    ranking_prompts = [r for r in sim.requests if r.prompt_kind == "ranking"]
    assert len(ranking_prompts) == len(MEMBERS)
    for captured in ranking_prompts:
        prompt = captured.messages[-1]["content"]
        shown = list(orders[captured.model])
        positions = [prompt.index(f'<response label="{label}"') for label in shown]
        assert positions == sorted(positions), "prompt order differs from the stored order"
        # Anonymised: no member's name appears in what a reviewer reads.
        assert not any(m in prompt for m in MEMBERS)
    stored = (await client.get(f"/api/conversations/{cid}")).json()["messages"][1]
    assert {r["model"]: r["presentation_order"] for r in stored["stage2"]} == orders
    assert stored["metadata"]["seed"] == result["metadata"]["seed"]


async def test_non_streamed_answer_has_the_original_shape(client: httpx.AsyncClient) -> None:
    cid = await new_conversation(client)
    body = (
        await client.post(f"/api/conversations/{cid}/message", json={"content": "hello"})
    ).json()
    assert {"stage1", "stage2", "stage3", "metadata"} <= set(body)
    assert {"model", "response"} <= set(body["stage1"][0])
    assert {"model", "ranking", "parsed_ranking"} <= set(body["stage2"][0])
    assert {"model", "response"} <= set(body["stage3"])
    assert {"label_to_model", "aggregate_rankings"} <= set(body["metadata"])


async def test_reload_shows_everything_as_it_was(client: httpx.AsyncClient) -> None:
    cid = await new_conversation(client)
    events = await stream_events(
        client,
        f"/api/conversations/{cid}/message/stream",
        json_body={"content": "What is entropy?"},
    )
    live: dict[str, Any] = {e["type"]: e for e in events}
    conversation = (await client.get(f"/api/conversations/{cid}")).json()
    user, assistant = conversation["messages"]
    assert user == {**user, "role": "user", "content": "What is entropy?"}
    assert assistant["status"] == "complete"
    assert assistant["stage1"] == live["stage1_complete"]["data"]
    assert assistant["stage2"] == live["stage2_complete"]["data"]
    assert assistant["metadata"] == live["stage2_complete"]["metadata"]
    assert assistant["stage3"] == live["stage3_complete"]["data"]
    assert conversation["title"] == live["title_complete"]["data"]["title"]
    listed = (await client.get("/api/conversations")).json()
    assert listed[0]["id"] == cid and listed[0]["message_count"] == 2


async def test_follow_up_sends_history_to_every_member(
    client: httpx.AsyncClient,
    sim: SimServer,
) -> None:
    cid = await new_conversation(client)
    first = (
        await client.post(
            f"/api/conversations/{cid}/message", json={"content": "Name a prime number"}
        )
    ).json()
    sim.clear_requests()
    second = await client.post(
        f"/api/conversations/{cid}/message", json={"content": "Now double it"}
    )
    assert second.status_code == 200
    answers = [r for r in sim.requests if r.messages[-1]["content"] == "Now double it"]
    assert {r.model for r in answers} == set(MEMBERS)
    for captured in answers:
        assert [m["role"] for m in captured.messages] == ["user", "assistant", "user"]
        assert captured.messages[0]["content"] == "Name a prime number"
        assert captured.messages[1]["content"] == first["stage3"]["response"]
    conversation = (await client.get(f"/api/conversations/{cid}")).json()
    assert [m["role"] for m in conversation["messages"]] == ["user", "assistant"] * 2
    # The title is made once, from the first question.
    titles = [r for r in sim.requests if r.prompt_kind == "title"]
    assert titles == []


async def test_history_budget_drops_the_oldest_turns_first(
    make_settings: Any,
    start_server: Any,
    sim: SimServer,
) -> None:
    from llmcouncil.config import LimitSettings

    live: LiveServer = await start_server(
        make_settings(limits=LimitSettings(max_history_chars=900))
    )
    async with httpx.AsyncClient(base_url=live.base_url, timeout=30) as http:
        cid = await new_conversation(http)
        for question in ("first question", "second question", "third question"):
            assert (
                await http.post(f"/api/conversations/{cid}/message", json={"content": question})
            ).status_code == 200
        last = [r for r in sim.requests if r.messages[-1]["content"] == "third question"]
    sent = [m["content"] for m in last[0].messages]
    assert "second question" in sent and "first question" not in sent
    assert sum(len(m) for m in sent[:-1]) <= 900


async def test_what_leaves_carries_the_key_and_the_question(
    client: httpx.AsyncClient,
    sim: SimServer,
) -> None:
    cid = await new_conversation(client)
    await client.post(f"/api/conversations/{cid}/message", json={"content": "ping"})
    assert sim.requests, "nothing reached the upstream"
    assert all(r.auth_present and r.auth_scheme == "Bearer" for r in sim.requests)


async def test_a_streamed_council_writes_its_title(client: httpx.AsyncClient) -> None:
    """The order of the title's write and stage 1's is pinned in tests/council/test_pipeline.py."""
    cid = await new_conversation(client)
    events = await stream_events(
        client, f"/api/conversations/{cid}/message/stream", json_body={"content": "Why?"}
    )
    assert {"title_complete", "stage1_complete"} <= set(types(events))
    listed = (await client.get("/api/conversations")).json()
    assert next(c for c in listed if c["id"] == cid)["title"]
