"""PNG, JPEG and WebP images: recognised by their signatures, sized from their headers.

Images are passed to models as they are (an OpenAI ``image_url`` data URL); reading their
dimensions from the header needs no imaging library and never decodes pixels.
"""

from __future__ import annotations

import struct

from llmcouncil.documents.model import ExtractedImage
from llmcouncil.errors import DocumentRejectedError

IMAGE_TYPES = ("image/png", "image/jpeg", "image/webp")


def image_type(data: bytes) -> str | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def _png_size(data: bytes) -> tuple[int, int] | None:
    if len(data) < 24 or data[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            i += 1
            continue
        marker = data[i + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            i += 2
            continue
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return width, height
        i += 2 + length
    return None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8X" and len(data) >= 30:
        width = 1 + int.from_bytes(data[24:27], "little")
        height = 1 + int.from_bytes(data[27:30], "little")
        return width, height
    if chunk == b"VP8 " and len(data) >= 30:
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L" and len(data) >= 25:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return None


def read_image(data: bytes) -> ExtractedImage:
    media_type = image_type(data)
    if media_type is None:
        raise DocumentRejectedError("the image is not PNG, JPEG or WebP", code="document_corrupt")
    size = {"image/png": _png_size, "image/jpeg": _jpeg_size, "image/webp": _webp_size}[media_type](
        data
    )
    if media_type == "image/png" and size is None:
        raise DocumentRejectedError("the PNG image is damaged", code="document_corrupt")
    return ExtractedImage(
        media_type=media_type,
        width=size[0] if size else None,
        height=size[1] if size else None,
        data=data,
    )
