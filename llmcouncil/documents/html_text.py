"""HTML to sections, on selectolax (the Lexbor parser): headings ``<h1>``–``<h6>`` open
sections, block elements end paragraphs, scripts, styles and navigation are left out.

The tree is walked with an explicit stack, so a deeply nested page cannot exhaust the
interpreter's recursion limit. The same reader serves EPUB chapters (XHTML).
"""

from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser, LexborNode

from llmcouncil.documents.model import ExtractedDocument
from llmcouncil.documents.sectioning import SectionBuilder

HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
BLOCKS = frozenset(
    "address article aside blockquote br dd div dl dt figcaption figure footer form header hr "
    "li main ol p pre section table tbody td tfoot th thead tr ul body html caption".split()
)
SKIPPED = frozenset("script style noscript template nav svg math head iframe object".split())


def page_title(tree: LexborHTMLParser) -> str:
    node = tree.css_first("title")
    return node.text(strip=True) if node is not None else ""


def feed_html(tree: LexborHTMLParser, builder: SectionBuilder, *, top_level: int = 0) -> None:
    """Feed the body of ``tree`` to ``builder``; heading levels are shifted by ``top_level``."""
    root = tree.body or tree.root
    if root is None:
        return
    buffer: list[str] = []

    def flush() -> None:
        if buffer:
            builder.paragraph("".join(buffer))
            buffer.clear()

    # Each stack entry: a node to enter, or None, which marks the end of a block element.
    stack: list[LexborNode | None] = [root]
    while stack:
        node = stack.pop()
        if node is None:
            flush()
            continue
        tag = node.tag or ""
        if tag == "-text":
            buffer.append(node.text_content or "")
            continue
        if tag in SKIPPED or tag.startswith("-"):
            continue
        if tag in HEADINGS:
            flush()
            builder.heading(node.text(separator=" ", strip=True), level=HEADINGS[tag] + top_level)
            continue
        if tag == "br":
            buffer.append("\n")
            continue
        if tag in BLOCKS:
            flush()
            stack.append(None)
        children = []
        child = node.child
        while child is not None:
            children.append(child)
            child = child.next
        stack.extend(reversed(children))
    flush()


def read_html(data: bytes | str, *, title: str, max_chars: int) -> ExtractedDocument:
    tree = LexborHTMLParser(data)
    builder = SectionBuilder(max_chars=max_chars)
    feed_html(tree, builder)
    return ExtractedDocument(
        kind="html",
        media_type="text/html",
        title=page_title(tree) or title,
        sections=builder.build(),
    )
