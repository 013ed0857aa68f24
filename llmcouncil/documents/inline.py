"""Files a client sends inside its request (``/v1`` content parts, the MCP tool's argument),
base64-encoded, rather than as a multipart upload.

``decode_inline`` turns a data URL or bare base64 into bytes, refusing bad base64 (400/422) and a
file past the limit (413, judged on the encoded length before decoding). ``read_inline`` reads
every file before anything is stored, so one bad file refuses the whole request; it returns
what attaches them to the conversation once that is opened, before its run starts.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from llmcouncil.documents.service import DocumentService
from llmcouncil.errors import ContentTooLargeError, CouncilError, ValidationFailedError

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


async def read_inline(service: DocumentService, files: Sequence[InlineFile]) -> Attach | None:
    """Every file read now (a bad one is raised, naming it; nothing is stored); what attaches
    them to a conversation. None when there are none."""
    if not files:
        return None
    if len(files) > service.settings.max_documents:
        raise ValidationFailedError(
            f"{len(files)} files; a conversation holds at most "
            f"{service.settings.max_documents} (documents.max_documents)"
        )
    read = []
    for item in files:
        try:
            read.append(
                await service.read(item.data, filename=item.filename, content_type=item.media_type)
            )
        except CouncilError as exc:
            exc.message = f"{item.where} ({item.filename}): {exc.message}"
            exc.args = (exc.message,)
            raise

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
