"""Evaluations on the job queue: with Redis the server only enqueues an evaluation, a ``council
worker`` process runs it (every call a run of the asker's own), and the server reports its
progress and report from the database."""

from __future__ import annotations

import asyncio
import json
import signal
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from jobs_support import Deploy, workers_council_and_lease
from support import MEMBERS, until

from llmcouncil.sim import FaultSpec, SimConfig, SimServer
from llmcouncil.sim.skills import KeyedQuestion, SkillConfig

QUESTIONS = [("What is 12 times 12?", "144"), ("What is 9 times 7?", "63")]
WAIT_S = 180


def _keyed_upstream() -> SimConfig:
    """The simulated upstream with QUESTIONS and their references as its answer key."""
    keyed = [KeyedQuestion(question=q, answer=a, category="maths") for q, a in QUESTIONS]
    return SimConfig.fast(base_ms=0).model_copy(update={"skills": SkillConfig(questions=keyed)})


async def _start_evaluation(http: httpx.AsyncClient) -> dict[str, Any]:
    """QUESTIONS evaluated with the chairman strategy, judged by two members: the evaluation as
    the server accepted it."""
    rows = [{"question": q, "reference": a, "category": "maths"} for q, a in QUESTIONS]
    dataset = "\n".join(json.dumps(r) for r in rows).encode()
    started = await http.post(
        "/api/evaluations",
        files={"file": ("maths.jsonl", dataset)},
        data={"strategies": "chairman", "judges": f"{MEMBERS[0]},{MEMBERS[2]}"},
    )
    assert started.status_code == 202, started.text
    body: dict[str, Any] = started.json()
    return body


@pytest.mark.timeout(WAIT_S + 60)
async def test_a_worker_runs_an_evaluation_the_server_enqueued(
    sim: SimServer, sqlite_url: str, deploy: Deploy
) -> None:
    sim.configure(_keyed_upstream())
    deployment = await deploy(database_url=sqlite_url, **workers_council_and_lease())
    workers = deployment.workers
    async with httpx.AsyncClient(base_url=deployment.server.base_url, timeout=60) as http:
        body = await _start_evaluation(http)
        assert body["status"] == "queued" and body["progress"]["running"] is True
        assert sim.requests == []  # nothing runs in the server
        workers.start("worker")
        done = await _until_ended(http, body["id"], workers.logs)
        workers.stop()
        assert done["status"] == "complete", (done, workers.logs())
        assert done["progress"]["done"] == done["progress"]["total"]
        assert done["progress"]["running"] is False
        report = (await http.get(f"/api/evaluations/{body['id']}/report")).json()
        assert [c["strategy"] for c in report["comparisons"]] == ["chairman"]
        runs = (await http.get("/api/conversations", params={"source": "eval"})).json()
        assert len(runs) == done["progress"]["total"]


async def _until_ended(
    http: httpx.AsyncClient,
    evaluation_id: str,
    worker_logs: Callable[[], str],
    *,
    final: tuple[str, ...] = ("complete", "failed", "interrupted"),
) -> dict[str, Any]:
    seen: dict[str, Any] = {}

    async def ended() -> bool:  # a long poll: the server answers when the status changes
        seen.update(
            (await http.get(f"/api/evaluations/{evaluation_id}", params={"wait": 10})).json()
        )
        return seen["status"] in final

    await until(ended, what="the evaluation ended", timeout=WAIT_S, explain=worker_logs)
    return seen


@pytest.mark.timeout(WAIT_S * 2)
async def test_an_evaluation_survives_its_worker_killed(
    sim: SimServer, sqlite_url: str, deploy: Deploy
) -> None:
    skilled = _keyed_upstream()
    # The council's reviews hang: worker A gets as far as both questions' stage 2.
    sim.configure(
        skilled.model_copy(update={"faults": {"*": [FaultSpec(hang=True, prompt_kind="ranking")]}})
    )
    deployment = await deploy(database_url=sqlite_url, **workers_council_and_lease())
    workers = deployment.workers
    first = workers.start("worker-a")
    async with httpx.AsyncClient(base_url=deployment.server.base_url, timeout=60) as http:
        evaluation = (await _start_evaluation(http))["id"]
        await asyncio.wait_for(_council_answers_stored(http, sim), WAIT_S)
        first.send_signal(signal.SIGKILL)
        first.wait(30)
        sim.configure(skilled)
        workers.start("worker-b")
        # The server's sweep marks it interrupted (its worker is gone); the queue hands it
        # to worker B, which resumes it.
        done = await _until_ended(http, evaluation, workers.logs, final=("complete", "failed"))
        workers.stop()
        assert done["status"] == "complete", (done, workers.logs())
        runs = (await http.get("/api/conversations", params={"source": "eval"})).json()
    # One run per call of the evaluation, none twice; each council synthesised once.
    assert len(runs) == done["progress"]["total"]
    assert sum(r.prompt_kind == "chairman" for r in sim.requests) == len(QUESTIONS)


async def _council_answers_stored(http: httpx.AsyncClient, sim: SimServer) -> None:
    """Until both council runs hang at their reviews with their answers stored."""
    await sim.wait_for_requests(
        lambda calls: (
            sum(c.prompt_kind == "ranking" for c in calls) >= len(QUESTIONS) * len(MEMBERS)
        )
    )

    async def stored() -> bool:
        count = 0
        for conversation in (
            await http.get("/api/conversations", params={"source": "eval"})
        ).json():
            detail = (await http.get(f"/api/conversations/{conversation['id']}")).json()
            answers = [m for m in detail["messages"] if m["role"] == "assistant"]
            council = answers and (answers[0].get("stage1") or [])
            count += bool(council and len(council) == len(MEMBERS))
        return count >= len(QUESTIONS)

    await until(stored, what="both councils' answers stored", timeout=WAIT_S)
