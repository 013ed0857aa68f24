"""``/api/evaluations``: start by upload, watch, read the report; bad uploads refused with a
clear 4xx and nothing stored; another person's evaluation is a 404, an auditor's request 403."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from gov_support import Governed, GovernedFactory
from pydantic import BaseModel
from support import CHAIRMAN, MEMBERS

from llmcouncil.api.evaluation_report import EvaluationReport
from llmcouncil.sim import SimConfig, SimServer
from llmcouncil.sim.skills import KeyedQuestion, SkillConfig

NINE_JUDGES = ",".join(f"j/{i}" for i in range(9))
QUESTIONS = [("What is 12 times 12?", "144"), ("What is 9 times 7?", "63")]


def _jsonl() -> bytes:
    rows = [{"question": q, "reference": a, "category": "maths"} for q, a in QUESTIONS]
    return "\n".join(json.dumps(r) for r in rows).encode()


def _skilled(sim: SimServer) -> None:
    keyed = [KeyedQuestion(question=q, answer=a, category="maths") for q, a in QUESTIONS]
    sim.configure(
        SimConfig.fast(base_ms=0).model_copy(update={"skills": SkillConfig(questions=keyed)})
    )


def _undescribed(shown: Any, path: str = "report") -> list[str]:
    """Every field of the served report that its schema does not name (so clients, whose
    types come from the schema, would not know it)."""
    if isinstance(shown, BaseModel):
        extra = [f"{path}.{name}" for name in shown.model_extra or {}]
        return extra + [p for name, value in shown for p in _undescribed(value, f"{path}.{name}")]
    if isinstance(shown, list):
        return [p for i, value in enumerate(shown) for p in _undescribed(value, f"{path}[{i}]")]
    if isinstance(shown, dict):
        return [p for k, value in shown.items() for p in _undescribed(value, f"{path}.{k}")]
    return []


async def _start(client: httpx.AsyncClient, **form: Any) -> httpx.Response:
    data = {"strategies": "chairman", "judges": f"{MEMBERS[0]},{MEMBERS[2]}", **form}
    return await client.post(
        "/api/evaluations", files={"file": ("maths.jsonl", _jsonl())}, data=data
    )


@pytest.fixture
async def council(governed: GovernedFactory, sim: SimServer) -> Governed:
    _skilled(sim)
    server = await governed()
    await server.user("ada", role="admin")
    await server.user("mia", role="member")
    await server.user("bob", role="member")
    await server.user("aud", role="auditor")
    return server


async def test_a_member_starts_an_evaluation_and_reads_its_report(council: Governed) -> None:
    mia = await council.session("mia")
    started = await _start(mia, name="maths")
    assert started.status_code == 202, started.text
    body = started.json()
    assert body["questions"] == 2 and body["strategies"] == ["council", "chairman"]
    assert body["progress"]["total"] == 2 * 2 + 2 * 1 * 2 * 2
    done = (await mia.get(f"/api/evaluations/{body['id']}", params={"wait": 60})).json()
    assert done["status"] == "complete", done
    assert done["progress"]["done"] == done["progress"]["total"]
    report = (await mia.get(f"/api/evaluations/{body['id']}/report")).json()
    assert [c["strategy"] for c in report["comparisons"]] == ["chairman"]
    assert report["comparisons"][0]["overall"]["n"] == 2
    assert _undescribed(EvaluationReport.model_validate(report)) == []
    page = await mia.get(f"/api/evaluations/{body['id']}/report.html")
    assert page.headers["content-type"].startswith("text/html")
    assert "<svg" in page.text and "<script" not in page.text and "http" not in page.text.lower()
    assert "maths" in [e["name"] for e in (await mia.get("/api/evaluations")).json()["evaluations"]]
    # Every call was a run of the member's own, in conversations of source "eval".
    people = {"source": ["web", "api", "cli"]}
    assert (await mia.get("/api/conversations", params=people)).json() == []
    runs = (await mia.get("/api/conversations", params={"source": "eval"})).json()
    assert len(runs) == done["progress"]["total"]


async def test_others_see_a_404_auditors_a_403_administrators_everything(
    council: Governed,
) -> None:
    mia = await council.session("mia")
    evaluation = (await _start(mia)).json()["id"]
    await mia.get(f"/api/evaluations/{evaluation}", params={"wait": 60})
    bob = await council.session("bob")
    for path in ("", "/report", "/report.html"):
        response = await bob.get(f"/api/evaluations/{evaluation}{path}")
        assert response.status_code == 404, (path, response.text)
    assert (await bob.post(f"/api/evaluations/{evaluation}/resume")).status_code == 404
    assert (await bob.get("/api/evaluations")).json()["evaluations"] == []
    auditor = await council.session("aud")
    assert (await auditor.get(f"/api/evaluations/{evaluation}")).status_code == 403
    assert (await _start(auditor)).status_code == 403
    ada = await council.session("ada")
    assert (await ada.get(f"/api/evaluations/{evaluation}/report")).status_code == 200
    assert (await council.client().get("/api/evaluations")).status_code == 401


@pytest.mark.parametrize(
    ("files", "data", "status", "message"),
    [
        ({"file": ("d.jsonl", b'{"question": "ok"}\nnot json\n')}, {}, 422, "line 2"),
        ({"file": ("d.txt", b"question\n")}, {}, 422, ".jsonl or .csv"),
        ({"file": ("d.csv", b"prompt\nx\n")}, {}, 422, "no 'question' column"),
        ({"file": ("d.jsonl", b"")}, {}, 422, "no questions"),
        ({"file": ("d.jsonl", b"\xff\xfe")}, {}, 422, "UTF-8"),
        ({"file": ("d.jsonl", b'{"question": "q"}' + b" " * 10_000_001)}, {}, 413, "limit"),
        ({}, {"dataset": "nope"}, 422, "dataset=starter"),
        ({"file": ("d.jsonl", b'{"question": "q"}')}, {"strategies": "telepathy!"}, 422, "unknown"),
        ({"file": ("d.jsonl", b'{"question": "q"}')}, {"strategies": "ponder"}, 422, "mode"),
        (
            {"file": ("d.jsonl", b'{"question": "q"}')},
            {"judges": ",".join(f"j/{i}" for i in range(9))},
            422,
            "at most 8",
        ),
        ({"file": ("d.jsonl", b'{"question": "q"}')}, {"concurrency": "0"}, 422, ""),
    ],
)
async def test_bad_uploads_are_refused_and_store_nothing(
    council: Governed, files: dict[str, Any], data: dict[str, str], status: int, message: str
) -> None:
    mia = await council.session("mia")
    response = await mia.post("/api/evaluations", files=files or None, data=data)
    assert response.status_code == status, response.text
    assert message in response.text
    assert (await mia.get("/api/evaluations")).json()["evaluations"] == []


async def test_local_mode_runs_the_starter_dataset_by_name(
    client: httpx.AsyncClient, sim: SimServer
) -> None:
    _skilled(sim)
    response = await client.post(
        "/api/evaluations",
        data={"dataset": "starter", "strategies": "chairman", "judges": CHAIRMAN},
    )
    assert response.status_code == 202, response.text
    assert response.json()["questions"] == 40
    # The server stops with the evaluation still running: it is paused, not lost.


async def test_an_evaluation_spends_within_the_budget_and_stops_at_it(
    governed: GovernedFactory, sim: SimServer
) -> None:
    _skilled(sim)
    server = await governed(usage={"reserve_cost": 0.001})
    await server.user("root", role="admin")
    mia = await server.user("mia")
    admin = await server.session("root")
    limit = {"subject_type": "user", "subject_id": mia.id, "period": "day", "limit_cost": 0.002}
    assert (await admin.put("/api/budgets", json=limit)).status_code == 200
    client = await server.session("mia")
    started = await _start(client, concurrency="1")
    assert started.status_code == 202, started.text
    evaluation = started.json()["id"]
    ended = (await client.get(f"/api/evaluations/{evaluation}", params={"wait": 60})).json()
    assert ended["status"] == "failed", ended
    assert "budget" in ended["error"]
    # What it spent is the member's, on their usage; the report is not available.
    assert (await client.get("/api/usage/budgets")).json()[0]["exceeded"] is True
    assert (await client.get(f"/api/evaluations/{evaluation}/report")).status_code == 409
