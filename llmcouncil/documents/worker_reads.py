"""A plain upload (no ``Prefer: respond-async``) where ``council worker`` processes read files.

The client asked for the file to be read within its request: 201 with the contents, or the
4xx that says why it cannot be read, nothing stored. Where workers exist the server does not
read the file itself: it submits the upload as the background job does (``processing.py``)
and waits, up to ``documents.upload_wait`` seconds, for a worker to finish it, reading the
document's status from the database — the one place every process writes it, whichever
worker ran the job and whether or not a notification reached this one. Then:

* ``ready``: answered as a file read in the request (201);
* ``failed``: the document is removed and the reader's reason raised (413, 415, 422, or 503
  when the privacy vault kept changing), so the client sees what an in-request read shows;
* still ``processing`` after the wait (the workers are busy or down): answered 202, the
  document left to its job, exactly as a ``respond-async`` upload.

The wait polls one row by its key, every ``POLL_FIRST`` seconds at first and backing off to
``POLL_MAX``: a read takes from a few milliseconds to minutes, and a poll costs one indexed
read. (SAQ's ``Job.refresh(until_complete=…)`` waits on a Redis notification, but a job that
ends between its read and its subscription is then waited for until the timeout, and a job
retried after a sweep ends twice; the row's status has neither problem.)
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from llmcouncil.documents.processing import FAILED, PROCESSING, DocumentUploads, Submitted
from llmcouncil.documents.repository import StoredDocument
from llmcouncil.errors import (
    ContentTooLargeError,
    CouncilError,
    DocumentRejectedError,
    NotFoundError,
    PiiBlockedError,
    StorageError,
    UnsupportedMediaTypeError,
    ValidationFailedError,
    VaultContendedError,
)

POLL_FIRST = 0.05
POLL_MAX = 1.0

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]


async def read_by_worker(
    uploads: DocumentUploads,
    conversation_id: str,
    data: bytes,
    *,
    filename: str,
    content_type: str | None,
    wait: float,
    sleep: Sleep = asyncio.sleep,
    clock: Clock = time.monotonic,
) -> Submitted:
    """The upload submitted to the workers and waited for; its document ``ready``, ``failed``
    (only when it was attached before, as a duplicate) or, after ``wait`` seconds,
    ``processing``. A file this upload submitted that the reader refuses is removed and its
    reason raised."""
    submitted = await uploads.submit(
        conversation_id, data, filename=filename, content_type=content_type
    )
    document = await settled(uploads, submitted.document, wait=wait, sleep=sleep, clock=clock)
    if document.status == FAILED and submitted.created:
        try:
            await uploads.service.documents.delete(conversation_id, document.id)
        except NotFoundError:  # removed meanwhile (its conversation, or a racing request)
            pass
        raise failure_error(document.error or {})
    return Submitted(document, created=submitted.created)


async def settled(
    uploads: DocumentUploads,
    document: StoredDocument,
    *,
    wait: float,
    sleep: Sleep = asyncio.sleep,
    clock: Clock = time.monotonic,
) -> StoredDocument:
    """``document`` as stored once it is no longer ``processing``, or after ``wait`` seconds."""
    deadline = clock() + wait
    interval = POLL_FIRST
    repository = uploads.service.documents
    while document.status == PROCESSING:
        left = deadline - clock()
        if left <= 0:
            break
        await sleep(min(interval, left))
        interval = min(interval * 2, POLL_MAX)
        document = await repository.get(document.conversation_id, document.id)
    return document


_BY_CODE: dict[str, Callable[[str], CouncilError]] = {
    ContentTooLargeError.code: ContentTooLargeError,
    UnsupportedMediaTypeError.code: UnsupportedMediaTypeError,
    ValidationFailedError.code: ValidationFailedError,
    VaultContendedError.code: VaultContendedError,
    StorageError.code: StorageError,
}


def failure_error(error: dict[str, Any]) -> CouncilError:
    """The error a failed document's stored ``{code, message}`` was made from, so the client
    of a plain upload gets the status an in-request read would have answered."""
    code = str(error.get("code") or DocumentRejectedError.code)
    message = str(error.get("message") or "the file could not be read")
    if code == PiiBlockedError.code:
        return PiiBlockedError(message, entities=[str(e) for e in error.get("entities") or []])
    make = _BY_CODE.get(code)
    if make is not None:
        return make(message)
    return DocumentRejectedError(message, code=code)  # document_encrypted, document_corrupt…
