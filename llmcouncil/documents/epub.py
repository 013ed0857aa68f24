"""EPUB on ebooklib: the spine's documents in reading order, chapters from their headings.

The archive's stated sizes are checked first (``archive.open_archive``), so ebooklib never
decompresses a zip bomb. Each spine document is XHTML read by the HTML reader; a document with
no heading of its own takes its title from the table of contents (EPUB 3 nav or EPUB 2 NCX),
so a book whose chapters are bare ``<p>`` runs is still read chapter by chapter.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterable
from typing import Any

import ebooklib  # type: ignore[import-untyped]
from ebooklib import epub
from selectolax.lexbor import LexborHTMLParser

from llmcouncil.documents.archive import open_archive
from llmcouncil.documents.html_text import HEADINGS, feed_html
from llmcouncil.documents.model import ExtractedDocument
from llmcouncil.documents.sectioning import SectionBuilder
from llmcouncil.documents.settings import DocumentSettings
from llmcouncil.errors import DocumentRejectedError


def _toc_titles(toc: Iterable[Any]) -> dict[str, str]:
    """href (without its fragment) → the first title the table of contents gives it."""
    titles: dict[str, str] = {}
    stack = list(toc)
    while stack:
        item = stack.pop(0)
        if isinstance(item, tuple | list) and len(item) == 2:
            section, children = item
            stack = [section, *children, *stack]
            continue
        href = getattr(item, "href", None)
        title = getattr(item, "title", None)
        if href and title:
            titles.setdefault(str(href).split("#", 1)[0], str(title))
    return titles


def _load(data: bytes) -> Any:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ebooklib's notices about future defaults
            return epub.read_epub(io.BytesIO(data), options={"ignore_ncx": False})
    except Exception as exc:  # ebooklib raises KeyError, EpubException, lxml errors …
        raise DocumentRejectedError(
            f"the EPUB is damaged and cannot be read ({type(exc).__name__}: {exc})",
            code="document_corrupt",
        ) from exc


def read_epub(data: bytes, *, title: str, settings: DocumentSettings) -> ExtractedDocument:
    open_archive(data, what="EPUB", settings=settings).close()
    book = _load(data)
    toc = _toc_titles(book.toc)
    builder = SectionBuilder(max_chars=settings.max_section_chars)
    total = 0
    for idref, *_ in book.spine:
        item = book.get_item_with_id(idref)
        if item is None or item.get_type() != ebooklib.ITEM_DOCUMENT:
            continue
        content = item.get_content()
        total += len(content)
        if total > settings.max_uncompressed_bytes:
            raise DocumentRejectedError(
                "the EPUB's chapters expand past the safe limit", code="archive_bomb"
            )
        tree = LexborHTMLParser(content)
        has_heading = tree.css_first(",".join(HEADINGS)) is not None
        name = str(item.get_name())
        if not has_heading and name in toc:
            builder.heading(toc[name], level=1)
        feed_html(tree, builder)
    sections = builder.build()
    if not any(s.text.strip() for s in sections):
        raise DocumentRejectedError("the EPUB holds no text", code="document_no_text")
    metadata: dict[str, str] = {}
    for key in ("title", "creator", "language"):
        values = book.get_metadata("DC", key)
        if values and values[0] and values[0][0]:
            metadata["author" if key == "creator" else key] = str(values[0][0])
    return ExtractedDocument(
        kind="epub",
        media_type="application/epub+zip",
        title=metadata.get("title") or title,
        sections=sections,
        metadata=metadata,
    )
