"""DOCX on python-docx: paragraphs and tables in body order, headings from paragraph styles.

``Heading 1``–``Heading 9`` styles (and styles based on them, as localised templates name
them) open sections, the first ``Title`` paragraph names the document; a table becomes rows of
cells joined by `` | ``. The archive's stated sizes are checked before python-docx opens it.
"""

from __future__ import annotations

import io
import re

import docx
from docx.table import Table
from docx.text.paragraph import Paragraph

from llmcouncil.documents.archive import open_archive
from llmcouncil.documents.model import ExtractedDocument
from llmcouncil.documents.sectioning import SectionBuilder
from llmcouncil.documents.settings import DocumentSettings
from llmcouncil.errors import DocumentRejectedError

_HEADING_STYLE = re.compile(r"^(?:heading|überschrift|titre|titolo|título)\s*(\d)$", re.IGNORECASE)


def _heading_level(paragraph: Paragraph) -> int | None:
    """1–9 for headings, 0 for the document's title, None for body text."""
    style = paragraph.style
    while style is not None:
        name = (style.name or "").strip()
        if name.lower() == "title":
            return 0
        match = _HEADING_STYLE.match(name)
        if match:
            return int(match.group(1))
        style = style.base_style
    return None


def read_docx(data: bytes, *, title: str, settings: DocumentSettings) -> ExtractedDocument:
    open_archive(data, what="DOCX", settings=settings).close()
    try:
        document = docx.Document(io.BytesIO(data))
        blocks = list(document.iter_inner_content())
    except Exception as exc:  # python-docx raises KeyError, ValueError, lxml errors …
        raise DocumentRejectedError(
            f"the DOCX is damaged and cannot be read ({type(exc).__name__}: {exc})",
            code="document_corrupt",
        ) from exc
    builder = SectionBuilder(max_chars=settings.max_section_chars)
    titled = ""
    for block in blocks:
        if isinstance(block, Table):
            rows = [" | ".join(cell.text.strip() for cell in row.cells) for row in block.rows]
            builder.paragraph("\n".join(rows))
            continue
        level = _heading_level(block)
        if level == 0 and not titled:
            titled = block.text.strip()
        elif level is not None:
            builder.heading(block.text, level=level)
        else:
            builder.paragraph(block.text)
    sections = builder.build()
    if not any(s.text.strip() or s.level > 0 for s in sections):
        raise DocumentRejectedError("the DOCX holds no text", code="document_no_text")
    core = document.core_properties
    metadata = {k: v for k, v in (("title", core.title), ("author", core.author)) if v}
    return ExtractedDocument(
        kind="docx",
        media_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        title=metadata.get("title") or titled or title,
        sections=sections,
        metadata=metadata,
    )
