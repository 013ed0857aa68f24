"""``council worker`` processes for tests: their environment and their start and stop."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
from support import CHAIRMAN, FAST_LEASE_ENV, MEMBERS, TEST_KEY_ENV, until

from llmcouncil.sim import SimServer

REDIS = "redis://127.0.0.1:6379/0"


def worker_env(*, sim: SimServer, database_url: str, queue: str, key: str) -> dict[str, str]:
    """The configuration a worker shares with the server: database, Redis, queue, upstream,
    council and vault key; a one-second job heartbeat and sweep, and the short lease."""
    return {
        **os.environ,
        "COUNCIL_DATABASE_URL": database_url,
        "COUNCIL_DEFAULT_PROVIDER": "sim",
        "COUNCIL_PROVIDERS": json.dumps(
            {"sim": {"base_url": sim.base_url, "api_key_env": TEST_KEY_ENV}}
        ),
        "COUNCIL_PRESETS": json.dumps(
            {"default": {"members": MEMBERS, "chairman": CHAIRMAN, "title_model": MEMBERS[0]}}
        ),
        "COUNCIL_REDIS_URL": REDIS,
        "COUNCIL_JOBS__QUEUE": queue,
        "COUNCIL_JOBS__HEARTBEAT": "1",
        "COUNCIL_JOBS__SWEEP": "1",
        "COUNCIL_PRIVACY__KEY": key,
        "COUNCIL_LOG_LEVEL": "INFO",
        TEST_KEY_ENV: "sk-test",
        **FAST_LEASE_ENV,  # a killed worker's batch and run are free once its lease has passed
    }


def start_worker(tmp_path: Path, env: dict[str, str], name: str) -> subprocess.Popen[bytes]:
    with open(tmp_path / f"{name}.log", "ab") as log:  # the child keeps its own descriptor
        return subprocess.Popen(
            [sys.executable, "-m", "llmcouncil", "worker"],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )


def stop_worker(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def asks(request: Any, question: str) -> bool:
    """Whether a captured upstream call is about ``question``."""
    return any(question in str(m.get("content")) for m in request.messages)


async def first_question_hangs_at_review(
    http: httpx.AsyncClient, sim: SimServer, batch_id: str, question: str, *, timeout: float
) -> None:
    """Until every member's review of the batch's first ``question`` has reached the upstream
    (where it hangs) and that question's answers are stored: a kill from then on must not ask
    a member to answer again."""
    await asyncio.wait_for(
        sim.wait_for_requests(
            lambda calls: (
                sum(c.prompt_kind == "ranking" and asks(c, question) for c in calls) >= len(MEMBERS)
            )
        ),
        timeout,
    )

    async def answers_stored() -> bool:
        items = (await http.get(f"/api/batches/{batch_id}/results")).json()["items"]
        conversation = items[0]["conversation_id"]
        if conversation is None:
            return False
        detail = (await http.get(f"/api/conversations/{conversation}")).json()
        return any(m["role"] == "assistant" and m["stage1"] for m in detail["messages"])

    await until(answers_stored, what="the first question's answers stored", timeout=timeout)
