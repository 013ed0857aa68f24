"""The web UI in a real browser: what a person asks, watches, and finds again later."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

pytest.importorskip("playwright", reason="the e2e tests need Playwright: pip install -e '.[dev]'")

from e2e_server import CouncilServer, latency
from e2e_ui import (
    ask,
    final_answer,
    open_app,
    shoot,
    sidebar_item,
    stage1,
    stage2,
    wait_finished,
)
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

MEMBERS = ["gpt-5.4", "gemini-3.1-pro-preview", "claude-sonnet-4.6", "grok-4.20"]


def test_ask_watch_the_stages_stream_and_see_the_final_answer(
    page: Page, sim: CouncilServer, shots: Path
) -> None:
    sim.configure_sim(latency=latency(3000, first_token_ms=200))
    open_app(page)
    expect(page.get_by_role("note").filter(has_text="Demo mode")).to_be_visible()

    turn = ask(page, "Compare SQLite and PostgreSQL for a small web service")

    # Stage 1 streams: a tab per member, and the text grows while the run is still going.
    answers = stage1(turn)
    for name in MEMBERS:
        expect(answers.get_by_role("tab", name=re.compile(name))).to_be_visible()
    text = answers.get_by_role("tabpanel").locator(".markdown")
    expect(text).not_to_have_text("")
    seen = len(text.inner_text())
    page.wait_for_function(
        "([el, n]) => el.innerText.length > n", arg=[text.element_handle(), seen]
    )
    expect(turn).to_have_attribute("data-status", "running")
    expect(turn.get_by_role("status").first).to_contain_text("Members answering")
    expect(page.get_by_role("button", name="Stop")).to_be_visible()
    expect(turn.get_by_text("Simulated output")).to_be_visible()

    wait_finished(turn)

    # Stage 1: time and tokens per member.
    expect(answers.locator(".model-meta__numbers")).to_contain_text(re.compile(r"\d.* tok"))

    # Stage 2: labels shown as bold model names, the parsed ranking, the leaderboard.
    reviews = stage2(turn)
    evaluation = reviews.get_by_role("tabpanel").locator(".markdown")
    expect(evaluation.locator("strong.model-ref").first).to_be_visible()
    expect(evaluation).not_to_contain_text(re.compile(r"Response [A-D]\b"))
    expect(reviews.get_by_role("heading", name="How this review was read")).to_be_visible()
    expect(reviews.locator(".parsed-ranking__list li")).to_have_count(4)
    board = reviews.locator(".leaderboard")
    expect(board.locator("tbody tr")).to_have_count(4)
    expect(board).to_contain_text("Avg rank")
    expect(board).to_contain_text("Agreement")
    expect(board).to_contain_text("Self-votes")

    # Stage 3: the Chairman's answer, marked as the final answer.
    final = final_answer(turn)
    expect(final.get_by_role("heading", name=re.compile("Final answer"))).to_be_visible()
    expect(final).to_contain_text("Chairman gemini-3.1-pro-preview")
    expect(final.locator(".markdown")).not_to_have_text("")

    # The title the council made arrives in the top bar and the sidebar.
    title = page.locator(".topbar__title")
    expect(title).not_to_have_text(re.compile("New Conversation|Loading", re.I))
    expect(sidebar_item(page, title.inner_text())).to_be_visible()

    page.locator(".chat").evaluate("el => el.scrollTo(0, 0)")
    shoot(page, shots, "desktop-light")
    board.evaluate("el => el.scrollIntoView({block: 'center'})")
    shoot(page, shots, "stage2-leaderboard")


def test_reload_shows_everything_as_it_was(page: Page, sim: CouncilServer) -> None:
    open_app(page)
    turn = ask(page, "What is the CAP theorem?")
    wait_finished(turn)
    final_text = final_answer(turn).locator(".markdown").inner_text()
    first_evaluation = stage2(turn).get_by_role("tabpanel").locator(".markdown").inner_text()
    board = stage2(turn).locator(".leaderboard tbody").inner_text()

    page.reload()

    turn = page.locator("article.turn--assistant").first
    expect(turn).to_have_attribute("data-status", "complete")
    expect(page.get_by_role("article", name="Question")).to_contain_text("CAP theorem")
    for name in MEMBERS:
        expect(stage1(turn).get_by_role("tab", name=re.compile(name))).to_be_visible()
    expect(stage2(turn).locator(".leaderboard tbody tr")).to_have_count(4)
    assert (
        stage2(turn).get_by_role("tabpanel").locator(".markdown").inner_text() == first_evaluation
    )
    assert stage2(turn).locator(".leaderboard tbody").inner_text() == board
    assert final_answer(turn).locator(".markdown").inner_text() == final_text


def test_a_follow_up_question_continues_the_conversation(page: Page, sim: CouncilServer) -> None:
    open_app(page)
    first = ask(page, "Name a sorting algorithm")
    wait_finished(first)
    box = page.get_by_label("Your question")
    expect(box).to_have_value("")
    expect(box).to_have_attribute("placeholder", re.compile("follow-up"))

    # Shift+Enter adds a line instead of sending.
    box.fill("And its complexity?")
    box.press("Shift+Enter")
    box.press_sequentially("Explain briefly.")
    expect(box).to_have_value("And its complexity?\nExplain briefly.")
    expect(page.locator("article.turn--assistant")).to_have_count(1)
    box.press("Enter")

    second = page.locator("article.turn--assistant").nth(1)
    wait_finished(second)
    expect(page.get_by_role("article", name="Question")).to_have_count(2)
    expect(page.get_by_role("region", name="Final answer")).to_have_count(2)

    page.reload()
    expect(page.get_by_role("region", name="Final answer")).to_have_count(2)


def test_a_failing_model_is_shown_with_its_reason(
    page: Page, sim: CouncilServer, shots: Path
) -> None:
    sim.configure_sim(
        latency=latency(900, first_token_ms=150), faults={"x-ai/grok-4.20": [{"status": 401}]}
    )
    open_app(page)
    turn = ask(page, "Why is the sky blue?")
    wait_finished(turn)

    tab = stage1(turn).get_by_role("tab", name=re.compile("grok-4"))
    expect(tab).to_have_class(re.compile("tabs__tab--failed"))
    tab.click()
    card = stage1(turn).get_by_role("alert")
    expect(card).to_contain_text("grok-4.20 failed: authentication failed")
    expect(card).to_contain_text("HTTP 401")
    expect(card).to_contain_text("invalid_api_key")
    # The council still answered with the others.
    expect(final_answer(turn)).to_be_visible()
    shoot(page, shots, "failed-model")

    page.reload()
    turn = page.locator("article.turn--assistant").first
    stage1(turn).get_by_role("tab", name=re.compile("grok-4")).click()
    expect(stage1(turn).get_by_role("alert")).to_contain_text("authentication failed")


def test_stop_a_running_council_then_retry(page: Page, sim: CouncilServer) -> None:
    sim.configure_sim(latency=latency(60_000, first_token_ms=100))
    open_app(page)
    turn = ask(page, "Write a long essay")
    expect(stage1(turn).get_by_role("tabpanel").locator(".markdown")).not_to_have_text("")

    page.get_by_role("button", name="Stop").click()

    wait_finished(turn, "cancelled")
    expect(turn.get_by_role("status").last).to_contain_text("Stopped")
    expect(page.get_by_role("button", name="Send")).to_be_visible()

    sim.configure_sim(latency=latency(600, first_token_ms=100))
    turn.get_by_role("button", name="Retry").click()
    turn = page.locator("article.turn--assistant").first
    wait_finished(turn)
    expect(final_answer(turn)).to_be_visible()


def test_rename_search_and_delete_conversations(page: Page, sim: CouncilServer) -> None:
    open_app(page)
    for question in ("Tell me about owls", "Tell me about otters"):
        page.get_by_role("button", name="+ New conversation", exact=True).click()
        expect(page.locator(".topbar__title")).to_have_text("Ask the council")
        wait_finished(ask(page, question))

    sidebar = page.get_by_role("complementary", name="Conversations")
    titles = sidebar.locator(".conv__title")
    newest = titles.first.inner_text()

    # Rename the newest one.
    sidebar.get_by_role("button", name=f"Rename “{newest}”").click()
    field = sidebar.get_by_label("New title")
    field.fill("Otter notes")
    field.press("Enter")
    expect(titles.first).to_have_text("Otter notes")
    expect(page.locator(".topbar__title")).to_have_text("Otter notes")

    # Search by title.
    count = titles.count()
    page.get_by_label("Search conversations by title").fill("otter")
    expect(titles).to_have_count(1)
    expect(titles.first).to_have_text("Otter notes")
    page.get_by_label("Search conversations by title").fill("")
    expect(titles).to_have_count(count)

    # Delete asks first; Cancel keeps it, Delete removes it.
    sidebar.get_by_role("button", name="Delete “Otter notes”").click()
    sidebar.get_by_role("alertdialog").get_by_role("button", name="Cancel").click()
    expect(titles).to_have_count(count)
    sidebar.get_by_role("button", name="Delete “Otter notes”").click()
    sidebar.get_by_role("alertdialog").get_by_role("button", name="Delete").click()
    expect(titles).to_have_count(count - 1)
    expect(sidebar.get_by_text("Otter notes")).to_have_count(0)
    expect(page.locator(".topbar__title")).to_have_text("Ask the council")

    page.reload()
    sidebar = page.get_by_role("complementary", name="Conversations")
    expect(sidebar.get_by_text("Otter notes")).to_have_count(0)


def test_export_a_conversation_as_markdown(page: Page, sim: CouncilServer) -> None:
    open_app(page)
    wait_finished(ask(page, "What is a monad?"))
    with page.expect_download() as download:
        page.get_by_role("link", name="Export conversation as Markdown").click()
    path = download.value.path()
    text = Path(path).read_text(encoding="utf-8")
    assert "What is a monad?" in text


def test_phone_width(phone_page: Page, sim: CouncilServer, shots: Path) -> None:
    page = phone_page
    open_app(page)
    sidebar = page.get_by_role("complementary", name="Conversations")
    expect(sidebar).to_be_hidden()

    turn = ask(page, "How do vaccines work?")
    wait_finished(turn)
    expect(final_answer(turn)).to_be_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px"
    # The page itself never scrolls: the chat does, between the top bar and the composer.
    overflow = page.evaluate("document.documentElement.scrollHeight - window.innerHeight")
    assert overflow <= 0, f"the page scrolls down by {overflow}px"
    expect(page.get_by_label("Your question")).to_be_in_viewport()
    final_answer(turn).evaluate("el => el.scrollIntoView({block: 'start'})")
    shoot(page, shots, "phone")

    page.get_by_role("button", name="Open conversations").click()
    expect(sidebar).to_be_visible()
    shoot(page, shots, "phone-sidebar")
    page.get_by_role("button", name="Close conversations").click()
    expect(sidebar).to_be_hidden()


def test_dark_theme_follows_the_system(dark_page: Page, sim: CouncilServer, shots: Path) -> None:
    page = dark_page
    open_app(page)
    wait_finished(ask(page, "Explain recursion with an example in Python"))
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(21, 23, 28)", background
    shoot(page, shots, "desktop-dark")


def test_keyboard_only(page: Page, sim: CouncilServer) -> None:
    open_app(page)
    # The composer and every control are reachable with Tab and labelled.
    page.keyboard.press("Tab")
    focused = []
    for _ in range(8):
        focused.append(
            page.evaluate(
                "document.activeElement.getAttribute('aria-label') || "
                "document.activeElement.labels?.[0]?.textContent || "
                "document.activeElement.textContent"
            )
        )
        page.keyboard.press("Tab")
    assert any("New conversation" in (f or "") for f in focused), focused
    assert any("Search" in (f or "") for f in focused), focused
    page.get_by_label("Your question").focus()
    page.keyboard.type("Keyboard question")
    page.keyboard.press("Enter")
    turn = page.locator("article.turn--assistant").first
    # A member's tab, focused while the run streams (the simulator answers in 700 ms a call),
    # keeps the focus when the run ends and its stored turn replaces the live one.
    first_tab = stage1(turn).get_by_role("tab").first
    first_tab.focus()
    wait_finished(turn)
    expect(turn).not_to_have_attribute("data-live", "true")  # the stored turn, in its place
    expect(first_tab).to_be_focused()
    # Arrow keys move between the members' tabs.
    page.keyboard.press("ArrowRight")
    expect(stage1(turn).get_by_role("tab").nth(1)).to_be_focused()
    expect(stage1(turn).get_by_role("tab").nth(1)).to_have_attribute("aria-selected", "true")


def test_a_council_of_chosen_members_and_chairman(page: Page, sim: CouncilServer) -> None:
    open_app(page)
    page.get_by_role("button", name=re.compile("^Council:")).click()
    picker = page.get_by_role("form", name="Choose the council")
    picker.get_by_label("Preset").select_option(label="Custom…")
    for member in ("OpenAI: GPT-5.4", "Google: Gemini 3.1 Pro Preview"):
        picker.get_by_label(f"{member} as a member").uncheck()
    picker.get_by_label("xAI: Grok 4.20 as chairman").check()
    picker.get_by_role("button", name="Use this council").click()
    expect(page.get_by_role("button", name=re.compile("^Council:"))).to_contain_text(
        "custom · 2 members, Chairman grok-4.20"
    )

    turn = ask(page, "Pick a colour")
    wait_finished(turn)
    expect(stage1(turn).get_by_role("tab")).to_have_count(2)
    expect(final_answer(turn)).to_contain_text("Chairman grok-4.20")

    page.reload()
    expect(page.get_by_role("button", name=re.compile("^Council:"))).to_contain_text(
        "custom · 2 members"
    )


def test_a_crash_mid_run_shows_the_partial_results_and_retry_finishes_it(
    own_page: Page, own_server: CouncilServer
) -> None:
    page = own_page
    server = own_server
    # Stage 1 answers quickly; every review hangs, so the run is caught in stage 2.
    server.configure_sim(
        latency=latency(300, first_token_ms=50),
        faults={"*": [{"hang": True, "prompt_kind": "ranking"}]},
    )
    open_app(page)
    turn = ask(page, "What is a hash table?")
    expect(turn.locator(".progress__step--active")).to_contain_text("Reviews")

    server.kill()
    expect(turn.get_by_role("alert").filter(has_text="Connection lost")).to_be_visible()

    server.start()  # same port and database; the run left running is now interrupted
    turn = page.locator("article.turn--assistant").first
    wait_finished(turn, "interrupted")
    expect(turn.get_by_role("status").last).to_contain_text("Interrupted")
    for name in MEMBERS:
        expect(stage1(turn).get_by_role("tab", name=re.compile(name))).to_be_visible()
    expect(stage1(turn).get_by_role("tabpanel").locator(".markdown")).not_to_have_text("")
    expect(final_answer(turn)).to_have_count(0)

    page.reload()  # the partial run is stored, not only on screen
    turn = page.locator("article.turn--assistant").first
    expect(turn).to_have_attribute("data-status", "interrupted")

    turn.get_by_role("button", name="Retry").click()
    wait_finished(turn)
    expect(final_answer(turn)).to_be_visible()
    expect(stage2(turn).locator(".leaderboard tbody tr")).to_have_count(4)


def test_a_degraded_result_is_marked_as_such(page: Page, sim: CouncilServer) -> None:
    sim.configure_sim(
        latency=latency(600, first_token_ms=100),
        faults={"*": [{"status": 500, "prompt_kind": "chairman"}]},
    )
    open_app(page)
    turn = ask(page, "Summarise the French revolution")
    wait_finished(turn)
    degraded = turn.get_by_role("region", name="Degraded result")
    expect(degraded.get_by_role("heading", name=re.compile("Degraded result"))).to_be_visible()
    expect(degraded).to_contain_text("Not a Chairman’s synthesis")
    expect(degraded).to_contain_text("top-ranked member answer")
    expect(turn.get_by_role("region", name="Final answer")).to_have_count(0)


def test_local_mode_needs_no_sign_in_and_says_so_discreetly(page: Page, sim: CouncilServer) -> None:
    open_app(page)  # straight to the composer: no sign-in page
    expect(page.get_by_text("Local mode · no sign-in")).to_be_visible()
    expect(page.get_by_role("navigation", name="Account and administration")).to_have_count(0)
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    page.goto("/#/account")
    expect(page.get_by_role("alert")).to_contain_text("no accounts in local single-user mode")


def test_turns_supplied_through_the_openai_endpoint_show_as_earlier_answers(
    page: Page, sim: CouncilServer
) -> None:
    # A program sends a conversation with its history; the council answers the last question.
    answer = httpx.post(
        f"{sim.url}/v1/chat/completions",
        json={
            "model": "council",
            "messages": [
                {"role": "user", "content": "Name a prime number."},
                {"role": "assistant", "content": "Seven is a prime number."},
                {"role": "user", "content": "And an even one?"},
            ],
        },
        timeout=60,
    )
    assert answer.status_code == 200, answer.text
    conversation = answer.json()["council"]["conversation_id"]

    page.goto(f"/#/c/{conversation}")
    earlier = page.get_by_role("article", name="Earlier answer (supplied by the API client)")
    expect(earlier).to_contain_text("Seven is a prime number.")
    expect(page.get_by_role("article", name="Question")).to_have_count(2)
    council = page.locator("article.turn--assistant")
    expect(council).to_have_count(1)  # only the run the council made is a council card
    expect(final_answer(council)).to_be_visible()
