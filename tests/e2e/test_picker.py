"""Composing a council in the picker from the (simulated) provider's catalogue, with reasoning
effort and output budgets per stage and per model, saving it as a preset (read back from the
API), and running it."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from e2e_server import CouncilServer
from e2e_ui import ask, final_answer, open_app, reveal, shoot, stage1, wait_finished
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e


def test_compose_a_council_from_the_catalogue_save_it_and_run_it(
    page: Page, sim: CouncilServer, shots: Path
) -> None:
    open_app(page)
    page.get_by_role("button", name=re.compile("^Council:")).click()
    picker = page.get_by_role("form", name="Choose the council")
    picker.get_by_label("Preset", exact=True).select_option(label="Custom…")
    table = picker.locator("table.models__table")
    expect(table).to_be_visible()

    # The current members come first, each with its context window and prices per million.
    row = table.locator("tr", has_text="Google: Gemini 3.1 Pro Preview")
    expect(row).to_contain_text("1M")
    expect(row).to_contain_text("$2.00/M")
    expect(row).to_contain_text("$12/M")
    expect(row).to_contain_text("images")

    # Search narrows the list; a retired model is marked and cannot be chosen.
    search = picker.get_by_label("Models")
    search.fill("claude")
    opus = table.locator("tr", has_text="Claude 3 Opus")
    expect(opus).to_contain_text("retired")
    expect(opus.get_by_role("checkbox")).to_be_disabled()
    expect(table.locator("tr", has_text="Gemini 2.5 Flash")).to_have_count(0)
    search.fill("gemini 2.0")
    expect(table.locator("tr", has_text="Gemini 2.0 Flash")).to_contain_text("deprecated")

    # Compose: two of the default members out, Claude Opus 4.6 in and in the chair.
    search.fill("")
    picker.get_by_label("OpenAI: GPT-5.4 as a member").uncheck()
    picker.get_by_label("xAI: Grok 4.20 as a member").uncheck()
    search.fill("opus 4.6")
    picker.get_by_label("Anthropic: Claude Opus 4.6 as a member").check()
    picker.get_by_label("Anthropic: Claude Opus 4.6 as chairman").check()
    search.fill("")
    expect(picker.get_by_test_id("picker-council")).to_contain_text(
        "Members: gemini-3.1-pro-preview, claude-sonnet-4.6, claude-opus-4.6. "
        "Chairman: claude-opus-4.6."
    )
    estimate = picker.get_by_test_id("picker-estimate")
    expect(estimate).to_contain_text(
        re.compile(r"Estimated cost per question: \$[\d.]+ – \$[\d.]+")
    )
    expect(estimate).to_contain_text("at the catalogue's prices")
    classic = estimate.inner_text()
    # Members' answers only (no reviews, no synthesis) cost less.
    picker.get_by_label("Mode", exact=True).select_option("answers")
    expect(estimate).not_to_have_text(classic)
    picker.get_by_label("Mode", exact=True).select_option("classic")

    # Reasoning: reviewers kept short, the chairman thinking hard, one member held to low effort.
    budgets = picker.locator("details.picker__reasoning")
    expect(budgets).to_contain_text("upstream defaults")
    budgets.get_by_text("Reasoning and output budgets").click()
    picker.get_by_label("Max output tokens for reviews").fill("2000")
    picker.get_by_label("Effort for chairman").select_option("high")
    picker.get_by_label("Effort for claude-opus-4.6").select_option("low")
    expect(budgets.locator("summary")).to_contain_text(
        "Reviews: ≤ 2,000 tokens; Chairman: high effort; claude-opus-4.6: low effort"
    )
    picker.get_by_label("Max output tokens for chairman").fill("0")
    picker.get_by_label("Save as preset").fill("Two Claudes and Gemini")
    picker.get_by_role("button", name="Save", exact=True).click()
    expect(picker.get_by_role("alert")).to_contain_text(
        "Max output tokens for chairman must be a whole number of 1 or more."
    )
    picker.get_by_label("Max output tokens for chairman").fill("")
    reveal(budgets)
    picker.screenshot(path=str(shots / "council-picker-reasoning.png"), animations="disabled")
    picker.get_by_role("button", name="Save", exact=True).click()
    expect(picker.get_by_role("status")).to_contain_text("Saved “Two Claudes and Gemini”")
    kept = {
        p["name"]: p["reasoning"]
        for p in httpx.get(f"{sim.url}/api/presets", timeout=10).json()["presets"]
    }["Two Claudes and Gemini"]
    assert kept["reviews"]["max_output_tokens"] == 2000 and kept["reviews"]["effort"] is None
    assert kept["chairman"]["effort"] == "high" and kept["chairman"]["max_output_tokens"] is None
    assert kept["answers"]["effort"] is None
    assert {m: r["effort"] for m, r in kept["models"].items()} == {
        "anthropic/claude-opus-4.6": "low"
    }
    expect(picker.get_by_label("Preset", exact=True)).to_contain_text("Two Claudes and Gemini")
    shoot(page, shots, "council-picker")

    picker.get_by_role("button", name="Use this council").click()
    expect(page.get_by_role("button", name=re.compile("^Council:"))).to_contain_text(
        "custom · 3 members, Chairman claude-opus-4.6"
    )
    turn = ask(page, "Which is the best sorting algorithm?")
    wait_finished(turn)
    expect(stage1(turn).get_by_role("tab")).to_have_count(3)
    expect(final_answer(turn)).to_contain_text("Chairman claude-opus-4.6")
    # The council's reasoning went with it: the conversation keeps it, and its runs use it.
    cid = page.url.rsplit("/c/", 1)[1]
    held = httpx.get(f"{sim.url}/api/conversations/{cid}", timeout=10).json()["reasoning"]
    assert held["chairman"]["effort"] == "high" and held["reviews"]["max_output_tokens"] == 2000
    assert held["models"]["anthropic/claude-opus-4.6"]["effort"] == "low"

    # The saved preset is there after a reload and can be deleted.
    page.reload()
    page.get_by_role("button", name=re.compile("^Council:")).click()
    picker = page.get_by_role("form", name="Choose the council")
    picker.get_by_label("Preset", exact=True).select_option(label="Two Claudes and Gemini")
    expect(picker.get_by_test_id("picker-council")).to_contain_text("Chairman: claude-opus-4.6.")
    picker.get_by_text("Reasoning and output budgets").click()
    expect(picker.get_by_label("Effort for chairman")).to_have_value("high")
    expect(picker.get_by_label("Max output tokens for reviews")).to_have_value("2000")
    picker.get_by_role("button", name="Delete").click()
    expect(picker.get_by_role("status")).to_contain_text("Deleted")
    expect(picker.get_by_label("Preset", exact=True)).not_to_contain_text("Two Claudes and Gemini")
