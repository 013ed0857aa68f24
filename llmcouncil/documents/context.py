"""What a run is shown of its conversation's documents, within a context budget.

Documents are pinned: every question and follow-up carries them, ahead of the history, and the
history budget never drops them. When everything fits the budget (characters; the smallest
window among the run's models), every section goes. When it does not, whole sections are chosen
(never cut sentences): in reading mode the chosen chapter first, with the stored summaries of the
chapters before it; then the sections BM25 ranks highest for the question, until the budget is
spent; the chosen ones are shown in reading order. Every document always shows its table of
contents, so a model knows what it was not shown. ``DocumentContext.record`` says exactly which
sections went; ``describe`` says it in words ("chapters 3–4 of 12").
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from llmcouncil.documents.repository import StoredDocument, StoredSection
from llmcouncil.documents.retrieval import bm25_scores
from llmcouncil.documents.vision import image_part
from llmcouncil.providers.base import ChatMessage

CITATION_RULE = (
    "When your answer uses these documents, cite the section it comes from in square "
    "brackets, with the page where the document has pages: [§3.2, p. 41] or [§3.2]{tagged}."
)
ACKNOWLEDGEMENT = "I have read the documents and will cite their sections as asked."
IMAGES_ONLY_ACKNOWLEDGEMENT = "I have noted what the user attached."
MAX_CONTENTS_ENTRIES = 300
SECTION_OVERHEAD = 40  # the marker line before each section


@dataclass(frozen=True, slots=True)
class Focus:
    """Reading mode: one chapter of one document is the subject of the question."""

    document_id: str
    number: str  # "3": the chapter, its subsections and its parts


# Reading mode is a context variable the route that asks about one chapter sets around
# starting the run, so the run service needs no new parameter for it.
reading_focus: contextvars.ContextVar[Focus | None] = contextvars.ContextVar(
    "reading_focus", default=None
)


@contextlib.contextmanager
def reading(focus: Focus | None) -> Iterator[None]:
    """Reading mode on ``focus`` for the runs started inside (None: no change)."""
    if focus is None:
        yield
        return
    token = reading_focus.set(focus)
    try:
        yield
    finally:
        reading_focus.reset(token)


@dataclass(slots=True)
class DocumentContext:
    messages: list[ChatMessage]
    # document id → positions of the sections shown, in reading order
    shown: dict[str, list[int]] = field(default_factory=dict)
    complete: bool = True
    budget_chars: int = 0
    used_chars: int = 0
    descriptions: dict[str, str] = field(default_factory=dict)  # document id → words
    images_left_out: list[str] = field(default_factory=list)
    # (document id, file name) of each image, and the messages that carry them (None: none).
    images: list[tuple[str, str]] = field(default_factory=list)
    image_messages: list[ChatMessage] | None = None

    def record(self, documents: Sequence[StoredDocument]) -> dict[str, Any]:
        by_id = {d.id: d for d in documents}
        return {
            "complete": self.complete,
            "budget_chars": self.budget_chars,
            "used_chars": self.used_chars,
            "documents": [
                {
                    "document_id": document_id,
                    "title": by_id[document_id].title,
                    "sections": [_ref(by_id[document_id], position) for position in positions],
                    "of": by_id[document_id].section_count,
                    "description": self.descriptions.get(document_id, ""),
                }
                for document_id, positions in self.shown.items()
            ],
            "images_left_out": self.images_left_out,
        }


def _ref(document: StoredDocument, position: int) -> dict[str, Any]:
    section = (document.sections or [])[position]
    return {
        "id": section.id,
        "position": section.position,
        "number": section.number,
        "title": section.title,
        "pages": section.pages_label,
    }


def in_focus(section: StoredSection, number: str) -> bool:
    base = section.number.split(" ", 1)[0]
    return base == number or base.startswith(number + ".")


def chapter_of(section: StoredSection) -> str:
    return section.number.split(" ", 1)[0].split(".", 1)[0]


def _ranges(numbers: list[int]) -> str:
    spans: list[str] = []
    start = previous = None
    for n in [*numbers, None]:
        if n is not None and previous is not None and n == previous + 1:
            previous = n
            continue
        if start is not None:
            spans.append(str(start) if start == previous else f"{start}–{previous}")
        start = previous = n
    return ", ".join(spans)


def describe(document: StoredDocument, positions: Sequence[int]) -> str:
    """ "all 12 chapters", "chapters 3–4 of 12", "chapter 3 of 12, parts of chapters 1, 4"."""
    sections = document.sections or []
    by_chapter: dict[int, list[int]] = {}
    for section in sections:
        chapter = chapter_of(section)
        if chapter.isdigit() and chapter != "0":
            by_chapter.setdefault(int(chapter), []).append(section.position)
    if len(positions) == len(sections):
        return f"all {len(by_chapter)} chapters" if len(by_chapter) > 1 else "all of it"
    if len(by_chapter) <= 1:
        return f"{len(positions)} of {len(sections)} sections"
    shown = set(positions)
    whole = [c for c, members in sorted(by_chapter.items()) if shown.issuperset(members)]
    partly = [
        c for c, members in sorted(by_chapter.items()) if c not in whole and shown & set(members)
    ]
    words = []
    if whole:
        noun = "chapter" if len(whole) == 1 else "chapters"
        words.append(f"{noun} {_ranges(whole)} of {len(by_chapter)}")
    if partly:
        noun = "chapter" if len(partly) == 1 else "chapters"
        words.append(
            f"parts of {noun} {_ranges(partly)}" + ("" if whole else f" of {len(by_chapter)}")
        )
    return ", ".join(words) or f"none of the {len(by_chapter)} chapters"


def _marker(section: StoredSection) -> str:
    pages = f", {section.pages_label}" if section.pages_label else ""
    return f"[§{section.number} {section.title}{pages}]"


def _contents(document: StoredDocument) -> str:
    entries = [
        f"{'  ' * max(s.level - 1, 0)}§{s.number} {s.title}"
        for s in (document.sections or [])
        if s.level <= 2 and "(part" not in s.number
    ]
    if len(entries) > MAX_CONTENTS_ENTRIES:
        entries = [
            *entries[:MAX_CONTENTS_ENTRIES],
            f"… and {len(entries) - MAX_CONTENTS_ENTRIES} more",
        ]
    return "\n".join(entries)


def _select(
    documents: Sequence[StoredDocument],
    *,
    question: str,
    budget: int,
    focus: Focus | None,
) -> tuple[dict[str, set[int]], dict[str, list[StoredSection]]]:
    """Positions chosen per document, and the summaries to show in reading mode."""
    chosen: dict[str, set[int]] = {d.id: set() for d in documents}
    summaries: dict[str, list[StoredSection]] = {}
    left = budget
    candidates: list[tuple[StoredDocument, StoredSection]] = [
        (d, s) for d in documents for s in (d.sections or [])
    ]
    if focus is not None:
        for document in documents:
            if document.id != focus.document_id:
                continue
            sections = document.sections or []
            first = next((s.position for s in sections if in_focus(s, focus.number)), None)
            for section in sections:
                if in_focus(section, focus.number) and section.chars + SECTION_OVERHEAD <= left:
                    chosen[document.id].add(section.position)
                    left -= section.chars + SECTION_OVERHEAD
            if first is not None:
                earlier = [
                    s
                    for s in sections[:first]
                    if s.summary and s.level <= 1 and "(part" not in s.number
                ]
                kept = []
                for s in earlier:
                    cost = len(s.summary or "") + SECTION_OVERHEAD
                    if cost <= left:
                        kept.append(s)
                        left -= cost
                summaries[document.id] = kept
    scores = bm25_scores(question, [s.text for _, s in candidates])
    order = sorted(range(len(candidates)), key=lambda i: (-scores[i], i))
    for i in order:
        document, section = candidates[i]
        cost = section.chars + SECTION_OVERHEAD
        if section.position in chosen[document.id] or cost > left:
            continue
        chosen[document.id].add(section.position)
        left -= cost
    return chosen, summaries


def build_context(
    documents: Sequence[StoredDocument],
    *,
    question: str,
    budget_chars: int,
    focus: Focus | None = None,
    show_images: bool = False,
) -> DocumentContext | None:
    """The messages that carry ``documents`` (None when there are none). Images are named in
    the text with a note that they are not shown; with ``show_images`` (some model of the run
    reads them) ``image_messages`` carry them too, for those models."""
    texts = [d for d in documents if d.kind != "image"]
    images = [d for d in documents if d.kind == "image"]
    if not texts and not images:
        return None
    frame = sum(len(_contents(d)) + 200 for d in texts) + 400
    full = sum(s.chars + SECTION_OVERHEAD for d in texts for s in (d.sections or []))
    if focus is None and frame + full <= budget_chars:
        chosen = {d.id: {s.position for s in (d.sections or [])} for d in texts}
        summaries: dict[str, list[StoredSection]] = {}
    else:
        chosen, summaries = _select(
            texts, question=question, budget=max(budget_chars - frame, 0), focus=focus
        )
    context = DocumentContext(messages=[], budget_chars=budget_chars)
    tagged = len(texts) > 1
    parts = [
        "The user attached these documents to the conversation. Use them to answer; "
        + CITATION_RULE.format(
            tagged=", naming the document's tag first: [D2 §3.2, p. 41]" if tagged else ""
        )
    ]
    for number, document in enumerate(texts, start=1):
        sections = document.sections or []
        positions = sorted(chosen.get(document.id, set()))
        context.shown[document.id] = positions
        described = describe(document, positions)
        context.descriptions[document.id] = described
        if len(positions) < len(sections):
            context.complete = False
        tag = f' tag="D{number}"' if tagged else ""
        pages = f' pages="{document.pages}"' if document.pages else ""
        body = [
            f'<document{tag} title="{document.title}" file="{document.filename}"{pages}>',
            "Contents:",
            _contents(document),
        ]
        if len(positions) < len(sections):
            body.append(
                f"Shown below: {described} (the sections most relevant to this question); "
                "the others were left out for length. Say so if the answer may be in them."
            )
        kept = summaries.get(document.id, [])
        if kept:
            body.append("Summaries of the chapters before the one discussed:")
            body += [f"{_marker(s)} {s.summary}" for s in kept]
        for position in positions:
            section = sections[position]
            body.append(f"{_marker(section)}\n{section.text}")
        body.append("</document>")
        parts.append("\n\n".join(body))
    if not texts:
        parts = []
    text = "\n\n".join(parts)
    acknowledgement = ACKNOWLEDGEMENT if texts else IMAGES_ONLY_ACKNOWLEDGEMENT
    if images:
        names = ", ".join(d.filename for d in images)
        count = f"{len(images)} image{'s' if len(images) > 1 else ''} ({names})"
        context.images = [(d.id, d.filename) for d in images]
        context.images_left_out = [d.id for d in images]  # until readers are known
        seen = f"The user attached {count}: {'they follow' if len(images) > 1 else 'it follows'}."
        if show_images:
            context.image_messages = [
                ChatMessage(
                    "user",
                    "\n\n".join(p for p in (text, seen) if p),
                    images=tuple(
                        image_part(d.media_type, d.data or b"", content_hash=d.content_hash)
                        for d in images
                    ),
                ),
                ChatMessage("assistant", acknowledgement),
            ]
        text = "\n\n".join(
            p
            for p in (
                text,
                f"The user also attached {count}, which {'are' if len(images) > 1 else 'is'} "
                "not shown to you: images go only to models that read them. Say so if the "
                "question depends on them.",
            )
            if p
        )
    context.used_chars = len(text)
    context.messages = [ChatMessage("user", text), ChatMessage("assistant", acknowledgement)]
    return context
