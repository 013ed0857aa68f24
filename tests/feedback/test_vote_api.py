"""Votes over HTTP: cast, change, read, withdraw; what is refused and why; who may vote; the
audit record each vote leaves; the council's ranking shown beside the vote."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from gov_support import GovernedFactory

from llmcouncil.sim import FaultSpec, SimConfig, SimServer


async def ask(client: httpx.AsyncClient, content: str = "What is a hash table?") -> dict[str, Any]:
    cid = (await client.post("/api/conversations", json={})).json()["id"]
    answer = await client.post(f"/api/conversations/{cid}/message", json={"content": content})
    assert answer.status_code == 200, answer.text
    return {"cid": cid, **answer.json()}


def vote_url(result: dict[str, Any]) -> str:
    return f"/api/conversations/{result['cid']}/runs/{result['run_id']}/vote"


async def test_a_vote_is_cast_changed_read_and_withdrawn(client: httpx.AsyncClient) -> None:
    result = await ask(client)
    url = vote_url(result)
    labels = sorted(result["metadata"]["label_to_model"])

    first = await client.put(url, json={"preferred_label": labels[1], "rating": "up"})
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["preferred_label"] == labels[1] and body["rating"] == "up" and body["blind"]
    assert body["preferred_model"] == result["metadata"]["label_to_model"][labels[1]]
    assert body["seed"] == result["metadata"]["seed"]
    assert set(body["presentation_orders"]) and all(
        sorted(order) == labels for order in body["presentation_orders"].values()
    )
    council = body["council"]
    assert [p["label"] for p in council["places"]] == [
        row["label"] for row in result["metadata"]["aggregate"]
    ]
    assert council["winner_label"] == result["metadata"]["winner_label"]
    assert body["agrees_with_council"] == (labels[1] == council["winner_label"])

    ranking = list(reversed(labels))
    changed = await client.put(
        url, json={"ranking": ranking, "blind": False, "council_wrong": True, "comment": "meh"}
    )
    assert changed.status_code == 200, changed.text
    again = (await client.get(url)).json()
    assert again["ranking"] == ranking and again["preferred_label"] == ranking[0]
    assert again["rating"] is None and again["council_wrong"] and not again["blind"]
    assert again["comment"] == "meh" and again["created_at"] == body["created_at"]

    assert (await client.delete(url)).status_code == 204
    gone = await client.get(url)
    assert gone.status_code == 404 and "not voted" in gone.text
    assert (await client.delete(url)).status_code == 404


@pytest.mark.parametrize(
    ("vote", "message"),
    [
        ({"preferred_label": "Response Z"}, "unknown label 'Response Z'"),
        ({"ranking": ["Response A", "Response A", "Response B", "Response C"]}, "every answer"),
        ({"ranking": ["Response A"]}, "every answer once"),
        (
            {
                "preferred_label": "Response A",
                "ranking": ["Response B", "Response A", "Response C", "Response D"],
            },
            "disagrees",
        ),
        ({}, "say something"),
        ({"rating": "sideways"}, "rating"),
    ],
)
async def test_a_vote_that_cannot_be_read_is_a_422(
    client: httpx.AsyncClient, vote: dict[str, Any], message: str
) -> None:
    result = await ask(client)
    answer = await client.put(vote_url(result), json=vote)
    assert answer.status_code == 422, answer.text
    assert message in answer.text


async def test_a_run_without_answers_cannot_be_voted_on(
    sim: SimServer, client: httpx.AsyncClient
) -> None:
    sim.configure(
        sim.config.model_copy(
            update={"faults": {"*": [FaultSpec(status=401, prompt_kind="answer")]}}
        )
    )
    cid = (await client.post("/api/conversations", json={})).json()["id"]
    failed = await client.post(f"/api/conversations/{cid}/message", json={"content": "hi"})
    assert failed.status_code == 502
    run_id = failed.json()["detail"]["run_id"]
    answer = await client.put(
        f"/api/conversations/{cid}/runs/{run_id}/vote", json={"rating": "down"}
    )
    assert answer.status_code == 409, answer.text
    assert "no answers to vote on" in answer.text


async def test_unknown_runs_and_runs_of_another_conversation_are_404(
    client: httpx.AsyncClient,
) -> None:
    result = await ask(client)
    other = (await client.post("/api/conversations", json={})).json()["id"]
    moved = await client.put(
        f"/api/conversations/{other}/runs/{result['run_id']}/vote", json={"rating": "up"}
    )
    assert moved.status_code == 404
    unknown = await client.put(
        f"/api/conversations/{result['cid']}/runs/nope/vote", json={"rating": "up"}
    )
    assert unknown.status_code == 404


async def test_only_whoever_may_write_the_conversation_votes_and_each_vote_is_audited(
    governed: GovernedFactory,
) -> None:
    server = await governed()
    await server.user("root", role="admin")
    await server.user("mia")
    await server.user("bob")
    await server.user("eve", role="auditor", read_all_conversations=True)
    mia = await server.session("mia")
    result = await ask(mia)
    url = vote_url(result)
    label = sorted(result["metadata"]["label_to_model"])[0]

    for name in ("bob", "root", "eve"):
        other = await server.session(name)
        refused = await other.put(url, json={"preferred_label": label})
        assert refused.status_code in (403, 404), (name, refused.text)
        assert (await other.get(url)).status_code in (403, 404)
    assert (await mia.put(url, json={"preferred_label": label})).status_code == 200
    assert (
        await mia.put(url, json={"preferred_label": label, "rating": "down"})
    ).status_code == 200
    assert (await mia.delete(url)).status_code == 204

    admin = await server.session("root")
    page = (await admin.get("/api/audit", params={"action": "feedback.vote"})).json()
    entries = page["records"]
    mine = [e for e in entries if e["target"] == result["run_id"]]
    assert [e["details"]["changed"] for e in sorted(mine, key=lambda e: e["seq"])] == [
        False,
        True,
    ]
    assert all(e["actor_name"] == "mia" for e in mine)
    assert all(e["details"]["comment"] is False for e in mine)  # whether, never the text


async def test_votes_are_kept_per_person(governed: GovernedFactory) -> None:
    server = await governed(sim=SimConfig.fast(base_ms=5))
    await server.user("mia")
    mia = await server.session("mia")
    result = await ask(mia)
    key_client = await server.key_client("mia")
    labels = sorted(result["metadata"]["label_to_model"])
    await mia.put(vote_url(result), json={"preferred_label": labels[0]})
    # The same person through an API key: the same vote, changed.
    await key_client.put(vote_url(result), json={"preferred_label": labels[1]})
    assert (await mia.get(vote_url(result))).json()["preferred_label"] == labels[1]
