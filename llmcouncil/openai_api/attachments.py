"""Files and images a ``/v1`` client sends inline, as content parts of its user messages.

- ``{"type": "file", "file": {"filename": "x.pdf", "file_data": "data:application/pdf;base64,…"}}``
  (``file_data`` as a data URL or bare base64): attached to the conversation the request opens,
  as a document, read and redacted like an upload (``documents``).
- ``{"type": "image_url", "image_url": {"url": "data:image/png;base64,…"}}``: stored as an image
  of the conversation, sent to the members whose model reads images. Its bytes must be PNG,
  JPEG or WebP (415 otherwise, whatever the URL declares), at most ``documents.max_image_bytes``
  (413). A URL the server would have to fetch, and a ``file_id`` (OpenAI's own file store), are
  refused: the council fetches nothing on a client's behalf.

Decoding happens before anything is stored: bad base64 is a 400, a file past
``documents.max_file_bytes`` a 413 (checked on the encoded length, before decoding).
"""

from __future__ import annotations

from typing import Any

from llmcouncil.documents.images import image_type
from llmcouncil.documents.inline import InlineFile, decode_inline
from llmcouncil.errors import UnsupportedMediaTypeError, ValidationFailedError

_IMAGE_SUFFIX = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp", "image/gif": "gif"}


def file_part(part: dict[str, Any] | None, *, where: str, max_bytes: int) -> InlineFile:
    if not isinstance(part, dict):
        raise ValidationFailedError(f"{where}: a file part needs a 'file' object")
    if part.get("file_id") and not part.get("file_data"):
        raise ValidationFailedError(
            f"{where}: file_id is not supported (this server keeps no file store); "
            "send the file inline as file_data"
        )
    data, media = decode_inline(
        part.get("file_data"), where=f"{where}.file.file_data", max_bytes=max_bytes
    )
    filename = part.get("filename")
    if not isinstance(filename, str) or not filename.strip():
        filename = "document"
    return InlineFile(filename=filename.strip()[:300], data=data, media_type=media, where=where)


def image_part(
    part: dict[str, Any] | None, *, where: str, max_bytes: int, number: int
) -> InlineFile:
    url = part.get("url") if isinstance(part, dict) else None
    if not isinstance(url, str) or url[:5].lower() != "data:":
        raise ValidationFailedError(
            f"{where}: image_url: only images sent inline (a data: URL) are accepted; "
            "the council fetches no URL"
        )
    data, media = decode_inline(
        url,
        where=f"{where}.image_url.url",
        max_bytes=max_bytes,
        limit_name="documents.max_image_bytes",
    )
    kind = image_type(data)  # the bytes decide, not the URL's declared type
    if kind is None:
        raise UnsupportedMediaTypeError(
            f"{where}: image_url: the data is not a PNG, JPEG or WebP image"
            + (f" ({media})" if media else "")
        )
    media = kind
    suffix = _IMAGE_SUFFIX.get(media, "img")
    return InlineFile(filename=f"image-{number}.{suffix}", data=data, media_type=media, where=where)
