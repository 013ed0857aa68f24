"""The embedded mode (no Redis): a server killed with SIGKILL mid-batch, and the next server on
the same SQLite file finishes the batch at its start, once the dead one's lease has passed,
asking again only the reviews that were in flight."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from jobs_support import worker_env
from support import CHAIRMAN, MEMBERS, free_port

from llmcouncil.sim import FaultSpec, SimServer

QUESTIONS = ["Why is the sky blue?", "Why is the sea salty?"]
WAIT_S = 180


def _serve(tmp_path: Path, env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    with open(tmp_path / "server.log", "ab") as log:  # the child keeps its own descriptor
        return subprocess.Popen(
            [sys.executable, "-m", "llmcouncil", "serve", "--port", str(port)],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )


async def _ready(http: httpx.AsyncClient, proc: subprocess.Popen[bytes], log: Path) -> None:
    loop = asyncio.get_running_loop()
    give_up = loop.time() + WAIT_S
    while loop.time() < give_up:
        if proc.poll() is not None:
            raise AssertionError(f"server exited: {log.read_text()}")
        try:
            if (await http.get("/readyz")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.05)  # a child process has no start-up event to await
    raise AssertionError(f"server not ready within {WAIT_S} s: {log.read_text()}")


async def _until(http: httpx.AsyncClient, batch_id: str, sim: SimServer) -> None:
    """Until the first question's reviews hang at the upstream with its answers stored."""
    while True:
        reviews = sum(r.prompt_kind == "ranking" and _asks(r, QUESTIONS[0]) for r in sim.requests)
        items = (await http.get(f"/api/batches/{batch_id}/results")).json()["items"]
        conversation = items[0]["conversation_id"]
        if reviews == len(MEMBERS) and conversation is not None:
            detail = (await http.get(f"/api/conversations/{conversation}")).json()
            if any(m["role"] == "assistant" and m["stage1"] for m in detail["messages"]):
                return
        await asyncio.sleep(0.05)  # a poll, bounded by the caller


def _asks(request: Any, question: str) -> bool:
    return any(question in str(m.get("content")) for m in request.messages)


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
        first = _serve(tmp_path, env, port)
        try:
            await _ready(http, first, log)
            started = await http.post(
                "/api/batches", json={"questions": QUESTIONS, "concurrency": 1}
            )
            assert started.status_code == 202, started.text
            batch = started.json()
            assert batch["engine"] == "local"
            await asyncio.wait_for(_until(http, batch["id"], sim), WAIT_S)
            first.send_signal(signal.SIGKILL)
            first.wait(30)
        finally:
            if first.poll() is None:
                first.kill()
                first.wait(10)
        sim.configure(sim.config.model_copy(update={"faults": {}}))

        second = _serve(tmp_path, env, port)
        try:
            await _ready(http, second, log)
            done = (await http.get(f"/api/batches/{batch['id']}", params={"wait": 60})).json()
            items = (await http.get(f"/api/batches/{batch['id']}/results")).json()["items"]
        finally:
            second.terminate()
            second.wait(30)
    assert done["status"] == "complete", (done, log.read_text()[-3000:])
    assert [i["status"] for i in items] == ["done", "done"]
    for position, question in enumerate(QUESTIONS):
        calls = Counter((r.prompt_kind, r.model) for r in sim.requests if _asks(r, question))
        reviews = 2 if position == 0 else 1  # in flight at the kill: asked again
        assert calls == Counter(
            {
                **{("answer", m): 1 for m in MEMBERS},
                **{("ranking", m): reviews for m in MEMBERS},
                ("chairman", CHAIRMAN): 1,
            }
        ), (question, calls)
