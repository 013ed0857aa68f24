"""An upload read by a ``council worker`` (Redis, SAQ): the server only stores it
``processing`` and enqueues its job; the job waits in Redis while no worker runs, and the first
worker to start reads it — the server never reads the file itself."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from jobs_support import REDIS, start_worker, stop_worker, worker_env
from support import until

from llmcouncil.documents.settings import DocumentSettings
from llmcouncil.sim import SimServer

WAIT_S = 120.0

BOOK = b"# The Lighthouse\n\n## One\n\nThe keeper climbs.\n\n## Two\n\nThe lamp goes out.\n"


@pytest.mark.timeout(WAIT_S * 2)
async def test_an_upload_waits_in_the_queue_for_a_worker_which_reads_it(
    tmp_path: Path,
    sim: SimServer,
    database_url: str,
    queue_name: str,
    make_settings: Any,
    start_server: Any,
) -> None:
    key = Fernet.generate_key().decode()
    server = await start_server(
        make_settings(
            database_url=database_url,
            redis_url=REDIS,
            jobs={"queue": queue_name, "heartbeat": 1, "sweep": 1},
            privacy={"key": key},
            documents=DocumentSettings(extraction="thread"),
        )
    )
    worker = None
    try:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=60) as http:
            cid = (await http.post("/api/conversations", json={})).json()["id"]
            accepted = await http.post(
                f"/api/conversations/{cid}/documents",
                files={"file": ("lighthouse.md", BOOK, "text/markdown")},
                headers={"Prefer": "respond-async"},
            )
            assert accepted.status_code == 202, accepted.text
            url = f"/api/conversations/{cid}/documents/{accepted.json()['id']}"
            # No worker yet: the job waits in Redis and the document stays processing.
            assert (await http.get(url)).json()["status"] == "processing"

            env = worker_env(sim=sim, database_url=database_url, queue=queue_name, key=key)
            worker = start_worker(tmp_path, env, "worker")
            seen: dict[str, Any] = {}

            async def read() -> bool:
                seen.update((await http.get(url)).json())
                return seen["status"] != "processing"

            await until(
                read,
                what="the worker reads the upload",
                timeout=WAIT_S,
                explain=lambda: (tmp_path / "worker.log").read_text(),
            )
            assert seen["status"] == "ready", seen
            assert [c["title"] for c in seen["contents"] if c["level"] == 2] == ["One", "Two"]
    finally:
        if worker is not None:
            stop_worker(worker)
