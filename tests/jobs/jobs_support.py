"""``council worker`` processes for tests: their environment and their start and stop."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from support import CHAIRMAN, FAST_LEASE_ENV, MEMBERS, TEST_KEY_ENV

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
