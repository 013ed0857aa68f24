"""Zip archives (EPUB, DOCX) checked before anything in them is decompressed.

A zip states each member's compressed and uncompressed size in its central directory. We
refuse an archive whose stated total, entry count or any member's compression ratio is past the
limits, and then read members only through ``read_member``, which stops at the stated size plus
one byte: a member that lies about its size is caught while it is read, not after.
"""

from __future__ import annotations

import io
import zipfile

from llmcouncil.documents.settings import DocumentSettings
from llmcouncil.errors import DocumentRejectedError

# A member smaller than this is never judged by its ratio: a page of repeated markup compresses
# well and is harmless.
RATIO_FLOOR_BYTES = 1024 * 1024


def bomb(message: str) -> DocumentRejectedError:
    return DocumentRejectedError(
        f"the file was refused as a possible zip bomb: {message}", code="archive_bomb"
    )


def open_archive(data: bytes, *, what: str, settings: DocumentSettings) -> zipfile.ZipFile:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise DocumentRejectedError(
            f"the {what} file is damaged: it is not a readable zip archive ({exc})",
            code="document_corrupt",
        ) from exc
    members = archive.infolist()
    if len(members) > settings.max_archive_entries:
        raise bomb(f"{len(members)} entries; at most {settings.max_archive_entries} are read")
    total = 0
    for member in members:
        total += member.file_size
        if (
            member.file_size > RATIO_FLOOR_BYTES
            and member.file_size > settings.max_compression_ratio * max(member.compress_size, 1)
        ):
            ratio = member.file_size / max(member.compress_size, 1)
            raise bomb(
                f"{member.filename!r} expands {ratio:.0f} times; the limit is "
                f"{settings.max_compression_ratio:.0f}"
            )
    if total > settings.max_uncompressed_bytes:
        raise bomb(
            f"it expands to {total} bytes; the limit is {settings.max_uncompressed_bytes} bytes"
        )
    return archive


def read_member(archive: zipfile.ZipFile, name: str) -> bytes:
    """A member's bytes, never more than its stated size."""
    info = archive.getinfo(name)
    with archive.open(info) as stream:
        data = stream.read(info.file_size + 1)
    if len(data) > info.file_size:
        raise bomb(f"{name!r} holds more than its stated {info.file_size} bytes")
    return data
