"""An upload read by a ``council worker`` (Redis, SAQ): the server only stores it
``processing`` and enqueues its job; the job waits in Redis while no worker runs, and the first
worker to start reads it — the server never reads the file itself."""

from __future__ import annotations

import signal
from collections.abc import Callable
from typing import Any

import asyncpg
import httpx
import pytest
from jobs_support import Deploy
from support import until

from llmcouncil.documents.settings import DocumentSettings

WAIT_S = 120.0

BOOK = b"# The Lighthouse\n\n## One\n\nThe keeper climbs.\n\n## Two\n\nThe lamp goes out.\n"


async def _upload(http: httpx.AsyncClient) -> tuple[str, str]:
    """BOOK uploaded to a new conversation, to be read in the background: its id and URL."""
    cid = (await http.post("/api/conversations", json={})).json()["id"]
    accepted = await http.post(
        f"/api/conversations/{cid}/documents",
        files={"file": ("lighthouse.md", BOOK, "text/markdown")},
        headers={"Prefer": "respond-async"},
    )
    assert accepted.status_code == 202, accepted.text
    document_id = accepted.json()["id"]
    return document_id, f"/api/conversations/{cid}/documents/{document_id}"


async def _until_read(
    http: httpx.AsyncClient, url: str, *, what: str, explain: Callable[[], str]
) -> dict[str, Any]:
    """The document once it is no longer ``processing``."""
    seen: dict[str, Any] = {}

    async def read() -> bool:
        seen.update((await http.get(url)).json())
        return seen["status"] != "processing"

    await until(read, what=what, timeout=WAIT_S, explain=explain)
    return seen


@pytest.mark.timeout(WAIT_S * 2)
async def test_an_upload_waits_in_the_queue_for_a_worker_which_reads_it(
    database_url: str, deploy: Deploy
) -> None:
    deployment = await deploy(
        database_url=database_url, documents=DocumentSettings(extraction="thread")
    )
    async with httpx.AsyncClient(base_url=deployment.server.base_url, timeout=60) as http:
        _document_id, url = await _upload(http)
        # No worker yet: the job waits in Redis and the document stays processing.
        assert (await http.get(url)).json()["status"] == "processing"

        deployment.workers.start("worker")
        seen = await _until_read(
            http, url, what="the worker reads the upload", explain=deployment.workers.logs
        )
        assert seen["status"] == "ready", seen
        assert [c["title"] for c in seen["contents"] if c["level"] == 2] == ["One", "Two"]


@pytest.mark.timeout(WAIT_S * 3)
async def test_an_upload_whose_worker_is_killed_mid_job_is_read_by_the_next_once(
    database_url: str, deploy: Deploy
) -> None:
    """Worker A reads the upload and is held at its last write (the test holds the document's
    row locked), then killed with SIGKILL: its write never lands. SAQ's sweep hands the job to
    worker B once A's heartbeat is stale; B reads it again and stores its sections once."""
    if not database_url.startswith("postgresql"):
        pytest.skip("a row held locked by the test needs PostgreSQL")
    deployment = await deploy(
        database_url=database_url, documents=DocumentSettings(extraction="thread")
    )
    workers = deployment.workers
    pg = await asyncpg.connect(database_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        async with httpx.AsyncClient(base_url=deployment.server.base_url, timeout=60) as http:
            document_id, url = await _upload(http)
            holding = pg.transaction()
            await holding.start()
            await pg.execute("SELECT id FROM documents WHERE id = $1 FOR UPDATE", document_id)

            first = workers.start("worker-a")

            async def blocked() -> bool:  # A's final write waits for the row
                waiting = await pg.fetchval(
                    "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                    "WHERE NOT l.granted AND a.datname = current_database()"
                )
                return bool(waiting)

            await until(
                blocked, what="worker A at its last write", timeout=WAIT_S, explain=workers.logs
            )
            first.send_signal(signal.SIGKILL)
            first.wait(30)
            await holding.rollback()
            assert (await http.get(url)).json()["status"] == "processing"  # A's write is lost

            workers.start("worker-b")
            seen = await _until_read(
                http, url, what="worker B reads the upload", explain=workers.logs
            )
            assert seen["status"] == "ready", seen
            assert [c["title"] for c in seen["contents"] if c["level"] == 2] == ["One", "Two"]
        stored = await pg.fetchval(
            "SELECT count(*) FROM document_sections WHERE document_id = $1", document_id
        )
        assert stored == len(seen["contents"])  # one set of sections, not two
    finally:
        await pg.close()
