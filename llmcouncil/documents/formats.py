"""Which reader a file goes to, decided by its bytes first, its name and declared type second.

A file's signature is trusted over its name (a PDF named ``notes.txt`` is read as a PDF); zip
archives are told apart by what they hold (EPUB's ``mimetype`` entry, DOCX's
``word/document.xml``). Anything else that is binary is refused as unsupported (HTTP 415).
``extract`` is plain blocking code: ``extraction.DocumentReader`` runs it off the event loop.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import PurePosixPath

from llmcouncil.documents.epub import read_epub
from llmcouncil.documents.html_text import read_html
from llmcouncil.documents.images import image_type, read_image
from llmcouncil.documents.model import ExtractedDocument, ExtractedImage, Kind
from llmcouncil.documents.pdf import read_pdf
from llmcouncil.documents.settings import DocumentSettings
from llmcouncil.documents.text import decode_text, read_markdown, read_plain_text
from llmcouncil.documents.word import read_docx
from llmcouncil.errors import (
    ContentTooLargeError,
    DocumentRejectedError,
    UnsupportedMediaTypeError,
)

SUPPORTED = "PDF, EPUB, DOCX, HTML, Markdown, plain text, PNG, JPEG and WebP"
_MARKDOWN = {".md", ".markdown", ".mdown", ".mkd"}
_HTML = {".html", ".htm", ".xhtml"}
_TEXT = {".txt", ".text", ".rst", ".csv", ".log", ""}


def _zip_kind(data: bytes) -> Kind | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                info = archive.getinfo("mimetype")
                if info.file_size < 100 and b"epub" in archive.read(info):
                    return "epub"
            if "word/document.xml" in names:
                return "docx"
            if "META-INF/container.xml" in names:
                return "epub"
    except (zipfile.BadZipFile, OSError, ValueError, KeyError):
        return None
    return None


def detect_kind(data: bytes, *, filename: str, content_type: str | None = None) -> Kind:
    suffix = PurePosixPath(filename.lower()).suffix
    declared = (content_type or "").split(";", 1)[0].strip().lower()
    if b"%PDF-" in data[:1024]:
        return "pdf"
    if image_type(data) is not None:
        return "image"
    if data.startswith(b"PK\x03\x04"):
        kind = _zip_kind(data)
        if kind is not None:
            return kind
        if suffix == ".epub" or declared == "application/epub+zip":
            return "epub"  # damaged: its reader says how
        if suffix == ".docx":
            return "docx"
        raise UnsupportedMediaTypeError(f"{filename!r} is a zip archive; supported: {SUPPORTED}")
    if suffix in (".pdf", ".epub", ".docx"):
        # Named as one, but without the signature: read as that, so the reason is precise.
        return {".pdf": "pdf", ".epub": "epub", ".docx": "docx"}[suffix]  # type: ignore[return-value]
    head = data[:8192]
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UnsupportedMediaTypeError(
            f"{filename!r} holds binary data (a NUL byte in its first 8 KiB), not text; "
            f"supported: {SUPPORTED}"
        )
    if suffix in _MARKDOWN or declared == "text/markdown":
        return "markdown"
    lowered = head.lstrip()[:200].lower()
    if suffix in _HTML or declared in ("text/html", "application/xhtml+xml"):
        return "html"
    if lowered.startswith((b"<!doctype html", b"<html")):
        return "html"
    if suffix in _TEXT or declared.startswith("text/") or not declared:
        return "text"
    raise UnsupportedMediaTypeError(
        f"{filename!r} is not a supported file type ({declared}); supported: {SUPPORTED}"
    )


def extract(
    data: bytes,
    *,
    filename: str,
    content_type: str | None,
    settings: DocumentSettings,
) -> ExtractedDocument | ExtractedImage:
    """Read one file. Raises ``UnsupportedMediaTypeError``, ``ContentTooLargeError`` or
    ``DocumentRejectedError``; blocking and CPU-bound."""
    if len(data) > settings.max_file_bytes:
        raise ContentTooLargeError(
            f"{filename!r} is {len(data)} bytes; the limit is {settings.max_file_bytes} bytes"
        )
    kind = detect_kind(data, filename=filename, content_type=content_type)
    title = PurePosixPath(filename).stem or filename
    if kind == "image":
        if len(data) > settings.max_image_bytes:
            raise ContentTooLargeError(
                f"the image {filename!r} is {len(data)} bytes; the limit is "
                f"{settings.max_image_bytes} bytes"
            )
        return read_image(data)
    if kind == "pdf":
        return read_pdf(data, title=title, settings=settings)
    if kind == "epub":
        return read_epub(data, title=title, settings=settings)
    if kind == "docx":
        return read_docx(data, title=title, settings=settings)
    max_chars = settings.max_section_chars
    if kind == "html":
        document = read_html(data, title=title, max_chars=max_chars)
    else:
        text = decode_text(data)
        if kind == "markdown":
            document = read_markdown(text, title=title, max_chars=max_chars)
        else:
            document = read_plain_text(text, title=title, max_chars=max_chars)
    if not any(section.text for section in document.sections):
        raise DocumentRejectedError(f"{filename!r} holds no text", code="document_no_text")
    if document.chars > settings.max_chars:
        raise ContentTooLargeError(
            f"{filename!r} holds {document.chars} characters; the limit is {settings.max_chars}"
        )
    return document
