"""Deliberation modes as a person uses them: the mode chosen in the composer, the run shown with
its mode and revision rounds, the top-ranked answer of mode select, and the compact panel of
consensus, contradictions, gaps and confidence under a synthesis; screenshots of each."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("playwright", reason="the e2e tests need Playwright: pip install -e '.[dev]'")

from e2e_server import CouncilServer, latency
from e2e_ui import ask, open_app, reveal, shoot, stage1, wait_finished
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e


def choose_mode(page: Page, label: str) -> None:
    page.get_by_label("Deliberation mode").select_option(label=label)


def test_a_classic_synthesis_shows_its_structured_panel(
    page: Page, sim: CouncilServer, shots: Path
) -> None:
    open_app(page)
    turn = ask(page, "Should a small team adopt microservices?")
    wait_finished(turn)
    final = turn.get_by_role("region", name="Final answer")
    panel = final.get_by_role("region", name="Where the council agrees and disagrees")
    expect(panel).to_be_visible()
    expect(panel).to_contain_text("Confidence:")
    expect(panel).to_contain_text("Consensus")
    expect(panel).to_contain_text("Contradictions")
    expect(panel).to_contain_text("Not covered")
    expect(final).not_to_contain_text("council_structure")
    expect(turn.get_by_test_id("run-mode")).to_have_count(0)  # classic needs no badge
    reveal(panel)
    panel.screenshot(path=str(shots / "synthesis-panel.png"), animations="disabled")
    shoot(page, shots, "mode-classic")


def test_revise_shows_its_rounds_and_select_its_chosen_answer(
    page: Page, sim: CouncilServer, shots: Path
) -> None:
    open_app(page)
    choose_mode(page, "Revise: members revise, then synthesis")
    turn = ask(page, "How should I store passwords in a web app?")
    expect(turn.get_by_test_id("run-mode")).to_contain_text("revise")
    wait_finished(turn)
    answers = stage1(turn)
    rounds = answers.get_by_role("group", name="Revision rounds")
    expect(rounds.get_by_role("button")).to_have_text(["First answers", "Revision 1"])
    expect(rounds.get_by_role("button", name="Revision 1")).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(answers).to_contain_text("Revised after reading the other answers")
    rounds.get_by_role("button", name="First answers").click()
    expect(answers).not_to_contain_text("Revised after reading the other answers")
    reveal(answers)
    answers.screenshot(path=str(shots / "mode-revise-rounds.png"), animations="disabled")
    expect(turn.get_by_role("region", name="Final answer")).to_be_visible()

    choose_mode(page, "Select: the best-reviewed answer")
    chosen = ask(page, "Which database for a hobby project?")
    wait_finished(chosen)
    top = chosen.get_by_role("region", name="Top-ranked answer")
    expect(top).to_be_visible()
    expect(top).to_contain_text("chosen by peer review")
    expect(top).to_contain_text("Ranked first")
    expect(top.get_by_role("region", name="Where the council agrees and disagrees")).to_have_count(
        0
    )
    expect(chosen.get_by_test_id("run-mode")).to_contain_text("select")
    reveal(top)
    shoot(page, shots, "mode-select")


def test_answers_side_by_side(page: Page, sim: CouncilServer, shots: Path) -> None:
    open_app(page)
    choose_mode(page, "Answers side by side")
    turn = ask(page, "Compare Python and Go for a CLI tool.")
    wait_finished(turn)
    answers = stage1(turn)
    expect(answers).to_contain_text("Answers side by side")
    expect(answers.locator("article.answers-grid__item")).to_have_count(4)
    expect(answers.get_by_role("article", name="Answer of gpt-5.4")).to_contain_text("gpt-5.4")
    expect(turn.get_by_role("region", name="Stage 2: peer rankings")).to_have_count(0)
    expect(turn.get_by_role("region", name="Final answer")).to_have_count(0)
    shoot(page, shots, "mode-answers")


def test_a_cut_final_answer_is_marked_and_continued(
    page: Page, sim: CouncilServer, shots: Path
) -> None:
    sim.configure_sim(
        latency=latency(300, first_token_ms=50),
        faults={"*": [{"length": 25, "prompt_kind": "chairman", "times": 1}]},
    )
    open_app(page)
    turn = ask(page, "Explain how vaccines train the immune system.")
    wait_finished(turn)
    final = turn.get_by_role("region", name="Final answer")
    cut = final.get_by_role("note").filter(has_text="Cut off by the output limit")
    expect(cut).to_be_visible()
    before = final.inner_text()
    reveal(final)
    shoot(page, shots, "cut-answer")
    cut.get_by_role("button", name="Continue").click()
    expect(cut).to_have_count(0)
    expect(final).not_to_have_text(before)
    final.screenshot(path=str(shots / "cut-answer-continued.png"), animations="disabled")
