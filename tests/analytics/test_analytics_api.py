"""Analytics over HTTP: figures appear as runs settle; every figure has its sample size; members
see their own runs only; no text ever leaves."""

from __future__ import annotations

import json
from typing import Any

import httpx
from gov_support import GovernedFactory
from support import CHAIRMAN, MEMBERS

ENDPOINTS = ("models", "reviewers", "agreement", "costs")
QUESTION = "Zanzibar-quokka: how do hash tables resolve collisions?"


async def ask(client: httpx.AsyncClient, content: str = QUESTION) -> dict[str, Any]:
    cid = (await client.post("/api/conversations", json={})).json()["id"]
    answer = await client.post(f"/api/conversations/{cid}/message", json={"content": content})
    assert answer.status_code == 200, answer.text
    return {"cid": cid, **answer.json()}


def estimates(node: Any) -> list[dict[str, Any]]:
    """Every Estimate in a report."""
    found = []
    if isinstance(node, dict):
        if {"value", "n", "small_sample"} <= set(node):
            found.append(node)
        for value in node.values():
            found += estimates(value)
    elif isinstance(node, list):
        for value in node:
            found += estimates(value)
    return found


async def test_figures_of_settled_runs_and_votes_are_reported(client: httpx.AsyncClient) -> None:
    results = [await ask(client) for _ in range(3)]
    for result in results:
        winner = result["metadata"]["winner_label"]
        vote = await client.put(
            f"/api/conversations/{result['cid']}/runs/{result['run_id']}/vote",
            json={"preferred_label": winner, "rating": "up", "comment": "Zanzibar-quokka"},
        )
        assert vote.status_code == 200

    models = (await client.get("/api/analytics/models")).json()
    assert models["runs"] == 3 and models["interval_method"] == "bootstrap_runs"
    assert {row["model"] for row in models["models"]} == set(MEMBERS)
    for row in models["models"]:
        assert row["answers"] == 3
        # 4 members, self-pairs left out: each answer meets 3 others in 2 reviews each.
        assert row["strength"]["n"] == 3 * 3 * 2 and row["strength"]["small_sample"] is True
        assert row["human_pick_rate"]["n"] == 3
    assert sum(row["strength"]["value"] for row in models["models"]) == pytest_approx(0.0)
    [chair] = models["chairmen"]
    assert chair["model"] == CHAIRMAN and chair["rated_up"]["value"] == 1.0

    reviewers = (await client.get("/api/analytics/reviewers")).json()
    assert {row["model"] for row in reviewers["reviewers"]} == set(MEMBERS)
    for row in reviewers["reviewers"]:
        assert row["reviews"] == 3 and row["parse"]["ok"] == 3
        assert row["position_bias"]["n"] == 3

    agreement = (await client.get("/api/analytics/agreement")).json()
    assert agreement["votes"] == 3 and agreement["council_top_picked"]["value"] == 1.0
    assert agreement["by_preset"][0]["key"] == "default"
    assert agreement["weighting_enabled"] is False

    costs = (await client.get("/api/analytics/costs")).json()
    roles = {(row["model"], row["role"]) for row in costs["by_model"]}
    assert {(m, "answer") for m in MEMBERS} <= roles and (CHAIRMAN, "synthesis") in roles
    assert costs["by_preset"][0]["runs"] == 3

    for endpoint in ENDPOINTS:
        body = (await client.get(f"/api/analytics/{endpoint}")).text
        assert "Zanzibar" not in body and "quokka" not in body  # no question, answer or comment
        assert all("n" in e for e in estimates(json.loads(body)))


async def test_filters_narrow_the_figures(client: httpx.AsyncClient) -> None:
    await ask(client)
    later = await client.get("/api/analytics/models", params={"since": "2999-01-01T00:00:00Z"})
    assert later.json()["runs"] == 0 and later.json()["models"] == []
    one = (await client.get("/api/analytics/reviewers", params={"model": MEMBERS[0]})).json()
    assert [row["model"] for row in one["reviewers"]] == [MEMBERS[0]]
    other = (await client.get("/api/analytics/costs", params={"preset": "nope"})).json()
    assert other["by_preset"] == [] and other["by_model"] == []
    assert (
        await client.get("/api/analytics/models", params={"since": "yesterday"})
    ).status_code == 422


async def test_members_see_only_their_own_runs(governed: GovernedFactory) -> None:
    server = await governed()
    await server.user("root", role="admin")
    mia = await server.user("mia")
    await server.user("bob")
    await server.user("eve", role="auditor")
    mia_client = await server.session("mia")
    bob_client = await server.session("bob")
    await ask(mia_client)
    await ask(mia_client)
    await ask(bob_client)

    for endpoint in ENDPOINTS:
        assert (await server.client().get(f"/api/analytics/{endpoint}")).status_code == 401
    assert (await bob_client.get("/api/analytics/models")).json()["runs"] == 1
    assert (await mia_client.get("/api/analytics/models")).json()["runs"] == 2
    bob_costs = (await bob_client.get("/api/analytics/costs")).json()
    assert bob_costs["by_preset"][0]["runs"] == 1
    refused = await bob_client.get("/api/analytics/models", params={"user_id": mia.id})
    assert refused.status_code == 403 and "administrators and auditors" in refused.text
    for name in ("root", "eve"):
        everyone = await server.session(name)
        assert (await everyone.get("/api/analytics/models")).json()["runs"] == 3
        only_mia = await everyone.get("/api/analytics/reviewers", params={"user_id": mia.id})
        assert only_mia.json()["runs"] == 2 and only_mia.json()["filters"]["user_id"] == mia.id


def pytest_approx(value: float) -> Any:
    import pytest

    return pytest.approx(value, abs=1e-9)


async def test_a_time_without_a_zone_is_read_as_utc_everywhere(client: httpx.AsyncClient) -> None:
    result = await ask(client)
    await client.put(
        f"/api/conversations/{result['cid']}/runs/{result['run_id']}/vote",
        json={"preferred_label": result["metadata"]["winner_label"]},
    )
    for endpoint in ENDPOINTS:
        for params in ({"since": "2020-01-01T00:00"}, {"until": "2999-01-01T00:00:00"}):
            answer = await client.get(f"/api/analytics/{endpoint}", params=params)
            assert answer.status_code == 200, (endpoint, params, answer.text)
        later = await client.get(f"/api/analytics/{endpoint}", params={"since": "2999-01-01"})
        assert later.status_code == 200, (endpoint, later.text)
