"""Stage 2 as a person reads it: calm review statuses, the leaderboard's chart, and the sidebar's
filter of tools' traffic; screenshots of the review panel and leaderboard in light and dark."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest

pytest.importorskip("playwright", reason="the e2e tests need Playwright: pip install -e '.[dev]'")

from e2e_server import CouncilServer
from e2e_ui import ask, open_app, reveal, shoot, sidebar_item, stage2, wait_finished
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e


def stored_run(sim: CouncilServer, conversation_id: str) -> dict[str, Any]:
    conversation = httpx.get(f"{sim.url}/api/conversations/{conversation_id}", timeout=30).json()
    last: dict[str, Any] = conversation["messages"][-1]
    return last


def conversation_id(page: Page) -> str:
    return page.url.rsplit("/", 1)[-1]


def test_the_review_panel_and_leaderboard_in_light_and_dark(
    page: Page, dark_page: Page, sim: CouncilServer, shots: Path
) -> None:
    open_app(page)
    turn = ask(page, "Which sorting algorithm should I teach first, and why?")
    wait_finished(turn)
    run = stored_run(sim, conversation_id(page))
    reviews = stage2(turn)
    reveal(reviews)

    # Every finished review says how it counted, in words; nothing reads as an alarm.
    status = reviews.locator(".review-status")
    expect(status).to_have_count(1)
    expect(status).to_have_text(re.compile(r"(Counted|Not counted — .+)"))
    expect(page.get_by_text("could not be parsed")).to_have_count(0)
    leaderboard = reviews.locator(".leaderboard")
    expect(leaderboard).to_be_visible()
    expect(leaderboard).to_contain_text("Ranked itself: the average place a model gave its own")
    rows = run["metadata"].get("aggregate") or []
    if any(row.get("strength") is not None for row in rows):
        charts = leaderboard.locator("svg.strength-chart")
        expect(charts).to_have_count(sum(row.get("strength") is not None for row in rows))
    if run["metadata"].get("no_clear_winner"):
        expect(leaderboard).to_contain_text("No clear winner")
    reviews.locator(".parsed-ranking").screenshot(
        path=str(shots / "review-status-light.png"), animations="disabled"
    )
    shoot(page, shots, "review-panel-light")
    leaderboard.screenshot(path=str(shots / "leaderboard-light.png"), animations="disabled")

    dark_page.goto(f"/#/c/{conversation_id(page)}")
    dark_reviews = stage2(dark_page.locator("article.turn--assistant").first)
    expect(dark_reviews.locator(".leaderboard")).to_be_visible()
    reveal(dark_reviews)
    dark_reviews.locator(".parsed-ranking").screenshot(
        path=str(shots / "review-status-dark.png"), animations="disabled"
    )
    shoot(dark_page, shots, "review-panel-dark")
    dark_reviews.locator(".leaderboard").screenshot(
        path=str(shots / "leaderboard-dark.png"), animations="disabled"
    )


def test_v1_conversations_stay_out_of_the_sidebar_until_asked_for(
    page: Page, sim: CouncilServer
) -> None:
    question = "Name a colour of the rainbow, for the sidebar test."
    answer = httpx.post(
        f"{sim.url}/v1/chat/completions",
        json={"model": "council", "messages": [{"role": "user", "content": question}]},
        timeout=60,
    )
    assert answer.status_code == 200, answer.text
    title = httpx.get(
        f"{sim.url}/api/conversations/{answer.json()['council']['conversation_id']}", timeout=30
    ).json()["title"]

    open_app(page)
    expect(page.locator("li.conv").first).to_be_visible()
    expect(sidebar_item(page, title)).to_have_count(0)
    page.get_by_label("Show /v1 and MCP calls").check()
    expect(sidebar_item(page, title)).to_have_count(1)


def test_a_refused_first_message_leaves_no_conversation(page: Page, sim: CouncilServer) -> None:
    before = len(httpx.get(f"{sim.url}/api/conversations", timeout=30).json())
    open_app(page)
    box = page.get_by_label("Your question")
    box.fill("x" * 100_001)  # one character over the server's limit
    box.press("Enter")

    # The composer refuses it before anything is sent: it says why, and Send stays off.
    expect(page.get_by_test_id("send-size")).to_have_attribute("role", "alert")
    expect(page.get_by_role("button", name=re.compile("^(Send|Ask)", re.I))).to_be_disabled()
    expect(page.locator("li.conv.conv--active")).to_have_count(0)
    after = httpx.get(f"{sim.url}/api/conversations", timeout=30).json()
    assert len(after) == before


def test_a_follow_up_sent_while_scrolled_up_scrolls_to_the_new_turn(
    page: Page, sim: CouncilServer
) -> None:
    open_app(page)
    wait_finished(ask(page, "Give me three tips for writing clear commit messages."))
    page.locator(".chat").evaluate("el => { el.scrollTop = 0; }")
    turn = ask(page, "And how long should the first line be?")

    expect(page.get_by_role("article", name="Question").last).to_be_in_viewport()
    wait_finished(turn)
