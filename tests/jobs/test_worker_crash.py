"""A batch survives its worker's death: real ``council worker`` processes on Redis.

The server (in the test's process) enqueues the batch; worker A runs it until its first
question's review calls are in flight at the simulated upstream, and is killed with SIGKILL
(or stopped with SIGTERM, a drain). Worker B, started after, gets the job — after a kill, once
SAQ's sweep finds it untouched past ``jobs.heartbeat`` and A's heartbeat on the database is
older than the lease; after SIGTERM, at once, A having handed it back — and finishes it. What
the upstream received says no call was made twice except the four reviews that were in flight
when A stopped (their answers never arrived): the first question's answers were kept and its
run resumed at the reviews, and the other questions were asked once each.
"""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from jobs_support import Deploy, asks, first_question_hangs_at_review, workers_council_and_lease
from support import CHAIRMAN, MEMBERS

from llmcouncil.sim import FaultSpec, SimServer

QUESTIONS = ["Why is the sky blue?", "Why is the sea salty?", "Why do cats purr?"]
WAIT_S = 180  # far beyond a healthy run on a loaded machine; a broken one fails, not hangs


async def _until_ended(
    client: httpx.AsyncClient, batch_id: str, worker_logs: Callable[[], str]
) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    give_up = loop.time() + WAIT_S
    while loop.time() < give_up:
        body: dict[str, Any] = (
            await client.get(f"/api/batches/{batch_id}", params={"wait": 10})
        ).json()
        if body["status"] not in ("queued", "running"):
            return body
    raise AssertionError(f"batch {batch_id} did not end within {WAIT_S} s:\n{worker_logs()}")


@pytest.mark.timeout(WAIT_S + 120)
@pytest.mark.parametrize("stop", [signal.SIGKILL, signal.SIGTERM], ids=["kill-9", "sigterm"])
async def test_a_batch_survives_a_worker_killed_mid_run(
    stop: signal.Signals, sim: SimServer, database_url: str, deploy: Deploy
) -> None:
    deployment = await deploy(database_url=database_url, **workers_council_and_lease())
    workers = deployment.workers
    # Every review hangs: worker A gets as far as the first question's reviews.
    sim.configure(
        sim.config.model_copy(
            update={"faults": {"*": [FaultSpec(hang=True, prompt_kind="ranking")]}}
        )
    )
    first = workers.start("worker-a")
    async with httpx.AsyncClient(base_url=deployment.server.base_url, timeout=60) as http:
        started = await http.post("/api/batches", json={"questions": QUESTIONS, "concurrency": 1})
        assert started.status_code == 202, started.text
        batch = started.json()
        assert batch["engine"] == "redis"
        await first_question_hangs_at_review(http, sim, batch["id"], QUESTIONS[0], timeout=WAIT_S)
        first.send_signal(stop)
        stopped = first.wait(60)
        if stop == signal.SIGTERM:  # a drain: the job goes back to the queue at once
            assert stopped == 0, workers.logs()
        sim.configure(sim.config.model_copy(update={"faults": {}}))

        workers.start("worker-b")
        done = await _until_ended(http, batch["id"], workers.logs)
        results = (await http.get(f"/api/batches/{batch['id']}/results")).json()["items"]
        first_conversation = (
            await http.get(f"/api/conversations/{results[0]['conversation_id']}")
        ).json()
    workers.stop()

    assert done["status"] == "complete", done
    assert done["progress"]["done"] == len(QUESTIONS)
    assert all(item["status"] == "done" and item["answer"] for item in results)
    # One run for the first question, resumed (a second attempt), not a second run.
    answers = [m for m in first_conversation["messages"] if m["role"] == "assistant"]
    assert len(answers) == 1 and answers[0]["attempts"] == 2
    for position, question in enumerate(QUESTIONS):
        calls = Counter((r.prompt_kind, r.model) for r in sim.requests if asks(r, question))
        reviews = 2 if position == 0 else 1  # the reviews in flight at the kill, asked again
        assert calls == Counter(
            {
                **{("answer", m): 1 for m in MEMBERS},
                **{("ranking", m): reviews for m in MEMBERS},
                ("chairman", CHAIRMAN): 1,
            }
        ), (question, calls)
