"""An upload read by a ``council worker`` (Redis, SAQ): the server only stores it
``processing`` and enqueues its job; the job waits in Redis while no worker runs, and the first
worker to start reads it — the server never reads the file itself. A plain upload (no
``Prefer``) is read by a worker too, its request waiting for the read (or answered 202 when no
worker read it within ``documents.upload_wait``), and a worker writes a book's summaries. Files
sent inside ``/v1`` and MCP requests are read by workers too."""

from __future__ import annotations

import base64
import signal
from collections.abc import Callable
from typing import Any

import asyncpg
import httpx
import pytest
from jobs_support import Deploy, first_question_hangs_at_review, workers_council_and_lease
from mcp import Client
from support import until

from llmcouncil.documents.settings import DocumentSettings
from llmcouncil.documents.summaries import SUMMARY_MARKER
from llmcouncil.sim import FaultSpec, SimServer

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


# Three chapters (level-1 headings): the first two are summarised in the background.
CHAPTERS = b"".join(
    f"# {name}\n\nThe keeper of the {name.lower()} chapter climbs the stair.\n\n".encode()
    for name in ("Dawn", "Noon", "Dusk")
)


@pytest.mark.timeout(WAIT_S * 2)
async def test_a_plain_upload_is_read_by_a_worker_while_its_request_waits(
    database_url: str, deploy: Deploy, sim: SimServer
) -> None:
    """Without ``Prefer: respond-async`` the request waits for a worker's read: 201 with the
    contents, or the reader's refusal with nothing left stored; the worker also writes the
    book's chapter summaries (``documents.summaries = "background"``)."""
    # The server's own reader would refuse the book (max_chars): it is the worker that reads.
    documents = DocumentSettings(extraction="thread", summaries="background", max_chars=50)
    deployment = await deploy(database_url=database_url, documents=documents)
    workers = deployment.workers
    workers.env["COUNCIL_DOCUMENTS__EXTRACTION"] = "thread"
    workers.env["COUNCIL_DOCUMENTS__SUMMARIES"] = "background"
    workers.start("worker")
    async with httpx.AsyncClient(base_url=deployment.server.base_url, timeout=WAIT_S) as http:
        cid = (await http.post("/api/conversations", json={})).json()["id"]
        url = f"/api/conversations/{cid}/documents"
        read = await http.post(url, files={"file": ("day.md", CHAPTERS, "text/markdown")})
        assert read.status_code == 201, read.text
        assert read.json()["status"] == "ready" and read.json()["chapters"] == 3
        assert "Preference-Applied" not in read.headers

        refused = await http.post(url, files={"file": ("locked.pdf", _locked_pdf(), None)})
        assert refused.status_code == 422, refused.text
        assert refused.json()["detail"]["code"] == "document_encrypted"
        assert [d["filename"] for d in (await http.get(url)).json()] == ["day.md"]

        document_url = f"{url}/{read.json()['id']}"
        contents: list[dict[str, Any]] = []

        async def summarised() -> bool:
            contents[:] = (await http.get(document_url)).json()["contents"]
            return all(c["has_summary"] for c in contents[:2])

        await until(summarised, what="the worker summarises", timeout=WAIT_S, explain=workers.logs)
        assert [c["has_summary"] for c in contents] == [True, True, False]
    summaries = [r for r in sim.requests if SUMMARY_MARKER in r.messages[-1]["content"]]
    assert len(summaries) == 2


@pytest.mark.timeout(WAIT_S * 2)
async def test_a_plain_upload_no_worker_reads_within_the_wait_is_answered_202(
    database_url: str, deploy: Deploy
) -> None:
    """The wait is ``documents.upload_wait`` (300 s here), or less when the client says so
    (RFC 7240's ``Prefer: wait=N``)."""
    documents = DocumentSettings(extraction="thread")
    deployment = await deploy(database_url=database_url, documents=documents)
    async with httpx.AsyncClient(base_url=deployment.server.base_url, timeout=60) as http:
        cid = (await http.post("/api/conversations", json={})).json()["id"]
        accepted = await http.post(
            f"/api/conversations/{cid}/documents",
            files={"file": ("lighthouse.md", BOOK, "text/markdown")},
            headers={"Prefer": "wait=0"},
        )
        assert accepted.status_code == 202, accepted.text
        assert accepted.json()["status"] == "processing"
        assert "Preference-Applied" not in accepted.headers  # the client did not ask for it
        deployment.workers.start("worker")
        seen = await _until_read(
            http,
            f"/api/conversations/{cid}/documents/{accepted.json()['id']}",
            what="the worker reads the upload",
            explain=deployment.workers.logs,
        )
        assert seen["status"] == "ready", seen


