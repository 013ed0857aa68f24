"""Usage and budgets over HTTP: figures per run, user, key and model; 402 for a hard budget,
held under racing requests; a soft budget's notice; who may see and set what."""

from __future__ import annotations

import asyncio

import pytest
from gov_support import Governed, GovernedFactory
from sqlalchemy import func, select

from llmcouncil.sim import SimConfig, SimServer
from llmcouncil.store.tables import ModelCallRow


async def run_once(client: object, content: str = "hello") -> dict[str, object]:
    import httpx

    assert isinstance(client, httpx.AsyncClient)
    cid = (await client.post("/api/conversations", json={})).json()["id"]
    answer = await client.post(f"/api/conversations/{cid}/message", json={"content": content})
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


async def set_budget(server: Governed, admin: object, **budget: object) -> dict[str, object]:
    import httpx

    assert isinstance(admin, httpx.AsyncClient)
    answer = await admin.put("/api/budgets", json=budget)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


async def test_usage_per_user_key_model_and_run(governed: GovernedFactory) -> None:
    server = await governed()
    await server.user("root", role="admin")
    mia = await server.user("mia")
    bob = await server.user("bob")
    mia_client = await server.session("mia")
    first = await run_once(mia_client)
    bob_key = await server.key_client("bob")
    await run_once(bob_key)
    admin = await server.session("root")

    rows = (await admin.get("/api/usage?group_by=user")).json()["rows"]
    by_user = {r["name"]: r for r in rows}
    assert set(by_user) == {"mia", "bob"} and by_user["mia"]["id"] == mia.id
    assert by_user["mia"]["runs"] == 1 and by_user["mia"]["calls"] >= 9
    async with server.runtime.engine.connect() as conn:
        stored = (await conn.execute(select(func.sum(ModelCallRow.cost)))).scalar_one()
    total = sum(r["cost"] for r in by_user.values())
    assert total == pytest.approx(stored)  # the upstream's usage.cost, every call counted
    by_key = (await admin.get("/api/usage?group_by=key")).json()["rows"]
    keyed = [r for r in by_key if r["id"]]  # bob's run came through his key, mia's did not
    assert len(by_key) == 2 and len(keyed) == 1 and keyed[0]["name"].startswith("test (lc_")
    by_model = (await admin.get("/api/usage?group_by=model")).json()["rows"]
    assert {"openai/gpt-5.1", "google/gemini-2.5-flash"} <= {r["id"] for r in by_model}
    by_run = (await admin.get(f"/api/usage?group_by=run&user_id={mia.id}")).json()["rows"]
    assert [r["id"] for r in by_run] == [first["run_id"]]
    async with server.runtime.engine.connect() as conn:
        tokens = (
            await conn.execute(
                select(func.sum(ModelCallRow.prompt_tokens + ModelCallRow.completion_tokens)).where(
                    ModelCallRow.run_id == first["run_id"]
                )
            )
        ).scalar_one()
    assert by_run[0]["total_tokens"] == tokens  # answers, reviews, chairman and title

    # A member sees only their own figures, whatever they ask for.
    own = (await mia_client.get(f"/api/usage?group_by=user&user_id={bob.id}")).json()["rows"]
    assert [r["name"] for r in own] == ["mia"]
    # Usage outlives the conversation it came from.
    cid = (await mia_client.get("/api/conversations")).json()[0]["id"]
    assert (await mia_client.delete(f"/api/conversations/{cid}")).status_code == 204
    after = (await admin.get("/api/usage?group_by=user")).json()["rows"]
    assert {r["name"] for r in after} == {"mia", "bob"}


async def test_a_hard_budget_refuses_with_402(governed: GovernedFactory, sim: SimServer) -> None:
    server = await governed(usage={"reserve_cost": 0.001})
    await server.user("root", role="admin")
    mia = await server.user("mia")
    admin = await server.session("root")
    budget = await set_budget(
        server, admin, subject_type="user", subject_id=mia.id, period="day", limit_cost=0.002
    )
    client = await server.session("mia")
    await run_once(client)  # costs more than the 0.002 left
    cid = (await client.post("/api/conversations", json={})).json()["id"]
    sim.clear_requests()
    refused = await client.post(f"/api/conversations/{cid}/message", json={"content": "again"})
    assert refused.status_code == 402, refused.text
    detail = refused.json()["detail"]
    assert detail["code"] == "budget_exceeded"
    assert "daily budget is used up" in detail["message"] and "renews" in detail["message"]
    assert sim.requests == []  # refused before anything left
    mine = (await client.get("/api/usage/budgets")).json()
    assert mine[0]["id"] == budget["id"] and mine[0]["exceeded"] is True
    refusal = (await admin.get("/api/audit?action=council.run&outcome=refused")).json()
    assert refusal["records"][0]["details"]["reason"] == "budget_exceeded"
    # Raising the budget lets the next run through.
    await set_budget(
        server, admin, subject_type="user", subject_id=mia.id, period="day", limit_cost=10.0
    )
    assert (
        await client.post(f"/api/conversations/{cid}/message", json={"content": "x"})
    ).status_code == 200


