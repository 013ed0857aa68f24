"""A person's verdict on a finished council, as they give it: one click on the answer they
preferred, then how the council ranked it; a changed mind, a thumbs-down with a comment and
"the council got this wrong", all still there after a reload."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest.importorskip("playwright", reason="the e2e tests need Playwright: pip install -e '.[dev]'")

from e2e_server import CouncilServer
from e2e_ui import ask, open_app, reveal, shoot, wait_finished
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e


def test_vote_for_an_answer_see_the_council_s_ranking_and_change_your_mind(
    page: Page, sim: CouncilServer, shots: Path
) -> None:
    open_app(page)
    turn = ask(page, "Which sorting algorithm should a beginner learn first?")
    wait_finished(turn)
    verdict = turn.get_by_role("region", name="Your verdict")
    expect(verdict).to_be_visible()
    choices = verdict.get_by_role("group", name="Preferred answer")
    expect(choices.get_by_role("button")).to_have_count(4)

    choices.get_by_role("button", name="B", exact=True).click()
    said = verdict.get_by_role("status")
    expect(said).to_have_text(
        re.compile(r"You preferred Response B; the council ranked it (1st|2nd|3rd|4th) of 4")
    )
    expect(choices.get_by_role("button", name="B", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )
    shoot(page, shots, "vote-cast")

    # A changed mind replaces the vote; the rating and the mark go with it.
    choices.get_by_role("button", name="D", exact=True).click()
    expect(said).to_contain_text("You preferred Response D")
    verdict.get_by_role("button", name="Poor final answer").click()
    expect(verdict.get_by_role("button", name="Poor final answer")).to_have_attribute(
        "aria-pressed", "true"
    )
    verdict.get_by_label("The council got this wrong").check()
    verdict.get_by_label("Comment on this answer").fill("Too long for a beginner.")
    verdict.get_by_label("Comment on this answer").blur()
    verdict.get_by_label("Show models").check()
    expect(choices).to_contain_text("·")  # model names beside the labels
    expect(verdict.get_by_role("alert")).to_have_count(0)

    page.reload()
    turn = page.locator("article.turn--assistant").last
    verdict = turn.get_by_role("region", name="Your verdict")
    expect(verdict.get_by_role("status")).to_contain_text("You preferred Response D")
    expect(verdict.get_by_label("The council got this wrong")).to_be_checked()
    expect(verdict.get_by_label("Comment on this answer")).to_have_value("Too long for a beginner.")
    expect(verdict.get_by_role("button", name="Poor final answer")).to_have_attribute(
        "aria-pressed", "true"
    )
    reveal(verdict)
    shoot(page, shots, "vote-after-reload")


def test_rank_the_answers_yourself_and_see_how_your_order_meets_the_council_s(
    page: Page, sim: CouncilServer, shots: Path
) -> None:
    open_app(page)
    turn = ask(page, "Which data structure suits a browser's back button?")
    wait_finished(turn)
    verdict = turn.get_by_role("region", name="Your verdict")
    verdict.get_by_role("button", name="Rank them yourself").click()
    ranking = verdict.get_by_role("list", name="Your ranking")
    expect(ranking.get_by_role("listitem")).to_have_count(4)
    expect(verdict.get_by_role("button", name="Move Response A up")).to_be_disabled()
    # D to the top, then C above A: D, C, A, B.
    for _ in range(3):
        verdict.get_by_role("button", name="Move Response D up").click()
    verdict.get_by_role("button", name="Move Response C up").click()
    verdict.get_by_role("button", name="Move Response C up").click()
    expect(ranking.get_by_role("listitem")).to_have_text(
        ["Response D↑↓", "Response C↑↓", "Response A↑↓", "Response B↑↓"]
    )
    shoot(page, shots, "vote-ranking")
    verdict.get_by_role("button", name="Save ranking").click()
    said = verdict.get_by_role("status")
    expect(said).to_contain_text("You preferred Response D")
    expect(said).to_contain_text(re.compile(r"agree on [0-6] of 6 pairs of answers"))
    choices = verdict.get_by_role("group", name="Preferred answer")
    expect(choices.get_by_role("button", name="D", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(verdict.get_by_role("alert")).to_have_count(0)

    # The ranking is kept: after a reload the editor opens on the saved order.
    page.reload()
    turn = page.locator("article.turn--assistant").last
    verdict = turn.get_by_role("region", name="Your verdict")
    expect(verdict.get_by_role("status")).to_contain_text("pairs of answers")
    verdict.get_by_role("button", name="Change your ranking").click()
    expect(verdict.get_by_role("list", name="Your ranking").get_by_role("listitem")).to_have_text(
        ["Response D↑↓", "Response C↑↓", "Response A↑↓", "Response B↑↓"]
    )
