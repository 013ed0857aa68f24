"""The simulator cites a section shown in a request's documents, as the council asks models to."""

from __future__ import annotations

import re

from llmcouncil.sim.content import write_reply

DOCUMENTS = (
    '<document title="Tides" file="tides.pdf" pages="40">\n\nContents:\n§1 Moon\n§2 Sun\n\n'
    "[§1 Moon, pp. 3–9]\nThe moon pulls the sea.\n\n[§2 Sun, p. 10]\nThe sun pulls less.\n\n"
    "</document>"
)
CITED = re.compile(r"\[§(1, p\. 3|2, p\. 10)\]")


def test_answers_and_the_synthesis_cite_a_section_shown_with_its_first_page() -> None:
    for kind in ("answer", "chairman"):
        text = write_reply(
            model="sim/a", kind=kind, prompt="Why tides?", json_mode=False, context=DOCUMENTS
        )
        assert len(CITED.findall(text)) == 1, text


def test_no_documents_no_citation_and_the_reply_is_unchanged() -> None:
    plain = write_reply(model="sim/a", kind="answer", prompt="Why tides?", json_mode=False)
    same = write_reply(
        model="sim/a", kind="answer", prompt="Why tides?", json_mode=False, context="Why tides?"
    )
    assert plain == same
    assert "§" not in plain


def test_titles_never_cite() -> None:
    title = write_reply(
        model="sim/a", kind="title", prompt="Why tides?", json_mode=False, context=DOCUMENTS
    )
    assert "§" not in title
