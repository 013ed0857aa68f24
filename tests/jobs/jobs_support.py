"""``council worker`` processes for tests: their environment, their start and stop, and the
server in the test's process whose jobs they run."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
from support import CHAIRMAN, FAST_LEASE_ENV, MEMBERS, TEST_KEY_ENV, LiveServer, until

from llmcouncil.presets.settings import PresetSettings
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


def workers_council_and_lease() -> dict[str, Any]:
    """The server settings that match what ``worker_env`` gives the workers: the same council
    (its title model too) and the same short instance lease."""
    return {
        "instances": {"heartbeat": 0.2, "lease": 3},
        "presets": {
            "default": PresetSettings(
                members=list(MEMBERS), chairman=CHAIRMAN, title_model=MEMBERS[0]
            )
        },
    }


@dataclass(slots=True)
class WorkerProcesses:
    """The ``council worker`` processes of one test, each started in ``workdir`` with ``env`` and
    its errors appended to ``workdir/<name>.log``. ``stop`` (or leaving a ``with`` block) stops
    those still running with SIGTERM, a drain, and kills one that has not stopped in 30 s."""

    workdir: Path
    env: dict[str, str]
    started: list[tuple[str, subprocess.Popen[bytes]]] = field(default_factory=list)

    def start(self, name: str) -> subprocess.Popen[bytes]:
        with open(self.workdir / f"{name}.log", "ab") as log:  # the child keeps its own descriptor
            proc = subprocess.Popen(
                [sys.executable, "-m", "llmcouncil", "worker"],
                cwd=self.workdir,
                env=self.env,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        self.started.append((name, proc))
        return proc

    def logs(self) -> str:
        """What every worker started has logged, for a failing test's message."""
        names = dict.fromkeys(name for name, _proc in self.started)  # a log per name, in order
        return "\n".join(
            f"--- {name}:\n{(self.workdir / f'{name}.log').read_text()}" for name in names
        )

    def stop(self) -> None:
        for name, proc in self.started:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(10)
                    log = (self.workdir / f"{name}.log").read_text(errors="replace")
                    warnings.warn(  # shown in the summary: a worker should stop on SIGTERM
                        f"worker {name} was still running 30 s after SIGTERM and was killed; "
                        f"its log ends:\n{log[-3000:]}",
                        stacklevel=2,
                    )

    def __enter__(self) -> WorkerProcesses:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


@dataclass(slots=True)
class WorkerDeployment:
    """A server in the test's process that enqueues its jobs on Redis, and the ``council worker``
    processes that run them: one database, queue and vault key."""

    server: LiveServer
    workers: WorkerProcesses


# deploy(database_url=..., **settings): the ``deploy`` fixture (tests/jobs/conftest.py).
Deploy = Callable[..., Awaitable[WorkerDeployment]]


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
