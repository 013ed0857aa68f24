"""Files sent inside a request (``/v1`` content parts, the MCP tool's documents), on SQLite and
PostgreSQL (``documents/inline.py``): one bad file refuses the whole request. Without workers
each file is read before anything is stored; where workers read files, what needs no reading
is refused at once and the rest is read by the document job once the conversation exists,
each refusal naming its file, and files no worker read within the wait refused as 429.

The jobs run on an in-process queue that answers as a worker deployment's (``reading_support``);
the wait's sleep waits for them, so the tests are driven by the jobs, not by time.
"""

from __future__ import annotations

import asyncio

import pytest
from files import encrypt_pdf, make_pdf, make_png
from reading_support import JobClock, Reading, WorkerQueue

from llmcouncil.api.errors import status_for
from llmcouncil.documents.inline import Attach, InlineFile, read_inline
from llmcouncil.documents.processing import KIND
from llmcouncil.errors import (
    ContentTooLargeError,
    DocumentRejectedError,
    OverloadedError,
    PiiBlockedError,
    UnsupportedMediaTypeError,
    ValidationFailedError,
)

BOOK = b"# The Lighthouse\n\n## One\n\nThe keeper climbs.\n\n## Two\n\nThe lamp goes out.\n"
SECRET = b"# Notes\n\nThe database password=Kp4$mN8@rT2yB is in the vault.\n"


def _file(data: bytes, name: str, index: int, media: str | None = None) -> InlineFile:
    return InlineFile(filename=name, data=data, media_type=media, where=f"documents[{index}]")


async def _by_workers(reading: Reading, *files: InlineFile) -> Attach:
    attach = await read_inline(
        reading.service,
        files,
        uploads=reading.uploads,
        sleep=reading.time.sleep,
        clock=reading.time.clock,
    )
    assert attach is not None
    return attach


async def test_without_workers_a_bad_file_is_refused_before_anything_is_stored(
    reading: Reading,
) -> None:
    files = [_file(BOOK, "lighthouse.md", 0), _file(encrypt_pdf(make_pdf()), "locked.pdf", 1)]
    with pytest.raises(DocumentRejectedError) as refused:
        await read_inline(reading.service, files)  # no uploads: this process reads
    assert refused.value.message.startswith("documents[1] (locked.pdf): ")
    attach = await read_inline(reading.service, files[:1])
    assert attach is not None
    cid = (await reading.service.store.create_conversation()).id
    await attach(cid)
    stored = await reading.service.documents.list_documents(cid)
    assert [(d.filename, d.status) for d in stored] == [("lighthouse.md", "ready")]
    assert await read_inline(reading.service, []) is None


async def test_where_workers_read_files_each_is_read_by_its_job_once_attached(
    reading: Reading,
) -> None:
    files = [_file(BOOK, "lighthouse.md", 0), _file(make_png(), "image-1.png", 1, "image/png")]
    attach = await _by_workers(reading, *files)
    assert reading.queue.keys(KIND) == []  # nothing submitted before the conversation exists
    cid = (await reading.service.store.create_conversation()).id
    await attach(cid)
    stored = {d.filename: d for d in await reading.service.documents.list_documents(cid)}
    assert {name: d.status for name, d in stored.items()} == {
        "lighthouse.md": "ready",
        "image-1.png": "ready",
    }
    book = await reading.service.documents.get(cid, stored["lighthouse.md"].id, sections=True)
    assert [s.title for s in book.sections or [] if s.level == 2] == ["One", "Two"]


async def test_where_workers_read_files_a_file_the_reader_refuses_is_raised_naming_it(
    reading: Reading,
) -> None:
    files = [_file(BOOK, "lighthouse.md", 0), _file(encrypt_pdf(make_pdf()), "locked.pdf", 1)]
    attach = await _by_workers(reading, *files)  # the bytes look like a PDF: left to the reader
    cid = (await reading.service.store.create_conversation()).id
    with pytest.raises(DocumentRejectedError) as refused:
        await attach(cid)
    assert refused.value.code == "document_encrypted" and status_for(refused.value) == 422
    assert refused.value.message.startswith("documents[1] (locked.pdf): ")


async def test_where_workers_read_files_a_secret_is_refused_with_its_kinds(
    reading: Reading,
) -> None:
    attach = await _by_workers(reading, _file(SECRET, "notes.md", 0))
    cid = (await reading.service.store.create_conversation()).id
    with pytest.raises(PiiBlockedError) as refused:
        await attach(cid)
    assert refused.value.entities and refused.value.message.startswith("documents[0] (notes.md)")


async def test_where_workers_read_files_what_needs_no_reading_is_refused_at_once(
    reading: Reading,
) -> None:
    service = reading.service
    with pytest.raises(UnsupportedMediaTypeError) as unknown:
        await _by_workers(reading, _file(BOOK, "a.md", 0), _file(b"\x00\x01\x02\xff", "x.bin", 1))
    assert unknown.value.message.startswith("documents[1] (x.bin): ")
    service.settings.max_file_bytes = len(BOOK) - 1
    with pytest.raises(ContentTooLargeError) as large:
        await _by_workers(reading, _file(BOOK, "lighthouse.md", 0))
    assert large.value.message.startswith("documents[0] (lighthouse.md): ")
    service.settings.max_file_bytes = len(BOOK)
    service.settings.max_documents = 1
    with pytest.raises(ValidationFailedError, match="at most 1"):
        await _by_workers(reading, _file(BOOK, "a.md", 0), _file(BOOK + b"!", "b.md", 1))
    assert reading.queue.keys(KIND) == []  # none of them was submitted


async def test_files_no_worker_reads_within_the_wait_are_refused_as_busy(
    reading: Reading,
) -> None:
    """Every worker busy (the job never ends): after ``documents.upload_wait`` in all, 429
    naming the files; what was opened for the request is the caller's to remove."""
    never = asyncio.Event()

    async def stuck(_key: str) -> None:
        await never.wait()

    reading.uploads.queue = WorkerQueue({KIND: stuck})
    reading.time = JobClock(None)  # the clock moves; no job ends
    files = [_file(BOOK, "lighthouse.md", 0), _file(BOOK + b"!", "lamp.md", 1)]
    try:
        attach = await _by_workers(reading, *files)
        cid = (await reading.service.store.create_conversation()).id
        with pytest.raises(OverloadedError) as busy:
            await attach(cid)
    finally:
        await reading.uploads.queue.aclose()
    assert status_for(busy.value) == 429 and busy.value.retry_after > 0
    assert "documents[0] (lighthouse.md), documents[1] (lamp.md)" in busy.value.message
    assert sum(reading.time.sleeps) == pytest.approx(reading.service.settings.upload_wait)
