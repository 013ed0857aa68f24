"""From a reader's stream of headings and paragraphs to numbered sections.

Every format reader feeds a ``SectionBuilder``: ``heading`` opens a section, ``paragraph`` adds
text to the open one. ``build`` numbers the sections by their heading levels (the highest level
present counts as chapters: a page whose headings are all ``<h2>`` still has chapters 1, 2, 3),
keeps text before the first heading as section ``0``, and splits a section longer than
``max_chars`` into parts at paragraph breaks, so that whole pieces can be chosen to fit a
context window.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from llmcouncil.documents.model import Section

_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u3000]+")
_BLANK_LINES = re.compile(r"\n{3,}")


def clean_text(text: str) -> str:
    """Runs of spaces to one, at most one blank line, no NUL or other control characters."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(c for c in text if c >= " " or c in "\n\t")
    text = _SPACES.sub(" ", text)
    text = "\n".join(line.strip() for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", text).strip()


@dataclass(slots=True)
class _Open:
    title: str
    level: int  # 0: text before the first heading
    page_start: int | None
    page_end: int | None
    paragraphs: list[str] = field(default_factory=list)


class SectionBuilder:
    def __init__(self, *, max_chars: int) -> None:
        self._max_chars = max_chars
        self._sections: list[_Open] = [_Open("Beginning", 0, None, None)]

    def heading(self, title: str, *, level: int, page: int | None = None) -> None:
        title = clean_text(title).replace("\n", " ")[:300]
        if not title:
            return
        self._sections.append(_Open(title, max(1, level), page, page))

    def paragraph(self, text: str, *, page: int | None = None) -> None:
        text = clean_text(text)
        if not text:
            return
        current = self._sections[-1]
        current.paragraphs.append(text)
        if page is not None:
            if current.page_start is None:
                current.page_start = page
            current.page_end = max(page, current.page_end or page)

    @property
    def has_headings(self) -> bool:
        return len(self._sections) > 1

    def build(self) -> list[Section]:
        opened = [s for s in self._sections if s.level > 0 or s.paragraphs]
        levels = sorted({s.level for s in opened if s.level > 0})
        rank = {level: i + 1 for i, level in enumerate(levels)}
        counters: list[int] = []
        sections: list[Section] = []
        for item in opened:
            if item.level == 0:
                number = "0"
                level = 0
            else:
                level = rank[item.level]
                counters = counters[:level] + [0] * (level - len(counters))
                counters[level - 1] += 1
                number = ".".join(str(c) for c in counters)
            for part, (text, pages) in enumerate(self._parts(item), start=1):
                sections.append(
                    Section(
                        index=len(sections),
                        number=number if part == 1 else f"{number} (part {part})",
                        title=item.title,
                        level=level,
                        text=text,
                        page_start=pages[0],
                        page_end=pages[1],
                    )
                )
        return sections

    def _parts(self, item: _Open) -> list[tuple[str, tuple[int | None, int | None]]]:
        pages = (item.page_start, item.page_end)
        text = "\n\n".join(item.paragraphs)
        if len(text) <= self._max_chars:
            return [(text, pages)]
        parts: list[str] = []
        current: list[str] = []
        size = 0
        for paragraph in item.paragraphs:
            for piece in _pieces(paragraph, self._max_chars):
                if current and size + len(piece) + 2 > self._max_chars:
                    parts.append("\n\n".join(current))
                    current, size = [], 0
                current.append(piece)
                size += len(piece) + 2
        if current:
            parts.append("\n\n".join(current))
        return [(part, pages) for part in parts]


def _pieces(paragraph: str, limit: int) -> list[str]:
    """A paragraph longer than ``limit`` cut at sentence ends (or, failing those, anywhere)."""
    if len(paragraph) <= limit:
        return [paragraph]
    pieces: list[str] = []
    rest = paragraph
    while len(rest) > limit:
        cut = max(rest.rfind(". ", 0, limit), rest.rfind("\n", 0, limit))
        cut = cut + 1 if cut > limit // 2 else limit
        pieces.append(rest[:cut].strip())
        rest = rest[cut:]
    if rest.strip():
        pieces.append(rest.strip())
    return pieces