def _locked_pdf() -> bytes:
    """A one-page PDF encrypted with a user password: the reader refuses it."""
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.encrypt(user_password="secret")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.timeout(WAIT_S * 2)
async def test_an_upload_is_read_while_every_long_job_slot_holds_a_batch(
    database_url: str, deploy: Deploy, sim: SimServer
) -> None:
    """A worker with one slot for long jobs, held by a batch whose reviews hang: an upload is
    read at once all the same, on the quick lane (before, it waited for the batch to end)."""
    deployment = await deploy(
        database_url=database_url,
        documents=DocumentSettings(extraction="thread", upload_wait=WAIT_S / 2),
        **workers_council_and_lease(),
    )
    workers = deployment.workers
    workers.env["COUNCIL_JOBS__CONCURRENCY"] = "1"
    workers.env["COUNCIL_DOCUMENTS__EXTRACTION"] = "thread"
    sim.configure(
        sim.config.model_copy(
            update={"faults": {"*": [FaultSpec(hang=True, prompt_kind="ranking")]}}
        )
    )
    workers.start("worker")
    question = "Why is the sky blue?"
    async with httpx.AsyncClient(base_url=deployment.server.base_url, timeout=WAIT_S) as http:
        started = await http.post("/api/batches", json={"questions": [question]})
        assert started.status_code == 202, started.text
        batch_id = started.json()["id"]
        await first_question_hangs_at_review(http, sim, batch_id, question, timeout=WAIT_S)

        cid = (await http.post("/api/conversations", json={})).json()["id"]
        read = await http.post(
            f"/api/conversations/{cid}/documents",
            files={"file": ("lighthouse.md", BOOK, "text/markdown")},
        )
        assert read.status_code == 201, (read.text, workers.logs())
        assert read.json()["status"] == "ready"
        batch = (await http.get(f"/api/batches/{batch_id}")).json()
        assert batch["status"] == "running"  # still holding the one long slot
        sim.configure(sim.config.model_copy(update={"faults": {}}))


@pytest.mark.timeout(WAIT_S * 2)
async def test_files_sent_inside_v1_and_mcp_requests_are_read_by_a_worker(
    database_url: str, deploy: Deploy, sim: SimServer
) -> None:
    """A ``/v1`` request's inline file and an MCP tool call's document: the server's own reader
    would refuse them (``max_chars``), so an answer proves a worker read them; a file the
    worker refuses is the request's error, and the conversation opened for it is not kept."""
    documents = DocumentSettings(extraction="thread", max_chars=50)
    # Nothing here is about takeover: a lease no stall of a loaded machine outlasts, so the
    # worker never takes the server's runs for a dead instance's.
    same = {**workers_council_and_lease(), "instances": {"heartbeat": 1, "lease": 60}}
    deployment = await deploy(database_url=database_url, documents=documents, **same)
    workers = deployment.workers
    workers.env["COUNCIL_DOCUMENTS__EXTRACTION"] = "thread"
    workers.env.update(COUNCIL_INSTANCES__HEARTBEAT="1", COUNCIL_INSTANCES__LEASE="60")
    workers.start("worker")
    book = base64.b64encode(CHAPTERS).decode()
    base = deployment.server.base_url
    async with httpx.AsyncClient(base_url=base, timeout=WAIT_S) as http:
        question = "Who climbs the stair?"
        answered = await _ask_with_file(
            http, question, "day.md", f"data:text/markdown;base64,{book}"
        )
        assert answered.status_code == 200, (answered.text, workers.logs())
        asked = [r for r in sim.requests if r.messages[-1]["content"] == question]
        assert asked and all("noon chapter climbs" in r.messages[0]["content"] for r in asked)
        before = (await http.get("/api/conversations")).json()

        locked = base64.b64encode(_locked_pdf()).decode()
        refused = await _ask_with_file(http, "What does it say?", "a.pdf", locked)
        assert refused.status_code == 400, refused.text
        error = refused.json()["error"]
        assert error["code"] == "document_encrypted" and "(a.pdf)" in error["message"]
        assert (await http.get("/api/conversations")).json() == before  # nothing kept

    question = "When does dusk come?"
    async with Client(f"{base}/mcp") as mcp:
        result = await mcp.call_tool(
            "consult_council",
            {"question": question, "documents": [{"name": "day.md", "content_base64": book}]},
        )
    assert not result.is_error, (result.content, workers.logs())
    asked = [r for r in sim.requests if r.messages[-1]["content"] == question]
    assert asked and all("dusk chapter climbs" in r.messages[0]["content"] for r in asked)


async def _ask_with_file(
    http: httpx.AsyncClient, question: str, filename: str, file_data: str
) -> httpx.Response:
    """``/v1/chat/completions`` with one user message: the question and a file sent inline."""
    file_part = {"type": "file", "file": {"filename": filename, "file_data": file_data}}
    content = [{"type": "text", "text": question}, file_part]
    return await http.post(
        "/v1/chat/completions",
        json={"model": "council", "messages": [{"role": "user", "content": content}]},
    )
