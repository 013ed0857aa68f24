"""What reading a file yields: a document as an ordered list of sections, or an image.

A section is a stretch of text under one heading (a chapter, a section, a page range of a PDF
without an outline). ``number`` is how it is cited (``3.2``: the second section of chapter 3);
``pages`` are the PDF pages it spans, when the format has pages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["pdf", "epub", "docx", "html", "markdown", "text", "image"]


@dataclass(frozen=True, slots=True)
class Heading:
    """A heading met while reading, before sections are numbered."""

    title: str
    level: int  # 1 = chapter
    page: int | None = None


@dataclass(slots=True)
class Section:
    index: int  # order in the document, from 0
    number: str  # "3", "3.2", "3.2 (part 2)"
    title: str
    level: int
    text: str
    page_start: int | None = None
    page_end: int | None = None

    @property
    def chars(self) -> int:
        return len(self.text)

    @property
    def pages_label(self) -> str | None:
        if self.page_start is None:
            return None
        if self.page_end is None or self.page_end == self.page_start:
            return f"p. {self.page_start}"
        return f"pp. {self.page_start}–{self.page_end}"


@dataclass(slots=True)
class ExtractedDocument:
    kind: Kind
    media_type: str
    title: str
    sections: list[Section]
    pages: int | None = None
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def chars(self) -> int:
        return sum(s.chars for s in self.sections)


@dataclass(frozen=True, slots=True)
class ExtractedImage:
    media_type: str  # image/png, image/jpeg, image/webp
    width: int | None
    height: int | None
    data: bytes
