"""Reading with the council in the browser: attach a book, read its table of contents and a
chapter, discuss the chapter, follow a citation in the answer to its passage; a refused file
leaves no conversation behind and says why."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from e2e_server import CouncilServer
from e2e_ui import RUN_TIMEOUT_MS, final_answer, open_app, shoot, wait_finished
from playwright.sync_api import Locator, Page, Route, expect

pytestmark = pytest.mark.e2e

BOOK = """# The Lighthouse Keeper

## Arrival

Mara came to the island in October, when the supply boat ran only twice a month.

The lamp had been dark for a week, and the logbook ended mid-sentence.

## The Storm

The storm arrived on the third night. Waves broke over the gallery rail.

She kept the lamp burning until dawn, winding the clockwork every four hours.

## Leaving

In spring the relief keeper came, and Mara left with the boat.
"""


def conversations(page: Page) -> Locator:
    return page.get_by_role("complementary", name="Conversations").locator("li.conv")


def attach(page: Page, path: Path) -> None:
    page.get_by_test_id("attach-input").set_input_files(str(path))


def drop(page: Page, name: str, text: str) -> None:
    """Drops a file on the chat as a person dragging it from their desktop would."""
    transfer = page.evaluate_handle(
        "([name, text]) => { const t = new DataTransfer();"
        " t.items.add(new File([text], name, {type: 'text/plain'})); return t; }",
        [name, text],
    )
    page.dispatch_event("main.main", "dragenter", {"dataTransfer": transfer})
    expect(page.get_by_text("Drop to attach")).to_be_visible()
    page.dispatch_event("main.main", "drop", {"dataTransfer": transfer})


def reader(page: Page) -> Locator:
    return page.get_by_role("complementary", name="Reader")


# True once a count of the server's conversations, fetched afresh each time the last one has
# come back, equals n (a predicate must answer at once: an async one would always be truthy).
SERVER_COUNT_IS = """n => {
  const seen = window.__conversationCount;
  if (!seen || seen.done) {
    const next = { done: false, length: -1 };
    window.__conversationCount = next;
    fetch('/api/conversations').then(r => r.json()).then(list => {
      next.length = list.length;
      next.done = true;
    });
  }
  return Boolean(seen && seen.done && seen.length === n);
}"""


def test_a_refused_file_says_why_and_leaves_no_conversation(page: Page, tmp_path: Path) -> None:
    open_app(page)
    expect(page.get_by_role("complementary", name="Conversations")).to_be_visible()
    # Counted on the server: the sidebar's list may still be loading at this point.
    count = "async () => (await (await fetch('/api/conversations')).json()).length"
    before = page.evaluate(count)
    program = tmp_path / "tool.exe"
    program.write_bytes(b"MZ\x90\x00\x03" + bytes(range(256)) * 8)
    attach(page, program)
    alert = page.get_by_role("alert").filter(has_text="tool.exe")
    expect(alert).to_be_visible(timeout=RUN_TIMEOUT_MS)  # the server reads it first
    expect(alert).to_contain_text(re.compile(r"not a file the council reads|cannot be read"))
    expect(page).not_to_have_url(re.compile(r"/c/"))
    page.wait_for_function(SERVER_COUNT_IS, arg=before, timeout=RUN_TIMEOUT_MS)
    expect(page.get_by_role("region", name="Documents")).to_have_count(0)


def test_attach_a_book_read_a_chapter_discuss_it_and_follow_a_citation(
    page: Page, sim: CouncilServer, tmp_path: Path, shots: Path
) -> None:
    book = tmp_path / "lighthouse.md"
    book.write_text(BOOK, encoding="utf-8")
    open_app(page)
    attach(page, book)

    card = page.get_by_role("article", name=re.compile(r"Document: .*lighthouse", re.I))
    expect(card).to_be_visible(timeout=RUN_TIMEOUT_MS)
    expect(card.get_by_role("button", name="Remove lighthouse.md")).to_be_visible()
    # Read by the server's background job: "Reading…" until the list, looked up again, says ready.
    expect(card).to_contain_text(re.compile(r"\d+ (chapters|sections)"), timeout=RUN_TIMEOUT_MS)
    # Attaching created the conversation: it is listed, and the composer counts the book.
    expect(page).to_have_url(re.compile(r"/c/"))
    size = page.get_by_test_id("send-size")
    expect(size).to_contain_text("1 document")
    expect(size).to_contain_text("/ 100,000")
    page.get_by_label("Your question").fill("Why did the lamp stay lit?")
    expect(size).to_contain_text("Message 26 / 100,000")

    # A second file, dropped on the chat.
    drop(page, "notes.txt", "Notes on the keeper's log: the clockwork needed winding.")
    expect(page.get_by_role("article", name=re.compile(r"Document: notes"))).to_be_visible()
    expect(size).to_contain_text("2 documents")

    # The table of contents, and a chapter in the reader.
    card.get_by_role("button", name="Contents").click()
    contents = card.get_by_role("list", name=re.compile(r"Contents of"))
    expect(contents).to_contain_text("Arrival")
    expect(contents).to_contain_text("The Storm")
    expect(contents).to_contain_text("Leaving")
    contents.get_by_role("button", name=re.compile(r"^§[\d.]+ The Storm")).click()
    expect(reader(page).get_by_role("heading", level=2)).to_contain_text("The Storm")
    expect(reader(page)).to_contain_text("Waves broke over the gallery rail.")
    shoot(page, shots, "documents-reader")
    reader(page).get_by_role("button", name="Next ›").click()
    expect(reader(page).get_by_role("heading", level=2)).to_contain_text("Leaving")
    reader(page).get_by_role("button", name="Close the reader").click()
    expect(reader(page)).to_have_count(0)

    # Reading mode: the council discusses the chapter; the question typed is the one asked.
    page.get_by_label("Your question").fill("What does the storm chapter say about duty?")
    contents.get_by_role("button", name=re.compile(r"^Discuss .*The Storm")).click()
    turn = page.locator("article.turn--assistant").last
    expect(page.locator("article.turn--user").last).to_contain_text("storm chapter say about duty")
    expect(turn.locator(".progress")).to_be_visible()
    shoot(page, shots, "documents-discussing")
    wait_finished(turn)
    saw = turn.get_by_role("list", name="What this answer saw")
    expect(saw).to_contain_text(re.compile(r"Saw .+ of"))
    expect(saw).to_contain_text(re.compile("lighthouse", re.I))

    # A citation in the chairman's synthesis opens the passage it cites.
    citation = final_answer(turn).locator("a.citation").first
    expect(citation).to_be_visible()
    cited = re.search(r"§([\d.]+)", citation.inner_text())
    assert cited, citation.inner_text()
    citation.click()
    expect(reader(page)).to_be_visible()
    expect(reader(page).locator(".reader__number")).to_have_text(f"§{cited.group(1)}")
    # A chapter made only of subsections lists them; the first one opens with its text.
    paragraphs = reader(page).locator(".reader__para")
    subsections = reader(page).get_by_role("list", name="Subsections")
    expect(paragraphs.first.or_(subsections)).to_be_visible()
    if not paragraphs.count():
        subsections.get_by_role("button").first.click()
    expect(paragraphs.first).not_to_be_empty()
    shoot(page, shots, "documents-discussed")
    page.emulate_media(color_scheme="dark")
    shoot(page, shots, "documents-discussed-dark")
    page.emulate_media(color_scheme="light")


def test_a_question_waits_for_a_document_still_being_read(
    page: Page, sim: CouncilServer, tmp_path: Path, shots: Path
) -> None:
    """While the server says a document is being read, the question is held back and the box
    names what it waits for; once the document is ready, the question goes."""
    held = {"reading": True}

    def as_processing(value: object) -> object:
        if isinstance(value, list):
            return [as_processing(v) for v in value]
        if isinstance(value, dict):
            shown = {k: as_processing(v) for k, v in value.items()}
            if "filename" in shown and "status" in shown and held["reading"]:
                shown["status"] = "processing"
            return shown
        return value

    def still_reading(route: Route) -> None:
        if route.request.method != "GET":  # the upload itself goes as it is
            route.continue_()
            return
        response = route.fetch()
        try:
            body = response.json()
        except ValueError:  # not JSON: a file's content
            route.fulfill(response=response)
            return
        route.fulfill(response=response, json=as_processing(body))

    page.route(re.compile(r"/api/conversations/[^/]+/documents"), still_reading)
    book = tmp_path / "lighthouse.md"
    book.write_text(BOOK, encoding="utf-8")
    open_app(page)
    attach(page, book)
    waiting = page.get_by_test_id("send-waiting")
    expect(waiting).to_contain_text("lighthouse", timeout=RUN_TIMEOUT_MS)
    box = page.get_by_label("Your question")
    box.fill("Why did the lamp stay lit?")
    expect(page.get_by_role("button", name="Send")).to_be_disabled()
    box.press("Enter")  # held: nothing sent
    expect(page.locator("article.turn--assistant")).to_have_count(0)
    shoot(page, shots, "documents-waiting-for-reading")

    held["reading"] = False  # the next look at the list finds it ready
    expect(waiting).to_have_count(0, timeout=RUN_TIMEOUT_MS)
    box.press("Enter")
    turn = page.locator("article.turn--assistant").first
    wait_finished(turn)
