"""Reading real files, made in the tests by the libraries that write them, keeping structure."""

from __future__ import annotations

import pytest
from files import (
    encrypt_pdf,
    make_docx,
    make_epub,
    make_pdf,
    make_png,
    make_zip_bomb,
)

from llmcouncil.documents.extraction import DocumentReader
from llmcouncil.documents.formats import extract
from llmcouncil.documents.model import ExtractedDocument, ExtractedImage
from llmcouncil.documents.settings import DocumentSettings
from llmcouncil.errors import (
    ContentTooLargeError,
    DocumentRejectedError,
    UnsupportedMediaTypeError,
)

SETTINGS = DocumentSettings()


def read(data: bytes, filename: str, settings: DocumentSettings = SETTINGS) -> ExtractedDocument:
    document = extract(data, filename=filename, content_type=None, settings=settings)
    assert isinstance(document, ExtractedDocument)
    return document


def test_an_epub_is_read_chapter_by_chapter_with_its_sections() -> None:
    book = read(make_epub(chapters=4), "book.epub")
    assert book.kind == "epub" and book.title == "A Test Book"
    assert book.metadata["author"] == "A. Writer"
    chapters = [(s.number, s.title) for s in book.sections if s.level == 1]
    assert chapters == [
        ("1", "Chapter 1: The Harbour"),
        ("2", "Chapter 2: The Orchard"),
        ("3", "Chapter 3: The Mountain"),
        ("4", "Chapter 4: The Library"),
    ]
    notes = next(s for s in book.sections if s.number == "3.1")
    assert notes.title == "Notes on The Mountain" and notes.text == "Notes for chapter 3."
    assert "glacier summit" in next(s for s in book.sections if s.number == "3").text


def test_a_pdf_keeps_its_outline_and_page_numbers() -> None:
    book = read(make_pdf(chapters=4, pages_per_chapter=2), "book.pdf")
    assert book.kind == "pdf" and book.pages == 8
    assert [(s.number, s.title, s.page_start, s.page_end) for s in book.sections] == [
        ("1", "Chapter 1: The Harbour", 1, 2),
        ("2", "Chapter 2: The Orchard", 3, 4),
        ("3", "Chapter 3: The Mountain", 5, 6),
        ("4", "Chapter 4: The Library", 7, 8),
    ]
    assert "apple orchard" in book.sections[1].text
    assert "Chapter 2: The Orchard" not in book.sections[1].text  # the heading is the title


def test_a_pdf_without_an_outline_finds_its_chapter_lines() -> None:
    book = read(make_pdf(chapters=3, outline=False), "book.pdf")
    assert [(s.title, s.page_start) for s in book.sections] == [
        ("Chapter 1: The Harbour", 1),
        ("Chapter 2: The Orchard", 3),
        ("Chapter 3: The Mountain", 5),
    ]


def test_a_docx_reads_headings_paragraphs_and_tables_in_order() -> None:
    report = read(make_docx(chapters=3), "report.docx")
    assert report.title == "A Test Report"
    assert [(s.number, s.title) for s in report.sections] == [
        ("1", "The Harbour"),
        ("1.1", "Details of The Harbour"),
        ("2", "The Orchard"),
        ("2.1", "Details of The Orchard"),
        ("3", "The Mountain"),
        ("3.1", "Details of The Mountain"),
    ]
    assert report.sections[3].text == "item | value 2"


def test_html_headings_open_sections_and_scripts_are_left_out() -> None:
    page = read(
        b"<html><head><title>Guide</title><script>alert(1)</script></head><body>"
        b"<p>Intro <b>bold</b>.</p><h2>Setup</h2><ul><li>one</li><li>two</li></ul>"
        b"<h3>Keys</h3><p>Use a key.</p><h2>Use</h2><nav>menu</nav><p>Run it.</p></body></html>",
        "guide.html",
    )
    assert page.title == "Guide"
    assert [(s.number, s.title, s.text) for s in page.sections] == [
        ("0", "Beginning", "Intro bold."),
        ("1", "Setup", "one\n\ntwo"),
        ("1.1", "Keys", "Use a key."),
        ("2", "Use", "Run it."),
    ]


