"""Files a client sends inside its request (``/v1`` content parts, the MCP tool's argument),
base64-encoded, rather than as a multipart upload.

``decode_inline`` turns a data URL or bare base64 into bytes, refusing bad base64 (400/422) and a
file past the limit (413, judged on the encoded length before decoding). ``read_inline`` returns
what attaches the files to the conversation the request opens, before its run starts; one bad
file refuses the whole request and nothing of it is kept:

* without ``council worker`` processes, every file is read in this process's reader before
  anything is stored, and attached with what was read;
* where workers read files, what can be judged without reading (size, count, type: 413, 422,
  415) is refused before anything is stored; the files are then submitted to the workers once
  the conversation exists, and waited for (``documents.upload_wait`` in all). A file a worker
  refuses raises its reason, and the conversation that was opened for the request is deleted
  with everything in it (``Runs.open_conversation``); files no worker has read by the end of
  the wait raise 429 with ``Retry-After`` (the workers are busy or down), likewise keeping
  nothing. The server's own processes read nothing.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import re
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from llmcouncil.documents.formats import detect_kind
from llmcouncil.documents.processing import FAILED, PROCESSING, DocumentUploads
from llmcouncil.documents.service import DocumentService
from llmcouncil.documents.worker_reads import Clock, Sleep, failure_error, settled
from llmcouncil.errors import (
    ContentTooLargeError,
    CouncilError,
    OverloadedError,
    ValidationFailedError,
)

_DATA_URL = re.compile(r"^data:(?P<media>[\w.+-]+/[\w.+-]+)?(?P<params>(;[^,;]*)*?);base64,", re.I)
Attach = Callable[[str], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class InlineFile:
    filename: str
    data: bytes
    media_type: str | None
    where: str  # "messages[2].content[1]", "documents[0]": named in error messages


def decode_inline(
    value: Any, *, where: str, max_bytes: int, limit_name: str = "documents.max_file_bytes"
) -> tuple[bytes, str | None]:
    """(bytes, media type of a data URL or None); ``limit_name``: the setting ``max_bytes``
    comes from, named in the 413."""
    if not isinstance(value, str) or not value:
        raise ValidationFailedError(f"{where}: expected base64 data or a data: URL")
    media: str | None = None
    payload = value
    if value[:5].lower() == "data:":
        match = _DATA_URL.match(value)
        if match is None:
            raise ValidationFailedError(
                f"{where}: a data URL must be data:<media type>;base64,<data>"
            )
        media, payload = match.group("media"), value[match.end() :]
    payload = "".join(payload.split())  # line breaks some encoders add
    if len(payload) // 4 * 3 > max_bytes + 2:
        raise ContentTooLargeError(
            f"{where}: the file is over {max_bytes} bytes, the limit ({limit_name})"
        )
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValidationFailedError(f"{where}: the data is not valid base64") from exc
    if not data:
        raise ValidationFailedError(f"{where}: the file is empty")
    if len(data) > max_bytes:
        raise ContentTooLargeError(
            f"{where}: the file is {len(data)} bytes; the limit is {max_bytes} bytes"
        )
    return data, media.lower() if media else None


async def read_inline(
    service: DocumentService,
    files: Sequence[InlineFile],
    *,
    uploads: DocumentUploads | None = None,
    sleep: Sleep = asyncio.sleep,
    clock: Clock = time.monotonic,
) -> Attach | None:
    """What attaches ``files`` to the conversation the request opens; None when there are
    none. ``uploads``: the deployment's, whose workers read the files when it has them."""
    if not files:
        return None
    if len(files) > service.settings.max_documents:
        raise ValidationFailedError(
            f"{len(files)} files; a conversation holds at most "
            f"{service.settings.max_documents} (documents.max_documents)"
        )
    if uploads is not None and uploads.by_workers:
        return _read_by_workers(uploads, files, sleep=sleep, clock=clock)
    read = []
    for item in files:
        with _named(item):
            read.append(
                await service.read(item.data, filename=item.filename, content_type=item.media_type)
            )

    async def attach(conversation_id: str) -> None:
        for item, extracted in zip(files, read, strict=True):
            await service.attach(
                conversation_id,
                item.data,
                filename=item.filename,
                content_type=item.media_type,
                extracted=extracted,
            )

    return attach


def _read_by_workers(
    uploads: DocumentUploads, files: Sequence[InlineFile], *, sleep: Sleep, clock: Clock
) -> Attach:
    """Refused now what needs no reading (413, 415); read by the workers once attached."""
    service = uploads.service
    for item in files:
        with _named(item):
            service.check_size(item.data, filename=item.filename)
            detect_kind(item.data, filename=item.filename, content_type=item.media_type)

    async def attach(conversation_id: str) -> None:
        submitted = []
        for item in files:
            with _named(item):
                submitted.append(
                    await uploads.submit(
                        conversation_id,
                        item.data,
                        filename=item.filename,
                        content_type=item.media_type,
                    )
                )
        deadline = clock() + service.settings.upload_wait
        unread: list[InlineFile] = []
        for item, one in zip(files, submitted, strict=True):
            wait = max(0.0, deadline - clock())
            document = await settled(uploads, one.document, wait=wait, sleep=sleep, clock=clock)
            if document.status == FAILED:
                with _named(item):
                    raise failure_error(document.error or {})
            if document.status == PROCESSING:
                unread.append(item)
        if unread:
            names = ", ".join(f"{item.where} ({item.filename})" for item in unread)
            raise OverloadedError(
                f"{names}: not read within {service.settings.upload_wait:g} s "
                "(documents.upload_wait): the document workers are busy or not running; "
                "nothing was kept, send the request again later",
                retry_after=_RETRY_AFTER,
            )

    return attach


_RETRY_AFTER = 30.0


@contextmanager
def _named(item: InlineFile) -> Iterator[None]:
    """An error about ``item`` names it: the client's request may carry several files."""
    try:
        yield
    except CouncilError as exc:
        exc.message = f"{item.where} ({item.filename}): {exc.message}"
        exc.args = (exc.message,)
        raise
