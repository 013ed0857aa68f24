"""Markdown and plain text: headings from ``#`` lines (and underlined ones), chapters in prose.

Markdown keeps its markup in the text (models read it well); only headings are taken out, so
sections can be numbered and cited. Lines inside fenced code blocks are never headings. Plain
text has no markup, so a line that reads like a chapter heading ("Chapter 3", "CHAPTER III. The
Storm", "Part Two") opens a chapter.
"""

from __future__ import annotations

import re

from llmcouncil.documents.model import ExtractedDocument
from llmcouncil.documents.sectioning import SectionBuilder

_ATX = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.+?)[ \t#]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")
_CHAPTER = re.compile(
    r"^(chapter|part|book|section)\s+([0-9]+|[ivxlcdm]+|[a-z]+)\b[.:]?\s*(.{0,120})$",
    re.IGNORECASE,
)


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without a byte-order mark), UTF-16 with one, else Latin-1 (never fails)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _paragraphs(lines: list[str]) -> list[str]:
    return [p for p in "\n".join(lines).split("\n\n") if p.strip()]


def read_markdown(text: str, *, title: str, max_chars: int) -> ExtractedDocument:
    builder = SectionBuilder(max_chars=max_chars)
    lines: list[str] = []
    in_fence = False

    def flush() -> None:
        for paragraph in _paragraphs(lines):
            builder.paragraph(paragraph)
        lines.clear()

    for line in text.splitlines():
        if _FENCE.match(line):
            in_fence = not in_fence
            lines.append(line)
            continue
        atx = None if in_fence else _ATX.match(line)
        if atx:
            flush()
            builder.heading(atx.group(2), level=len(atx.group(1)))
        elif not in_fence and lines and lines[-1].strip() and _SETEXT.match(line):
            underlined = lines.pop()
            flush()
            builder.heading(underlined, level=1 if line.strip().startswith("=") else 2)
        else:
            lines.append(line)
    flush()
    return ExtractedDocument(
        kind="markdown",
        media_type="text/markdown",
        title=title,
        sections=builder.build(),
    )


def read_plain_text(text: str, *, title: str, max_chars: int) -> ExtractedDocument:
    builder = SectionBuilder(max_chars=max_chars)
    lines: list[str] = []

    def flush() -> None:
        for paragraph in _paragraphs(lines):
            builder.paragraph(paragraph)
        lines.clear()

    previous_blank = True
    for line in text.splitlines():
        stripped = line.strip()
        if previous_blank and len(stripped) <= 140 and _CHAPTER.match(stripped):
            flush()
            builder.heading(stripped, level=1)
        else:
            lines.append(line)
        previous_blank = not stripped
    flush()
    return ExtractedDocument(
        kind="text", media_type="text/plain", title=title, sections=builder.build()
    )
