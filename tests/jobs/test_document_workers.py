"""An upload read by a ``council worker`` (Redis, SAQ): the server only stores it
``processing`` and enqueues its job; the job waits in Redis while no worker runs, and the first
worker to start reads it — the server never reads the file itself."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path
from typing import Any

import asyncpg
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


@pytest.mark.timeout(WAIT_S * 3)
async def test_an_upload_whose_worker_is_killed_mid_job_is_read_by_the_next_once(
    tmp_path: Path,
    sim: SimServer,
    database_url: str,
    queue_name: str,
    make_settings: Any,
    start_server: Any,
) -> None:
    """Worker A reads the upload and is held at its last write (the test holds the document's
    row locked), then killed with SIGKILL: its write never lands. SAQ's sweep hands the job to
    worker B once A's heartbeat is stale; B reads it again and stores its sections once."""
    if not database_url.startswith("postgresql"):
        pytest.skip("a row held locked by the test needs PostgreSQL")
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
    env = worker_env(sim=sim, database_url=database_url, queue=queue_name, key=key)
    pg = await asyncpg.connect(database_url.replace("postgresql+asyncpg://", "postgresql://"))
    workers: list[subprocess.Popen[bytes]] = []

    def logs() -> str:
        return "\n".join(p.read_text() for p in sorted(tmp_path.glob("worker-*.log")))

    try:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=60) as http:
            cid = (await http.post("/api/conversations", json={})).json()["id"]
            accepted = await http.post(
                f"/api/conversations/{cid}/documents",
                files={"file": ("lighthouse.md", BOOK, "text/markdown")},
                headers={"Prefer": "respond-async"},
            )
            assert accepted.status_code == 202, accepted.text
            document_id = accepted.json()["id"]
            holding = pg.transaction()
            await holding.start()
            await pg.execute("SELECT id FROM documents WHERE id = $1 FOR UPDATE", document_id)

            workers.append(start_worker(tmp_path, env, "worker-a"))

            async def blocked() -> bool:  # A's final write waits for the row
                waiting = await pg.fetchval(
                    "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                    "WHERE NOT l.granted AND a.datname = current_database()"
                )
                return bool(waiting)

            await until(blocked, what="worker A at its last write", timeout=WAIT_S, explain=logs)
            workers[0].send_signal(signal.SIGKILL)
            workers[0].wait(30)
            await holding.rollback()
            url = f"/api/conversations/{cid}/documents/{document_id}"
            assert (await http.get(url)).json()["status"] == "processing"  # A's write is lost

            workers.append(start_worker(tmp_path, env, "worker-b"))
            seen: dict[str, Any] = {}

            async def read() -> bool:
                seen.update((await http.get(url)).json())
                return seen["status"] != "processing"

            await until(read, what="worker B reads the upload", timeout=WAIT_S, explain=logs)
            assert seen["status"] == "ready", seen
            assert [c["title"] for c in seen["contents"] if c["level"] == 2] == ["One", "Two"]
        stored = await pg.fetchval(
            "SELECT count(*) FROM document_sections WHERE document_id = $1", document_id
        )
        assert stored == len(seen["contents"])  # one set of sections, not two
    finally:
        await pg.close()
        for worker in workers:
            stop_worker(worker)
