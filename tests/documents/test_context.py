"""Choosing sections within a budget, describing them, and reading citations back."""

from __future__ import annotations

from files import CHAPTERS, chapter_text

from llmcouncil.documents.citations import find_citations
from llmcouncil.documents.context import Focus, build_context
from llmcouncil.documents.repository import StoredDocument, StoredSection


def book(paragraphs: int = 30) -> StoredDocument:
    sections = [
        StoredSection(
            id=100 + i,
            document_id="d1",
            position=i,
            number=str(i + 1),
            title=title,
            level=1,
            page_start=2 * i + 1,
            page_end=2 * i + 2,
            chars=len(text),
            text=text,
            summary=f"Summary of {title}.",
        )
        for i, (title, _) in enumerate(CHAPTERS)
        for text in ["\n\n".join(chapter_text(i, paragraphs=paragraphs))]
    ]
    return StoredDocument(
        id="d1", conversation_id="c", kind="pdf", media_type="application/pdf",
        filename="book.pdf", title="Book", content_hash="", size_bytes=0, pages=8,
        chars=sum(s.chars for s in sections), section_count=len(sections), meta={},
        privacy=None, created_at=None, sections=sections,
    )  # fmt: skip


def test_everything_goes_when_it_fits() -> None:
    context = build_context([book()], question="anything", budget_chars=10**6)
    assert context is not None and context.complete
    assert context.shown["d1"] == [0, 1, 2, 3]
    assert context.descriptions["d1"] == "all 4 chapters"
    assert "[§3.2, p. 41]" in context.messages[0].content


def test_a_tight_budget_keeps_the_relevant_whole_chapter() -> None:
    document = book()
    one = document.sections[0].chars  # type: ignore[index]
    context = build_context(
        [document], question="the avalanche and the rope", budget_chars=one + 1_500
    )
    assert context is not None and not context.complete
    assert context.shown["d1"] == [2]
    assert context.descriptions["d1"] == "chapter 3 of 4"
    text = context.messages[0].content
    assert "\n\n".join(chapter_text(2, paragraphs=30)) in text  # whole, not cut
    assert "§1 The Harbour" in text  # the contents list every chapter


def test_reading_mode_puts_the_chapter_first_with_earlier_summaries() -> None:
    document = book()
    one = document.sections[0].chars  # type: ignore[index]
    context = build_context(
        [document],
        question="what happens here?",
        budget_chars=one + 1_500,
        focus=Focus(document_id="d1", number="4"),
    )
    assert context is not None and context.shown["d1"] == [3]
    text = context.messages[0].content
    assert "Summary of The Harbour." in text and "Summary of The Mountain." in text


def test_citations_link_to_sections() -> None:
    answer = "The keeper waits [§1, p. 2]; the climbers fall [§3]. Unknown [§9.9]."
    found = find_citations(answer, [book()])
    assert [(c.number, c.page, c.section_id) for c in found] == [
        ("1", 2, 100),
        ("3", None, 102),
        ("9.9", None, None),
    ]
    assert found[0].as_dict("c")["link"] == "/api/conversations/c/documents/d1/sections/0"
