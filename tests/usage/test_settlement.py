"""A plain answer is sent once the run is stored; usage and audit are settled right after it,
and whoever reads them (or the same user's next admission) waits for that settlement."""

from __future__ import annotations

import asyncio
from typing import Any

from gov_support import GovernedFactory

from llmcouncil.council.run_handle import RunHandle


async def test_answer_before_settlement_and_readers_wait_for_it(
    governed: GovernedFactory,
) -> None:
    server = await governed()
    await server.user("root", role="admin")
    await server.user("mia")
    mia = await server.session("mia")
    admin = await server.session("root")
    gate = server.runtime.runs.gate
    settle = gate.finished
    release = asyncio.Event()
    entered: list[str] = []

    async def held(admission: object, run_id: str, detail: Any) -> None:
        entered.append(run_id)
        await release.wait()
        await settle(admission, run_id, detail)

    gate.finished = held
    cid = (await mia.post("/api/conversations", json={})).json()["id"]
    answer = await mia.post(f"/api/conversations/{cid}/message", json={"content": "hello"})
    assert answer.status_code == 200, answer.text
    run_id = answer.json()["run_id"]
    assert entered == [run_id]  # answered while its settlement is still held
    assert server.runtime.runs.admission.active == 0  # the council's slot is free already

    usage = asyncio.create_task(admin.get("/api/usage?group_by=run"))
    audit = asyncio.create_task(admin.get("/api/audit?action=council.run"))
    await asyncio.sleep(0.2)
    assert not usage.done() and not audit.done()  # readers wait for the settlement
    release.set()
    rows = (await usage).json()["rows"]
    assert [r["id"] for r in rows] == [run_id] and rows[0]["calls"] >= 9
    records = (await audit).json()["records"]
    assert [r["target"] for r in records] == [run_id]


async def test_a_failed_read_back_is_retried_by_the_gate(governed: GovernedFactory) -> None:
    """The gate settles from the run it is handed; without one it reads the run itself."""
    server = await governed()
    await server.user("root", role="admin")
    admin = await server.session("root")
    gate = server.runtime.runs.gate
    settle = gate.finished

    async def unread(admission: object, run_id: str, _detail: Any) -> None:
        await settle(admission, run_id, None)

    gate.finished = unread
    cid = (await admin.post("/api/conversations", json={})).json()["id"]
    answer = await admin.post(f"/api/conversations/{cid}/message", json={"content": "hi"})
    assert answer.status_code == 200, answer.text
    rows = (await admin.get("/api/usage?group_by=run")).json()["rows"]
    assert [r["id"] for r in rows] == [answer.json()["run_id"]]


async def test_settlement_waits_until_the_answer_is_taken(
    governed: GovernedFactory, monkeypatch: Any
) -> None:
    """Settling writes on the database thread, which competes with the event loop: it starts
    only once the request waiting for the answer has taken it."""
    server = await governed()
    await server.user("mia")
    mia = await server.session("mia")
    gate = server.runtime.runs.gate
    settle = gate.finished
    order: list[str] = []

    async def settling(admission: object, run_id: str, detail: Any) -> None:
        order.append("settling")
        await settle(admission, run_id, detail)

    answer = RunHandle.result

    async def taken(handle: RunHandle) -> Any:
        detail = await answer(handle)
        order.append("answered")
        return detail

    gate.finished = settling
    monkeypatch.setattr(RunHandle, "result", taken)
    cid = (await mia.post("/api/conversations", json={})).json()["id"]
    response = await mia.post(f"/api/conversations/{cid}/message", json={"content": "hello"})

    assert response.status_code == 200, response.text
    assert order == ["answered", "settling"]
