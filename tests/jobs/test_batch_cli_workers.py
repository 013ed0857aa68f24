"""``council batch FILE`` with Redis: the command stores and enqueues the batch, a ``council
worker`` process runs it, and the command follows it to the end and prints the answers."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from gov_support import run_cli
from jobs_support import WorkerProcesses, worker_env

from llmcouncil.sim import SimServer

QUESTIONS = ["Why is the sky blue?", "Why is the sea salty?"]


@pytest.mark.timeout(240)
async def test_council_batch_hands_the_batch_to_a_worker(
    tmp_path: Path,
    sim: SimServer,
    sqlite_url: str,
    queue_name: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env = worker_env(
        sim=sim, database_url=sqlite_url, queue=queue_name, key=Fernet.generate_key().decode()
    )
    monkeypatch.chdir(tmp_path)
    for name in ("COUNCIL_CONFIG", "COUNCIL_AUTH__MODE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        if name.startswith("COUNCIL_"):
            monkeypatch.setenv(name, value)
    lines = (json.dumps({"question": q}) for q in QUESTIONS)
    (tmp_path / "questions.jsonl").write_text("\n".join(lines))
    with WorkerProcesses(tmp_path, env) as workers:
        worker = workers.start("worker")
        result = await asyncio.to_thread(run_cli, "batch", "questions.jsonl", "--json")
    assert result.returncode == 0, (result.stderr, workers.logs())
    assert "2 questions, run by workers (Redis)" in result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["question"] for r in rows] == QUESTIONS
    assert all(r["status"] == "done" and r["answer"] for r in rows)
    assert worker.returncode == 0  # SIGTERM: a clean stop
    chairman = [r for r in sim.requests if r.prompt_kind == "chairman"]
    assert len(chairman) == len(QUESTIONS)
