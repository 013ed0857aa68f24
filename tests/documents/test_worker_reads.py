"""A plain upload where workers read files (``documents/worker_reads.py``), on SQLite and
PostgreSQL: the request waits for the job and answers as an in-request read would — the
document ready, or the reader's refusal with nothing left stored — or, when no worker finished
within the wait, the document left ``processing`` to its job.

The job runs on an in-process queue here (``reading_support``), and the wait's sleep waits for
that job to end, so the tests are driven by the job, not by time.
"""

from __future__ import annotations

from typing import Any

import pytest
from files import encrypt_pdf, make_pdf
from reading_support import JobClock, Reading

from llmcouncil.api.errors import status_for
from llmcouncil.documents.processing import PROCESSING
from llmcouncil.documents.worker_reads import failure_error, read_by_worker, settled
from llmcouncil.errors import (
    ContentTooLargeError,
    DocumentRejectedError,
    PiiBlockedError,
    StorageError,
    UnsupportedMediaTypeError,
    VaultContendedError,
)

BOOK = b"# The Lighthouse\n\n## One\n\nThe keeper climbs.\n\n## Two\n\nThe lamp goes out.\n"


async def _read(reading: Reading, cid: str, data: bytes, name: str, *, wait: float = 60) -> Any:
    return await read_by_worker(
        reading.uploads,
        cid,
        data,
        filename=name,
        content_type=None,
        wait=wait,
        sleep=reading.time.sleep,
        clock=reading.time.clock,
    )


async def test_a_file_read_by_the_job_is_answered_ready_with_its_sections(
    reading: Reading,
) -> None:
    cid = (await reading.service.store.create_conversation()).id
    submitted = await _read(reading, cid, BOOK, "lighthouse.md")
    assert submitted.created and submitted.document.status == "ready"
    stored = await reading.service.documents.get(cid, submitted.document.id, sections=True)
    assert [s.title for s in stored.sections or [] if s.level == 2] == ["One", "Two"]
    # Read again, the same file is the document already attached.
    again = await _read(reading, cid, BOOK, "lighthouse.md")
    assert (again.created, again.document.id) == (False, submitted.document.id)


async def test_a_file_the_reader_refuses_is_raised_with_its_reason_and_nothing_is_kept(
    reading: Reading,
) -> None:
    cid = (await reading.service.store.create_conversation()).id
    with pytest.raises(DocumentRejectedError) as refused:
        await _read(reading, cid, encrypt_pdf(make_pdf()), "locked.pdf")
    assert refused.value.code == "document_encrypted" and status_for(refused.value) == 422
    assert await reading.service.documents.list_documents(cid) == []
    # The same file again is read again (no failed duplicate stands in its way).
    with pytest.raises(DocumentRejectedError):
        await _read(reading, cid, encrypt_pdf(make_pdf()), "locked.pdf")


async def test_a_secret_under_a_blocking_policy_is_refused_naming_its_kind(
    reading: Reading,
) -> None:
    cid = (await reading.service.store.create_conversation()).id
    data = b"# Notes\n\nThe database password=Kp4$mN8@rT2yB is in the vault.\n"
    with pytest.raises(PiiBlockedError) as refused:
        await _read(reading, cid, data, "notes.md")
    assert refused.value.entities and status_for(refused.value) == 422
    assert await reading.service.documents.list_documents(cid) == []


async def test_a_file_no_worker_reads_within_the_wait_is_left_processing(
    reading: Reading,
) -> None:
    reading.uploads.queue = None  # no worker takes the job
    reading.time.queue = None
    cid = (await reading.service.store.create_conversation()).id
    submitted = await _read(reading, cid, BOOK, "lighthouse.md", wait=10)
    assert submitted.created and submitted.document.status == PROCESSING
    # Polled with a backoff, the last sleep cut to the deadline, then answered.
    sleeps = reading.time.sleeps
    assert sleeps[:3] == [0.05, 0.1, 0.2] and max(sleeps) == 1.0
    assert sum(sleeps) == pytest.approx(10) and len(sleeps) < 20
    # Read later by its job, the document is ready for the next look.
    await reading.uploads.process(submitted.document.id)
    time = JobClock(None)
    done = await settled(
        reading.uploads, submitted.document, wait=0, sleep=time.sleep, clock=time.clock
    )
    assert done.status == PROCESSING  # a wait of 0 reads nothing more
    stored = await reading.service.documents.get(cid, submitted.document.id)
    assert stored.status == "ready"
    assert (await settled(reading.uploads, stored, wait=5)).status == "ready"


@pytest.mark.parametrize(
    ("error", "kind", "status"),
    [
        ({"code": "document_encrypted", "message": "m"}, DocumentRejectedError, 422),
        ({"code": "archive_bomb", "message": "m"}, DocumentRejectedError, 422),
        ({"code": "content_too_large", "message": "m"}, ContentTooLargeError, 413),
        ({"code": "unsupported_media_type", "message": "m"}, UnsupportedMediaTypeError, 415),
        ({"code": "pii_blocked", "message": "m", "entities": ["PASSWORD"]}, PiiBlockedError, 422),
        ({"code": "privacy_vault_contended", "message": "m"}, VaultContendedError, 503),
        ({"code": "storage_unavailable", "message": "m"}, StorageError, 503),
        ({}, DocumentRejectedError, 422),
    ],
)
def test_a_stored_failure_becomes_the_error_an_in_request_read_raises(
    error: dict[str, Any], kind: type[Exception], status: int
) -> None:
    made = failure_error(error)
    assert type(made) is kind and status_for(made) == status
    assert made.code == (error.get("code") or "document_rejected")
    assert made.message == error.get("message", "the file could not be read")
