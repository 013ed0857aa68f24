"""Real files made with the libraries that write them: a book as EPUB, PDF, DOCX; an image.

Each chapter's text names its own subject words, so a test can ask about one chapter and see
that retrieval picked it.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

CHAPTERS = [
    ("The Harbour", "lighthouse keeper harbour fog ships"),
    ("The Orchard", "apple orchard blossom cider harvest"),
    ("The Mountain", "glacier summit avalanche rope climbers"),
    ("The Library", "manuscripts librarian archive catalogue ink"),
]


def chapter_text(index: int, *, paragraphs: int = 3) -> list[str]:
    title, words = CHAPTERS[index]
    return [
        f"In {title.lower()} paragraph {p + 1} speaks of {words}. The {words.split()[0]} "
        f"stands for chapter {index + 1}, and its story goes on with {words}."
        for p in range(paragraphs)
    ]


def make_epub(*, chapters: int = 4, paragraphs: int = 3) -> bytes:
    from ebooklib import epub

    book = epub.EpubBook()
    book.set_identifier("book-1")
    book.set_title("A Test Book")
    book.set_language("en")
    book.add_author("A. Writer")
    items = []
    for i in range(chapters):
        title, _ = CHAPTERS[i % len(CHAPTERS)]
        body = "".join(
            f"<p>{p}</p>" for p in chapter_text(i % len(CHAPTERS), paragraphs=paragraphs)
        )
        item = epub.EpubHtml(title=title, file_name=f"chap_{i + 1}.xhtml", lang="en")
        item.content = (
            f"<html><body><h1>Chapter {i + 1}: {title}</h1>{body}"
            f"<h2>Notes on {title}</h2><p>Notes for chapter {i + 1}.</p></body></html>"
        )
        book.add_item(item)
        items.append(item)
    book.toc = items
    book.add_item(epub.EpubNcx())
    book.add_item(epub.EpubNav())
    book.spine = ["nav", *items]
    out = io.BytesIO()
    epub.write_epub(out, book)
    return out.getvalue()


def make_pdf(
    *, chapters: int = 4, pages_per_chapter: int = 2, outline: bool = True, text: bool = True
) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4)
    pdf.setTitle("A Test Book")
    for i in range(chapters):
        title, _ = CHAPTERS[i % len(CHAPTERS)]
        for page in range(pages_per_chapter):
            if not text:
                pdf.rect(50, 50, 400, 600, fill=1)  # a "scan": drawing only, no text layer
                pdf.showPage()
                continue
            y = 800
            if page == 0:
                heading = f"Chapter {i + 1}: {title}"
                pdf.setFont("Helvetica-Bold", 16)
                pdf.drawString(72, y, heading)
                key = f"ch{i + 1}"
                pdf.bookmarkPage(key)
                if outline:
                    pdf.addOutlineEntry(heading, key, level=0)
                y -= 30
            pdf.setFont("Helvetica", 10)
            for line in chapter_text(i % len(CHAPTERS)):
                pdf.drawString(72, y, line[:95])
                pdf.drawString(72, y - 14, line[95:])
                y -= 40
            pdf.showPage()
    pdf.save()
    return out.getvalue()


def encrypt_pdf(data: bytes, password: str = "secret") -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password=password, owner_password=password, algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def make_docx(*, chapters: int = 3) -> bytes:
    import docx

    document = docx.Document()
    document.add_heading("A Test Report", level=0)
    for i in range(chapters):
        title, _ = CHAPTERS[i]
        document.add_heading(title, level=1)
        for paragraph in chapter_text(i):
            document.add_paragraph(paragraph)
        document.add_heading(f"Details of {title}", level=2)
        table = document.add_table(rows=1, cols=2)
        table.rows[0].cells[0].text = "item"
        table.rows[0].cells[1].text = f"value {i + 1}"
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def make_png(width: int = 4, height: int = 3) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body))
            + kind
            + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def make_zip_bomb(*, kind: str = "epub", expanded_bytes: int = 20 * 1024 * 1024) -> bytes:
    """A small archive with one member that expands about a thousand times."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        if kind == "epub":
            archive.writestr("mimetype", "application/epub+zip", compress_type=zipfile.ZIP_STORED)
            archive.writestr("META-INF/container.xml", "<container/>")
            archive.writestr("OEBPS/chapter.xhtml", b"\0" * expanded_bytes)
        else:
            archive.writestr("[Content_Types].xml", "<Types/>")
            archive.writestr("word/document.xml", b" " * expanded_bytes)
    return out.getvalue()
