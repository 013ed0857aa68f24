from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis
from cryptography.fernet import Fernet
from jobs_support import REDIS, Deploy, WorkerDeployment, WorkerProcesses, worker_env

from llmcouncil.sim import SimServer


@pytest.fixture
async def queue_name() -> AsyncIterator[str]:
    """A queue of the test's own on the machine's Redis, removed afterwards."""
    name = f"test-{uuid.uuid4().hex[:12]}"
    yield name
    client = aioredis.from_url(REDIS)
    try:
        for pattern in (f"saq:{name}:*", f"saq:job:{name}:*"):
            async for key in client.scan_iter(match=pattern):
                await client.delete(key)
    finally:
        await client.aclose()


@pytest.fixture
async def deploy(
    tmp_path: Path,
    sim: SimServer,
    queue_name: str,
    make_settings: Any,
    start_server: Any,
) -> AsyncIterator[Deploy]:
    """``deploy(database_url=..., **settings)`` starts the real server in the test's process on
    ``database_url`` with Redis, the test's queue (a one-second job heartbeat and sweep) and a
    fresh vault key, ``settings`` on top; its workers, started when the test says, share all
    four. Every worker still running at the end is stopped, before the server."""
    deployed: list[WorkerProcesses] = []

    async def start(*, database_url: str, **settings: Any) -> WorkerDeployment:
        key = Fernet.generate_key().decode()
        server = await start_server(
            make_settings(
                database_url=database_url,
                redis_url=REDIS,
                jobs={"queue": queue_name, "heartbeat": 1, "sweep": 1},
                privacy={"key": key},
                **settings,
            )
        )
        env = worker_env(sim=sim, database_url=database_url, queue=queue_name, key=key)
        workers = WorkerProcesses(tmp_path, env)
        deployed.append(workers)
        return WorkerDeployment(server, workers)

    yield start
    for workers in deployed:
        workers.stop()
