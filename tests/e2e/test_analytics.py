"""The analytics page as a person reads it: after a few councils and a vote, the charts of
strength, reviewer bias, agreement with people and cost are drawn, each with its sample size;
a range with no runs says so; on a phone nothing is wider than the screen. The user filter is
there for those who see everyone's runs, and only for them."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

pytest.importorskip("playwright", reason="the e2e tests need Playwright: pip install -e '.[dev]'")

from e2e_server import ADMIN, AUDITOR, MEMBER, PASSWORD, CouncilServer
from e2e_ui import reveal, shoot, sign_in
from playwright.sync_api import Locator, Page, expect

pytestmark = pytest.mark.e2e

OpenPage = Callable[[CouncilServer], Page]
QUESTIONS = (
    "Which is better for a first programming language, Python or JavaScript?",
    "How does a hash table resolve collisions?",
    "What is the difference between a process and a thread?",
)
FIGURES = (
    "Strength from peer reviews",
    "Strength from people's votes",
    "Agreement over time",
    "Position bias",
    "Self-preference",
    "Length bias",
    "Rankings that could not be read",
    "Cost per call (USD)",
    "Mean latency per call",
)

PANELS = ("People and the council", "Reviewers", "Cost and speed")


def run_councils_and_vote(server: CouncilServer) -> None:
    """Three councils over the API, and a vote on the first: the person picks the council's
    top answer and rates the final answer up."""
    with httpx.Client(base_url=server.url, timeout=60) as client:
        runs: list[dict[str, Any]] = []
        for question in QUESTIONS:
            cid = client.post("/api/conversations", json={}).json()["id"]
            answer = client.post(f"/api/conversations/{cid}/message", json={"content": question})
            assert answer.status_code == 200, answer.text
            runs.append({"cid": cid, **answer.json()})
        first = runs[0]
        vote = client.put(
            f"/api/conversations/{first['cid']}/runs/{first['run_id']}/vote",
            json={"preferred_label": first["metadata"]["winner_label"], "rating": "up"},
        )
        assert vote.status_code == 200, vote.text


def figure(page: Page, title: str) -> Locator:
    return page.get_by_role("figure", name=title, exact=True)


def expect_chart_with_n(fig: Locator) -> None:
    """The chart is drawn, and every row or point of it says its n."""
    expect(fig.locator("svg.recharts-surface").first).to_be_visible()
    expect(fig.locator("figcaption")).to_contain_text(re.compile(r"n = \d"))
    expect(fig.locator("svg text", has_text=re.compile(r"^n = \d")).first).to_be_visible()


def open_analytics(page: Page) -> Locator:
    page.goto("/#/analytics")
    region = page.get_by_role("region", name="Analytics", exact=True)
    expect(region).to_be_visible()
    expect(figure(page, FIGURES[0]).locator("svg.recharts-surface").first).to_be_visible()
    return region


def test_charts_with_their_sample_sizes_after_councils_and_a_vote(
    page: Page, phone_page: Page, dark_page: Page, sim: CouncilServer, shots: Path
) -> None:
    run_councils_and_vote(sim)

    page.goto("/")
    page.get_by_role("link", name="Analytics", exact=True).click()
    expect(page).to_have_url(re.compile(r"#/analytics$"))
    region = open_analytics(page)
    for title in FIGURES:
        expect_chart_with_n(figure(page, title))
    # One vote: the comparison with people is shown, and said to rest on a small sample.
    expect(region.get_by_text("Council’s top answer was the pick")).to_be_visible()
    expect(figure(page, "Agreement over time").locator("figcaption")).to_contain_text(
        "small sample"
    )
    weighting = region.get_by_role("note")
    expect(weighting).to_contain_text("Weighting off")
    expect(weighting).to_contain_text("every reviewer counts the same")
    expect(region.get_by_role("table", name="Reviewer weights")).to_be_visible()
    expect(region.get_by_role("table", name="Cost and quality per model")).to_contain_text(
        "openai/gpt-5.4"
    )
    # Members, administrators and auditors see their own filter set; local mode has no users.
    filters = region.get_by_role("group", name="Analytics filters")
    expect(filters.get_by_label("User")).to_have_count(0)
    shoot(page, shots, "analytics-desktop")
    for panel in PANELS:
        reveal(region.get_by_role("region", name=panel, exact=True))
        shoot(page, shots, f"analytics-desktop-{panel.split()[0].lower()}")

    # The dark theme draws the same charts in its own colours.
    open_analytics(dark_page)
    reveal(figure(dark_page, "Strength from peer reviews"))
    shoot(dark_page, shots, "analytics-dark")

    # A time range with no runs: the charts give way to a plain statement.
    filters.get_by_label("Time").select_option("custom")
    filters.get_by_label("From").fill("2020-01-01")
    filters.get_by_label("To").fill("2020-01-31")
    expect(region.get_by_text("No finished run matches these filters")).to_be_visible()
    expect(figure(page, FIGURES[0])).to_have_count(0)
    shoot(page, shots, "analytics-empty")
    filters.get_by_role("button", name="Clear filters").click()
    expect_chart_with_n(figure(page, FIGURES[0]))

    # On a phone every chart fits the screen's width; tables scroll inside their own box.
    open_analytics(phone_page)
    for title in FIGURES:
        fig = figure(phone_page, title)
        reveal(fig)
        expect_chart_with_n(fig)
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width} px wide on a 390 px screen"
    overflowing = phone_page.evaluate(
        """() => [...document.querySelectorAll('.analytics-figure, .panel')]
              .filter((el) => el.getBoundingClientRect().right > 390.5).length"""
    )
    assert overflowing == 0
    phone_page.evaluate("document.querySelector('.page').scrollTo(0, 0)")
    shoot(phone_page, shots, "analytics-phone")
    for title in ("Agreement over time", "Position bias", "Cost per call (USD)"):
        reveal(figure(phone_page, title))
        shoot(phone_page, shots, f"analytics-phone-{title.split()[0].lower()}")
    table = phone_page.get_by_role("table", name="Cost and quality per model")
    reveal(table)
    shoot(phone_page, shots, "analytics-phone-costs-table")


def test_only_those_who_see_everyone_may_pick_a_user(
    users_server: CouncilServer, browser_for: OpenPage
) -> None:
    member = users_server.session(MEMBER, PASSWORD)
    try:
        member.timeout = httpx.Timeout(60)
        cid = member.post("/api/conversations", json={}).json()["id"]
        asked = member.post(f"/api/conversations/{cid}/message", json={"content": QUESTIONS[1]})
        assert asked.status_code == 200, asked.text
        member_id = member.get("/api/auth/me").json()["user"]["id"]
    finally:
        member.close()

    for username, sees_everyone in ((ADMIN, True), (AUDITOR, True), (MEMBER, False)):
        page = browser_for(users_server)
        sign_in(page, username, PASSWORD)
        page.get_by_role("link", name="Analytics", exact=True).click()
        region = page.get_by_role("region", name="Analytics", exact=True)
        filters = region.get_by_role("group", name="Analytics filters")
        expect(filters.get_by_label("Preset")).to_be_visible()
        expect(filters.get_by_label("User")).to_have_count(1 if sees_everyone else 0)
        lead = region.get_by_text(re.compile(r"^(Everyone’s|Your) runs"))
        expect(lead).to_contain_text("Everyone’s runs" if sees_everyone else "Your runs")
        # The member's run is in everyone's figures and in the member's own.
        expect_chart_with_n(figure(page, FIGURES[0]))
        if sees_everyone:
            # Picking a user asks every report for that user's runs only.
            user = filters.get_by_label("User")
            expect(user.locator("option", has_text=MEMBER)).to_have_count(1)
            with page.expect_request(lambda r: f"user_id={member_id}" in r.url):
                user.select_option(label=MEMBER)
            expect_chart_with_n(figure(page, FIGURES[0]))