def test_markdown_headings_but_not_inside_code_fences() -> None:
    notes = read(b"# One\n\ntext\n\n```\n# not a heading\n```\n\n## One.A\n\nmore\n", "n.md")
    assert [(s.number, s.title) for s in notes.sections] == [("1", "One"), ("1.1", "One.A")]
    assert "# not a heading" in notes.sections[0].text


def test_plain_text_chapters_and_long_sections_split_at_paragraphs() -> None:
    body = "\n\n".join(f"Paragraph {i} " + "word " * 100 for i in range(30))
    text = f"CHAPTER I. The Start\n\n{body}\n\nChapter 2\n\nThe end.\n".encode()
    settings = DocumentSettings(max_section_chars=2_000)
    book = read(text, "book.txt", settings)
    first = [s for s in book.sections if s.title == "CHAPTER I. The Start"]
    assert len(first) > 1 and all(s.chars <= 2_000 for s in first)
    assert first[1].number == "1 (part 2)"
    assert "".join(s.text for s in first).count("Paragraph") == 30  # nothing lost
    assert book.sections[-1].title == "Chapter 2" and book.sections[-1].text == "The end."


def test_an_image_is_recognised_by_its_signature() -> None:
    image = extract(make_png(7, 5), filename="photo", content_type=None, settings=SETTINGS)
    assert isinstance(image, ExtractedImage)
    assert (image.media_type, image.width, image.height) == ("image/png", 7, 5)


@pytest.mark.parametrize(
    ("make", "filename", "code"),
    [
        (lambda: encrypt_pdf(make_pdf()), "locked.pdf", "document_encrypted"),
        (lambda: make_pdf()[:700], "cut.pdf", "document_corrupt"),
        (lambda: make_pdf(text=False), "scan.pdf", "document_no_text"),
        (lambda: make_zip_bomb(kind="epub"), "bomb.epub", "archive_bomb"),
        (lambda: make_zip_bomb(kind="docx"), "bomb.docx", "archive_bomb"),
        (lambda: b"PK\x03\x04 not really a zip", "broken.epub", "document_corrupt"),
    ],
)
def test_files_that_cannot_be_read_safely_are_refused_with_their_reason(
    make: object, filename: str, code: str
) -> None:
    assert callable(make)
    with pytest.raises(DocumentRejectedError) as caught:
        extract(make(), filename=filename, content_type=None, settings=SETTINGS)
    assert caught.value.code == code


def test_the_scanned_pdf_says_ocr_is_not_supported() -> None:
    with pytest.raises(DocumentRejectedError, match="no text layer.*OCR is not supported"):
        read(make_pdf(text=False), "scan.pdf")


def test_size_and_type_limits() -> None:
    with pytest.raises(ContentTooLargeError):
        read(make_pdf(), "big.pdf", DocumentSettings(max_file_bytes=1_000))
    with pytest.raises(UnsupportedMediaTypeError):
        read(b"GIF89a\x01\x00\x01\x00\x00\x00\x00", "anim.gif")
    with pytest.raises(UnsupportedMediaTypeError):
        read(b"\x00\x01\x02binary", "data.bin")


async def test_a_worker_process_reads_files_and_returns_refusals_as_errors() -> None:
    reader = DocumentReader(DocumentSettings(extraction="process"))
    try:
        book = await reader.read(make_epub(chapters=2), filename="b.epub", content_type=None)
        assert isinstance(book, ExtractedDocument)
        assert [s.number for s in book.sections if s.level == 1] == ["1", "2"]
        with pytest.raises(DocumentRejectedError) as caught:
            await reader.read(encrypt_pdf(make_pdf()), filename="l.pdf", content_type=None)
        assert caught.value.code == "document_encrypted"
    finally:
        await reader.aclose()
