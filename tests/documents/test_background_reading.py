"""Uploads read by a background job (``Prefer: respond-async``), on SQLite and PostgreSQL: 202
``processing``, then ``ready`` with its contents (or ``failed`` with the reader's reason); bad
input still refused in the request; a question while a document is being read is a 409; a job
delivered twice does its work once."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from files import encrypt_pdf, make_epub, make_pdf
from support import LiveServer, until

from llmcouncil.config import Settings
from llmcouncil.documents.processing import DocumentUploads
from llmcouncil.documents.settings import DocumentSettings

ASYNC = {"Prefer": "respond-async"}


@pytest.fixture
async def docs_server(make_settings: Any, start_server: Any, database_url: str) -> LiveServer:
    settings: Settings = make_settings(
        database_url=database_url,
        documents=DocumentSettings(extraction="thread", max_file_bytes=2_000_000),
        privacy={"key": Fernet.generate_key().decode()},  # needed beside PostgreSQL
    )
    server: LiveServer = await start_server(settings)
    return server


async def _conversation(http: httpx.AsyncClient) -> str:
    return str((await http.post("/api/conversations", json={})).json()["id"])


async def _upload(http: httpx.AsyncClient, cid: str, name: str, data: bytes) -> httpx.Response:
    return await http.post(
        f"/api/conversations/{cid}/documents",
        files={"file": (name, data, "application/octet-stream")},
        headers=ASYNC,
    )


async def _until_status(http: httpx.AsyncClient, cid: str, document_id: str) -> dict[str, Any]:
    """The document once its job has ended (its status is no longer processing)."""
    url = f"/api/conversations/{cid}/documents/{document_id}"
    seen: dict[str, Any] = {}

    async def ended() -> bool:
        seen.update((await http.get(url)).json())
        return seen["status"] != "processing"

    await until(ended, what="the document's job ends", timeout=60)
    return seen


async def test_an_upload_is_read_in_the_background_and_becomes_ready(
    docs_server: LiveServer,
) -> None:
    async with httpx.AsyncClient(base_url=docs_server.base_url, timeout=60) as http:
        cid = await _conversation(http)
        response = await _upload(http, cid, "book.epub", make_epub(chapters=4))
        assert response.status_code == 202, response.text
        accepted = response.json()
        assert accepted["status"] == "processing" and accepted["section_count"] == 0
        done = await _until_status(http, cid, accepted["id"])
        assert done["status"] == "ready" and done["error"] is None
        assert (done["kind"], done["title"], done["chapters"]) == ("epub", "A Test Book", 4)
        assert len(done["contents"]) == done["section_count"] > 0
        listed = (await http.get(f"/api/conversations/{cid}/documents")).json()
        assert [(d["id"], d["status"]) for d in listed] == [(accepted["id"], "ready")]
        # Ready: the council is asked with it.
        asked = await http.post(f"/api/conversations/{cid}/message", json={"content": "Plot?"})
        assert asked.status_code == 200, asked.text


async def test_a_file_the_reader_refuses_becomes_failed_with_the_reason(
    docs_server: LiveServer,
) -> None:
    async with httpx.AsyncClient(base_url=docs_server.base_url, timeout=60) as http:
        cid = await _conversation(http)
        response = await _upload(http, cid, "locked.pdf", encrypt_pdf(make_pdf()))
        assert response.status_code == 202, response.text
        done = await _until_status(http, cid, response.json()["id"])
        assert done["status"] == "failed"
        assert done["error"]["code"] == "document_encrypted" and done["error"]["message"]
        assert done["contents"] == []
        # A failed document is left out of the council's context, not an obstacle.
        asked = await http.post(f"/api/conversations/{cid}/message", json={"content": "Hi?"})
        assert asked.status_code == 200, asked.text


@pytest.mark.parametrize(
    ("name", "data", "status"),
    [
        ("big.txt", b"word " * 500_000, 413),
        ("anim.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00", 415),
        ("empty.txt", b"", 422),
    ],
)
async def test_bad_input_is_refused_in_the_request_before_any_job(
    docs_server: LiveServer, name: str, data: bytes, status: int
) -> None:
    async with httpx.AsyncClient(base_url=docs_server.base_url, timeout=60) as http:
        cid = await _conversation(http)
        response = await _upload(http, cid, name, data)
        assert response.status_code == status, response.text
        assert (await http.get(f"/api/conversations/{cid}/documents")).json() == []


async def test_asking_while_a_document_is_being_read_is_a_409_and_a_second_job_is_a_no_op(
    docs_server: LiveServer,
) -> None:
    runtime = docs_server.runtime
    # Submitted without a queue: its job has not run, so the document stays processing.
    uploads = DocumentUploads(runtime.document_uploads.service, queue=None)
    async with httpx.AsyncClient(base_url=docs_server.base_url, timeout=60) as http:
        cid = await _conversation(http)
        submitted = await uploads.submit(
            cid, b"# Notes\n\nSome text.\n", filename="notes.md", content_type="text/markdown"
        )
        asked = await http.post(f"/api/conversations/{cid}/message", json={"content": "What?"})
        assert asked.status_code == 409, asked.text
        assert "still being read" in asked.json()["detail"]["message"]
        discuss = await http.post(
            f"/api/conversations/{cid}/documents/{submitted.document.id}/sections/0/discuss",
            json={"content": "And this chapter?"},
        )
        assert discuss.status_code == 409, discuss.text
        assert "still being read" in discuss.json()["detail"]["message"]
        conversation = (await http.get(f"/api/conversations/{cid}")).json()
        assert conversation["messages"] == []  # nothing stored by the refused questions

        document_id = submitted.document.id
        await uploads.process(document_id)
        await uploads.process(document_id)  # delivered again: it finds the work done
        done = (await http.get(f"/api/conversations/{cid}/documents/{document_id}")).json()
        assert done["status"] == "ready" and done["section_count"] == len(done["contents"])
        assert done["title"] == "notes"  # named after the upload, as when read at once
        asked = await http.post(f"/api/conversations/{cid}/message", json={"content": "What?"})
        assert asked.status_code == 200, asked.text
