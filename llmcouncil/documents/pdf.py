"""PDF on pypdf: the text layer page by page, chapters from the outline (bookmarks).

With an outline, each entry opens a section on its page, cut where its title appears in the
page's text (else at the top of the page). Without one, lines that read as headings ("Chapter
3", "2.1 Methods") open sections; failing those, every page is a section of its own, cited by
its page. A PDF that needs a password, that pypdf cannot parse, or whose pages hold no text (a
scan: no text layer) is refused with its reason. pypdf's own limits on decompressed stream
sizes guard against compression bombs inside the file.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from typing import Any

from pypdf import PasswordType, PdfReader
from pypdf.errors import LimitReachedError, PyPdfError

from llmcouncil.documents.model import ExtractedDocument, Heading
from llmcouncil.documents.sectioning import SectionBuilder
from llmcouncil.documents.settings import DocumentSettings
from llmcouncil.errors import ContentTooLargeError, DocumentRejectedError

_CHAPTER_LINE = re.compile(
    r"^(chapter|part)\s+([0-9]+|[ivxlcdm]+|[a-z]+)\b[.:]?(\s+\S.{0,100})?$", re.IGNORECASE
)
_NUMBERED_LINE = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){0,3})\.?\s+([A-Z][^.!?]{1,80})$")
# Fewer visible characters than this on average per page: the pages are images (a scan).
MIN_CHARS_PER_PAGE = 8


def _corrupt(exc: BaseException) -> DocumentRejectedError:
    return DocumentRejectedError(
        f"the PDF is damaged and cannot be read ({type(exc).__name__}: {exc})",
        code="document_corrupt",
    )


def _open(data: bytes) -> PdfReader:
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            # Many PDFs are encrypted only against editing, with an empty user password.
            if reader.decrypt("") == PasswordType.NOT_DECRYPTED:
                raise DocumentRejectedError(
                    "the PDF is encrypted with a password; remove the password and upload it again",
                    code="document_encrypted",
                )
        _ = len(reader.pages)
    except DocumentRejectedError:
        raise
    except Exception as exc:  # pypdf raises many kinds on damaged files
        raise _corrupt(exc) from exc
    return reader


def _outline(reader: PdfReader) -> list[Heading]:
    found: list[Heading] = []

    def walk(items: Iterable[Any], level: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, level + 1)
                continue
            try:
                page = reader.get_destination_page_number(item)
                title = str(item.title or "")
            except Exception:  # a broken bookmark is skipped, not fatal
                continue
            if page is not None and page >= 0 and title.strip():
                found.append(Heading(title.strip(), level, page + 1))

    try:
        walk(reader.outline, 1)
    except Exception:
        return []
    return sorted(found, key=lambda h: h.page or 0)  # stable: same-page entries keep order


def _page_texts(reader: PdfReader, settings: DocumentSettings) -> list[str]:
    pages = len(reader.pages)
    if pages > settings.max_pages:
        raise ContentTooLargeError(
            f"the PDF has {pages} pages; at most {settings.max_pages} are read"
        )
    texts: list[str] = []
    total = 0
    try:
        for page in reader.pages:
            text = page.extract_text() or ""
            total += len(text)
            if total > settings.max_chars:
                raise ContentTooLargeError(
                    f"the PDF holds more than {settings.max_chars} characters of text"
                )
            texts.append(text)
    except LimitReachedError as exc:
        raise DocumentRejectedError(
            f"the PDF was refused: a stream in it expands past the safe limit ({exc})",
            code="archive_bomb",
        ) from exc
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise _corrupt(exc) from exc
    visible = sum(len("".join(t.split())) for t in texts)
    if visible < MIN_CHARS_PER_PAGE * max(pages, 1):
        raise DocumentRejectedError(
            "the PDF has no text layer (it looks like scanned images); OCR is not supported, "
            "so run it through OCR first or upload a PDF with text",
            code="document_no_text",
        )
    return texts


def _find_title(text: str, title: str) -> tuple[int, int] | None:
    """Where ``title`` is in ``text``, spaces and case ignored; None when it is not there."""
    words = title.split()
    if not words:
        return None
    pattern = r"\s+".join(re.escape(w) for w in words)
    match = re.search(pattern, text, re.IGNORECASE)
    return match.span() if match else None


def _with_outline(texts: list[str], outline: list[Heading], builder: SectionBuilder) -> None:
    by_page: dict[int, list[Heading]] = {}
    for heading in outline:
        by_page.setdefault(heading.page or 1, []).append(heading)
    for number, text in enumerate(texts, start=1):
        rest = text
        for heading in by_page.get(number, []):
            span = _find_title(rest, heading.title)
            if span is not None:
                builder.paragraph(rest[: span[0]], page=number)
                rest = rest[span[1] :]
            builder.heading(heading.title, level=heading.level, page=number)
        builder.paragraph(rest, page=number)


def _with_heading_lines(texts: list[str], builder: SectionBuilder) -> bool:
    found = False
    for number, text in enumerate(texts, start=1):
        lines: list[str] = []
        for line in text.splitlines():
            stripped = line.strip()
            chapter = _CHAPTER_LINE.match(stripped)
            numbered = None if chapter else _NUMBERED_LINE.match(stripped)
            if chapter or numbered:
                builder.paragraph("\n".join(lines), page=number)
                lines.clear()
                level = 1 if chapter else (numbered.group(1).count(".") + 1 if numbered else 1)
                builder.heading(stripped, level=level, page=number)
                found = True
            else:
                lines.append(line)
        builder.paragraph("\n".join(lines), page=number)
    return found


def read_pdf(data: bytes, *, title: str, settings: DocumentSettings) -> ExtractedDocument:
    reader = _open(data)
    texts = _page_texts(reader, settings)
    outline = _outline(reader)
    builder = SectionBuilder(max_chars=settings.max_section_chars)
    if outline:
        _with_outline(texts, outline, builder)
    elif not _with_heading_lines(texts, builder):
        builder = SectionBuilder(max_chars=settings.max_section_chars)
        for number, text in enumerate(texts, start=1):
            builder.heading(f"Page {number}", level=1, page=number)
            builder.paragraph(text, page=number)
    metadata: dict[str, str] = {}
    try:
        info = reader.metadata
        if info is not None and info.title:
            metadata["title"] = str(info.title)
        if info is not None and info.author:
            metadata["author"] = str(info.author)
    except Exception:  # metadata is optional
        pass
    return ExtractedDocument(
        kind="pdf",
        media_type="application/pdf",
        title=metadata.get("title") or title,
        sections=builder.build(),
        pages=len(texts),
        metadata=metadata,
    )
