"""The governed gate settles a run it could not be handed read back (the order of answer and
settlement, and readers waiting for it, are tested on the run service: tests/council)."""

from __future__ import annotations

from typing import Any

from gov_support import GovernedFactory


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