async def test_racing_requests_cannot_overspend(governed: GovernedFactory, sim: SimServer) -> None:
    server = await governed(usage={"reserve_cost": 1.0})
    await server.user("root", role="admin")
    mia = await server.user("mia")
    admin = await server.session("root")
    await set_budget(
        server, admin, subject_type="user", subject_id=mia.id, period="month", limit_cost=2.0
    )
    client = await server.key_client("mia")
    sim.configure(SimConfig.fast(base_ms=300))  # runs stay in flight while the others arrive
    cids = [(await client.post("/api/conversations", json={})).json()["id"] for _ in range(8)]
    answers = await asyncio.gather(
        *(client.post(f"/api/conversations/{c}/message", json={"content": "go"}) for c in cids)
    )
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200, 200] + [402] * 6  # 2.00 of budget, 1.00 held per run in flight


async def test_a_soft_budget_only_warns(governed: GovernedFactory) -> None:
    server = await governed()
    await server.user("root", role="admin")
    await server.user("mia")
    admin = await server.session("root")
    await set_budget(
        server, admin, subject_type="user", period="total", limit_tokens=1, hard=False
    )  # the default for every user
    client = await server.session("mia")
    first = await client.post("/api/conversations", json={})
    cid = first.json()["id"]
    quiet = await client.post(f"/api/conversations/{cid}/message", json={"content": "a"})
    assert quiet.status_code == 200 and "x-council-notice" not in quiet.headers
    warned = await client.post(f"/api/conversations/{cid}/message", json={"content": "b"})
    assert warned.status_code == 200
    assert "soft budget is exceeded" in warned.headers["x-council-notice"]
    record = (await admin.get("/api/audit?action=council.run")).json()["records"][0]
    assert "soft budget" in record["details"]["budget_warnings"][0]


async def test_budget_administration(governed: GovernedFactory) -> None:
    server = await governed()
    await server.user("root", role="admin")
    await server.user("mia")
    admin = await server.session("root")
    member = await server.session("mia")
    body = {"subject_type": "user", "period": "month", "limit_cost": 20}
    assert (await member.put("/api/budgets", json=body)).status_code == 403
    assert (await admin.put("/api/budgets", json={**body, "limit_cost": None})).status_code == 422
    unknown = await admin.put("/api/budgets", json={**body, "subject_id": "nobody"})
    assert unknown.status_code == 404
    made = await set_budget(server, admin, **body)
    changed = await set_budget(server, admin, **{**body, "limit_cost": 30})
    assert changed["id"] == made["id"] and changed["limit_cost"] == 30
    assert [b["limit_cost"] for b in (await admin.get("/api/budgets")).json()] == [30]
    assert (await admin.delete(f"/api/budgets/{made['id']}")).status_code == 204
    assert (await admin.delete(f"/api/budgets/{made['id']}")).status_code == 404
    actions = [
        r["action"] for r in (await admin.get("/api/audit?action=budget.")).json()["records"]
    ]
    assert actions == ["budget.delete", "budget.set", "budget.set"]


async def test_a_continuation_is_charged_and_held_to_the_budget(
    governed: GovernedFactory, sim: SimServer
) -> None:
    """Finishing an answer the output limit cut is one more call: in the asker's usage, and
    refused with 402 once their budget is used up."""
    cut_short = {"models": {"openai/gpt-5.1": {"max_output_tokens": 12}}}
    server = await governed(preset={"reasoning": cut_short}, usage={"reserve_cost": 0.001})
    await server.user("root", role="admin")
    mia = await server.user("mia")
    admin = await server.session("root")
    client = await server.session("mia")
    result = await run_once(client)
    cid = (await client.get("/api/conversations")).json()[0]["id"]
    stage1: list[dict[str, object]] = result["stage1"]  # type: ignore[assignment]
    cut = next(a for a in stage1 if a["model"] == "openai/gpt-5.1")
    assert cut["finish_reason"] == "length"
    before = (await admin.get(f"/api/usage?group_by=run&user_id={mia.id}")).json()["rows"][0]
    url = f"/api/conversations/{cid}/runs/{result['run_id']}/continue"
    body = {"stage": 1, "model": "openai/gpt-5.1"}
    assert (await client.post(url, json=body)).status_code == 200
    after = (await admin.get(f"/api/usage?group_by=run&user_id={mia.id}")).json()["rows"][0]
    assert after["calls"] == before["calls"] + 1 and after["cost"] > before["cost"]
    await set_budget(
        server, admin, subject_type="user", subject_id=mia.id, period="day", limit_cost=0.0001
    )
    sim.clear_requests()
    refused = await client.post(url, json=body)
    assert refused.status_code == 402, refused.text
    assert sim.requests == []
