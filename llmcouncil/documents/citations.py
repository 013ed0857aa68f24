"""Citations in answers (``[§3.2, p. 41]``, ``[D2 §3]``) read back and linked to sections."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from llmcouncil.documents.repository import StoredDocument

CITATION = re.compile(
    r"\[(?:D(?P<tag>\d{1,3})\s*)?§\s*(?P<number>\d{1,3}(?:\.\d{1,3}){0,5})"
    r"(?:[^\]\n,]{0,120}?)?"
    r"(?:,\s*pp?\.\s*(?P<page>\d{1,5})(?:\s*[–-]\s*(?P<page_end>\d{1,5}))?)?\s*\]"
)


@dataclass(frozen=True, slots=True)
class Citation:
    text: str  # as written
    start: int
    end: int
    number: str
    page: int | None
    document_id: str | None
    section_id: int | None
    position: int | None

    def as_dict(self, conversation_id: str) -> dict[str, object]:
        link = (
            f"/api/conversations/{conversation_id}/documents/{self.document_id}"
            f"/sections/{self.position}"
            if self.document_id is not None and self.position is not None
            else None
        )
        return {
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "number": self.number,
            "page": self.page,
            "document_id": self.document_id,
            "section_id": self.section_id,
            "position": self.position,
            "link": link,
        }


def find_citations(text: str, documents: Sequence[StoredDocument]) -> list[Citation]:
    """Every citation in ``text``; one naming no known section keeps ``section_id`` None."""
    readable = [d for d in documents if d.kind != "image"]
    found: list[Citation] = []
    for match in CITATION.finditer(text):
        number = match.group("number")
        tag = match.group("tag")
        page = int(match.group("page")) if match.group("page") else None
        candidates = readable
        if tag is not None and 1 <= int(tag) <= len(readable):
            candidates = [readable[int(tag) - 1]]
        target = None
        for document in candidates:
            matches = [s for s in (document.sections or []) if s.number == number]
            if page is not None and len(matches) == 0:
                continue
            if matches:
                target = (document, matches[0])
                break
        if target is None and page is not None:  # a part of a split section, by its page
            for document in candidates:
                for section in document.sections or []:
                    if section.number.split(" ", 1)[0] == number and _on(section, page):
                        target = (document, section)
                        break
                if target:
                    break
        found.append(
            Citation(
                text=match.group(0),
                start=match.start(),
                end=match.end(),
                number=number,
                page=page,
                document_id=target[0].id if target else None,
                section_id=target[1].id if target else None,
                position=target[1].position if target else None,
            )
        )
    return found


def _on(section: object, page: int) -> bool:
    start = getattr(section, "page_start", None)
    end = getattr(section, "page_end", None) or start
    return start is not None and end is not None and start <= page <= end
