"""The embedded mode (no Redis): a server killed with SIGKILL mid-batch, and the next server on
the same SQLite file finishes the batch at its start, once the dead one's lease has passed,
asking again only the reviews that were in flight."""

from __future__ import annotations

import signal
from collections import Counter
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet
from jobs_support import asks, first_question_hangs_at_review, worker_env
from support import CHAIRMAN, MEMBERS, free_port, serve, until_ready

from llmcouncil.sim import FaultSpec, SimServer

QUESTIONS = ["Why is the sky blue?", "Why is the sea salty?"]
WAIT_S = 180


@pytest.mark.timeout(WAIT_S * 2)
async def test_the_next_server_finishes_a_killed_servers_batch(
    tmp_path: Path, sim: SimServer, sqlite_url: str
) -> None:
    env = worker_env(
        sim=sim, database_url=sqlite_url, queue="unused", key=Fernet.generate_key().decode()
    )
    for name in ("COUNCIL_REDIS_URL", "COUNCIL_JOBS__QUEUE"):
        env.pop(name)  # the embedded mode: no Redis, the server runs its batches itself
    port = free_port()
    sim.configure(
        sim.config.model_copy(
            update={"faults": {"*": [FaultSpec(hang=True, prompt_kind="ranking")]}}
        )
    )
    log = tmp_path / "server.log"
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
        first = serve(tmp_path, env, port)
        try:
            await until_ready(str(http.base_url), first, log)
            started = await http.post(
                "/api/batches", json={"questions": QUESTIONS, "concurrency": 1}
            )
            assert started.status_code == 202, started.text
            batch = started.json()
            assert batch["engine"] == "local"
            await first_question_hangs_at_review(
                http, sim, batch["id"], QUESTIONS[0], timeout=WAIT_S
            )
            first.send_signal(signal.SIGKILL)
            first.wait(30)
        finally:
            if first.poll() is None:
                first.kill()
                first.wait(10)
        sim.configure(sim.config.model_copy(update={"faults": {}}))

        second = serve(tmp_path, env, port)
        try:
            await until_ready(str(http.base_url), second, log)
            done = (await http.get(f"/api/batches/{batch['id']}", params={"wait": 60})).json()
            items = (await http.get(f"/api/batches/{batch['id']}/results")).json()["items"]
        finally:
            second.terminate()
            second.wait(30)
    assert done["status"] == "complete", (done, log.read_text()[-3000:])
    assert [i["status"] for i in items] == ["done", "done"]
    for position, question in enumerate(QUESTIONS):
        calls = Counter((r.prompt_kind, r.model) for r in sim.requests if asks(r, question))
        reviews = 2 if position == 0 else 1  # in flight at the kill: asked again
        assert calls == Counter(
            {
                **{("answer", m): 1 for m in MEMBERS},
                **{("ranking", m): reviews for m in MEMBERS},
                ("chairman", CHAIRMAN): 1,
            }
        ), (question, calls)
