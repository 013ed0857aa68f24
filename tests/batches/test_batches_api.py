"""``/api/batches`` with the in-process queue (no Redis), on SQLite and PostgreSQL: a batch
completes on the simulated upstream, each question a run of the asker's own (usage, audit);
bad input is a 4xx with nothing stored; others see a 404; a used-up budget stops the batch."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from gov_support import Governed, GovernedFactory
from support import until

from llmcouncil.sim import SimServer

QUESTIONS = ["What is the capital of France?", "Name a prime above 10.", "=1+1 is what?"]


async def _submit(client: httpx.AsyncClient, **body: Any) -> httpx.Response:
    return await client.post("/api/batches", json={"questions": QUESTIONS, **body})


async def _finished(client: httpx.AsyncClient, batch_id: str) -> dict[str, Any]:
    body: dict[str, Any] = (
        await client.get(f"/api/batches/{batch_id}", params={"wait": 60})
    ).json()
    assert body["status"] not in ("queued", "running"), body
    return body


@pytest.fixture
async def council(governed: GovernedFactory, database_url: str) -> Governed:
    # A non-SQLite database needs a vault key in the settings (a file key is single-machine).
    server = await governed(
        database_url=database_url, privacy={"key": Fernet.generate_key().decode()}
    )
    await server.user("ada", role="admin")
    await server.user("mia", role="member")
    await server.user("bob", role="member")
    await server.user("aud", role="auditor")
    return server


async def test_a_batch_runs_every_question_as_the_askers_run(
    council: Governed, sim: SimServer
) -> None:
    mia = await council.session("mia")
    started = await _submit(mia, name="geography", concurrency=2)
    assert started.status_code == 202, started.text
    body = started.json()
    assert body["engine"] == "local" and body["progress"]["total"] == 3
    done = await _finished(mia, body["id"])
    assert done["status"] == "complete" and done["error"] is None
    assert done["progress"] == {
        "total": 3,
        "pending": 0,
        "running": 0,
        "done": 3,
        "failed": 0,
        "skipped": 0,
    }
    results = (await mia.get(f"/api/batches/{body['id']}/results")).json()
    items = results["items"]
    assert [i["question"] for i in items] == QUESTIONS
    assert all(i["status"] == "done" and i["answer"] and i["run_id"] for i in items)
    # What left: each question went to the council once (four members answer it).
    for question in QUESTIONS:
        answers = [r for r in sim.requests if r.prompt_kind == "answer" and _asks(r, question)]
        assert len(answers) == 4, question
    # Each run is the member's own: a conversation of source batch, usage and audit records.
    conversations = (await mia.get("/api/conversations", params={"source": "batch"})).json()
    assert sorted(c["id"] for c in conversations) == sorted(i["conversation_id"] for i in items)
    ada = await council.session("ada")
    usage = (await ada.get("/api/usage", params={"group_by": "user"})).json()["rows"]
    assert {r["name"]: r["runs"] for r in usage} == {"mia": 3}
    audit = (await ada.get("/api/audit", params={"action": "council.run"})).json()["records"]
    assert {(r["target"], r["actor_name"]) for r in audit} == {(i["run_id"], "mia") for i in items}

    exported = await mia.get(f"/api/batches/{body['id']}/results", params={"format": "csv"})
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [r["question"] for r in rows] == [*QUESTIONS[:2], "'=1+1 is what?"]  # no formula
    assert [r["answer"] for r in rows] == [i["answer"] for i in items]
    lines = (await mia.get(f"/api/batches/{body['id']}/results?format=jsonl")).text.splitlines()
    assert [json.loads(line)["question"] for line in lines] == QUESTIONS
    listed = (await mia.get("/api/batches")).json()["batches"]
    assert [b["id"] for b in listed] == [body["id"]]


def _asks(request: Any, question: str) -> bool:
    return any(question in str(m.get("content")) for m in request.messages)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"questions": []}, 422),
        ({"questions": ["fine", "   "]}, 422),
        ({"questions": ["x" * 200_001]}, 413),
        ({"questions": ["fine"], "preset": "nope"}, 422),
        ({"questions": ["fine"], "mode": "shouting"}, 422),
        ({"questions": ["fine"], "concurrency": 0}, 422),
        ({"questions": ["fine"], "surprise": 1}, 422),
        ({"questions": "fine"}, 422),
    ],
)
async def test_bad_input_is_refused_and_nothing_is_stored(
    council: Governed, sim: SimServer, body: dict[str, Any], expected: int
) -> None:
    mia = await council.session("mia")
    refused = await mia.post("/api/batches", json=body)
    assert refused.status_code == expected, refused.text
    assert (await mia.get("/api/batches")).json() == {"batches": []}
    assert (await mia.get("/api/conversations")).json() == []
    assert sim.requests == []


async def test_others_see_a_404_auditors_a_403_administrators_everything(
    council: Governed,
) -> None:
    mia = await council.session("mia")
    batch = (await _submit(mia)).json()["id"]
    await _finished(mia, batch)
    bob = await council.session("bob")
    for path in (f"/api/batches/{batch}", f"/api/batches/{batch}/results"):
        assert (await bob.get(path)).status_code == 404
    assert (await bob.post(f"/api/batches/{batch}/cancel")).status_code == 404
    assert (await bob.get("/api/batches")).json() == {"batches": []}
    aud = await council.session("aud")
    assert (await aud.post("/api/batches", json={"questions": ["hi"]})).status_code == 403
    ada = await council.session("ada")
    assert (await ada.get(f"/api/batches/{batch}")).json()["status"] == "complete"
    assert [b["id"] for b in (await ada.get("/api/batches")).json()["batches"]] == [batch]
    # An ended batch cannot be cancelled.
    assert (await mia.post(f"/api/batches/{batch}/cancel")).status_code == 409


async def test_a_used_up_budget_stops_the_batch(governed: GovernedFactory, sim: SimServer) -> None:
    server = await governed(usage={"reserve_cost": 0.001})
    await server.user("root", role="admin")
    mia = await server.user("mia")
    admin = await server.session("root")
    answer = await admin.put(
        "/api/budgets",
        json={"subject_type": "user", "subject_id": mia.id, "period": "day", "limit_cost": 0.002},
    )
    assert answer.status_code == 200, answer.text
    client = await server.session("mia")
    started = (await _submit(client, concurrency=1)).json()
    done = await _finished(client, started["id"])
    assert done["status"] == "budget_exhausted"
    assert "daily budget is used up" in done["error"]
    assert done["progress"]["done"] == 1 and done["progress"]["skipped"] == 2
    items = (await client.get(f"/api/batches/{started['id']}/results")).json()["items"]
    assert [i["status"] for i in items] == ["done", "skipped", "skipped"]
    assert not any(_asks(r, QUESTIONS[1]) or _asks(r, QUESTIONS[2]) for r in sim.requests)
    refusal = (await admin.get("/api/audit?action=council.run&outcome=refused")).json()
    assert refusal["records"][0]["details"]["reason"] == "budget_exceeded"


async def test_a_cancel_skips_the_questions_not_started(council: Governed, sim: SimServer) -> None:
    mia = await council.session("mia")
    sim.hold()  # the first question's answers wait at the upstream
    batch = (await _submit(mia, concurrency=1)).json()["id"]
    await asyncio.wait_for(sim.wait_for_in_flight(4), 30)
    cancelled = await mia.post(f"/api/batches/{batch}/cancel")
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["progress"]["skipped"] == 2
    sim.release()
    # The question already running finishes (it is paid for); nothing else is asked.
    items: list[dict[str, Any]] = []

    async def first_ended() -> bool:
        items[:] = (await mia.get(f"/api/batches/{batch}/results")).json()["items"]
        return bool(items[0]["status"] != "running")

    await until(first_ended, what="the running question ended", timeout=60)
    assert [i["status"] for i in items] == ["done", "skipped", "skipped"]
    assert (await mia.get(f"/api/batches/{batch}")).json()["status"] == "cancelled"
    assert not any(_asks(r, QUESTIONS[1]) or _asks(r, QUESTIONS[2]) for r in sim.requests)


async def test_an_unreachable_queue_is_a_503_and_the_batch_says_it_failed(
    governed: GovernedFactory, sim: SimServer
) -> None:
    server = await governed(redis_url="redis://127.0.0.1:1/0", jobs={"backend": "redis"})
    await server.user("mia")
    mia = await server.session("mia")
    refused = await _submit(mia)
    assert refused.status_code == 503, refused.text
    assert "job queue (Redis) is unreachable" in refused.json()["detail"]["message"]
    listed = (await mia.get("/api/batches")).json()["batches"]
    assert [b["status"] for b in listed] == ["failed"]
    assert sim.requests == []
