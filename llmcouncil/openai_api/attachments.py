"""Files and images a ``/v1`` client sends inline, as content parts of its user messages.

- ``{"type": "file", "file": {"filename": "x.pdf", "file_data": "data:application/pdf;base64,…"}}``
  (``file_data`` as a data URL or bare base64): attached to the conversation the request opens,
  as a document, read and redacted like an upload (``documents``).
- ``{"type": "image_url", "image_url": {"url": "data:image/png;base64,…"}}``: stored as an image
  of the conversation. A URL the server would have to fetch, and a ``file_id`` (OpenAI's own file
  store), are refused: the council fetches nothing on a client's behalf.

Decoding happens before anything is stored: bad base64 is a 400, a file past
``documents.max_file_bytes`` a 413 (checked on the encoded length, before decoding).
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import Any

from llmcouncil.errors import ContentTooLargeError, ValidationFailedError

_DATA_URL = re.compile(r"^data:(?P<media>[\w.+-]+/[\w.+-]+)?(?P<params>(;[^,;]*)*?);base64,", re.I)
_IMAGE_SUFFIX = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp", "image/gif": "gif"}


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str
    data: bytes
    media_type: str | None
    where: str  # "messages[2].content[1]", for error messages


def _decode(value: Any, *, where: str, max_bytes: int) -> tuple[bytes, str | None]:
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
            f"{where}: the file is over {max_bytes} bytes, the limit (documents.max_file_bytes)"
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


def file_part(part: dict[str, Any] | None, *, where: str, max_bytes: int) -> Attachment:
    if not isinstance(part, dict):
        raise ValidationFailedError(f"{where}: a file part needs a 'file' object")
    if part.get("file_id") and not part.get("file_data"):
        raise ValidationFailedError(
            f"{where}: file_id is not supported (this server keeps no file store); "
            "send the file inline as file_data"
        )
    data, media = _decode(
        part.get("file_data"), where=f"{where}.file.file_data", max_bytes=max_bytes
    )
    filename = part.get("filename")
    if not isinstance(filename, str) or not filename.strip():
        filename = "document"
    return Attachment(filename=filename.strip()[:300], data=data, media_type=media, where=where)


def image_part(
    part: dict[str, Any] | None, *, where: str, max_bytes: int, number: int
) -> Attachment:
    url = part.get("url") if isinstance(part, dict) else None
    if not isinstance(url, str) or url[:5].lower() != "data:":
        raise ValidationFailedError(
            f"{where}: image_url: only images sent inline (a data: URL) are accepted; "
            "the council fetches no URL"
        )
    data, media = _decode(url, where=f"{where}.image_url.url", max_bytes=max_bytes)
    suffix = _IMAGE_SUFFIX.get(media or "", "img")
    return Attachment(filename=f"image-{number}.{suffix}", data=data, media_type=media, where=where)
