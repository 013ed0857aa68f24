"""Batches from the web UI: questions typed one a line, the batch followed to its end on the
simulated upstream, its answers offered as CSV and JSON Lines, and the answers the same as the
API gives; a batch with no question cannot be submitted."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import httpx
import pytest

pytest.importorskip("playwright", reason="the e2e tests need Playwright: pip install -e '.[dev]'")

from e2e_server import CouncilServer, latency
from e2e_ui import shoot
from playwright.sync_api import Locator, Page, expect

pytestmark = pytest.mark.e2e

BATCH_TIMEOUT_MS = 90_000
QUESTIONS = ["Why is the sky blue?", "Why is the sea salty?", "Why do cats purr?"]


def open_batches(page: Page) -> Locator:
    page.goto("/#/batches")
    region = page.get_by_role("region", name="Batches")
    expect(region.get_by_role("heading", name="Ask many questions")).to_be_visible()
    return region


def test_a_batch_submitted_in_the_ui_runs_to_its_answers(
    page: Page, sim: CouncilServer, shots: Path
) -> None:
    sim.configure_sim(latency=latency(40, first_token_ms=10))
    region = open_batches(page)
    form = region.get_by_role("form", name="Submit a batch")
    submit = form.get_by_role("button", name="Submit")
    expect(submit).to_be_disabled()  # no question yet
    form.get_by_label("Questions, one a line").fill("\n".join(QUESTIONS) + "\n\n")
    expect(form).to_contain_text("3 questions")
    form.get_by_label("Name").fill("Three whys")
    submit.click()

    card = region.get_by_role("region", name="Three whys").first
    expect(card).to_be_visible()
    expect(card.get_by_role("progressbar", name="Progress of Three whys")).to_be_visible()
    shoot(page, shots, "batch-running")
    expect(card.get_by_test_id("batch-status")).to_have_text("complete", timeout=BATCH_TIMEOUT_MS)
    expect(card).to_contain_text(re.compile(r"3 of 3 answered \(100%\)"))
    expect(form.get_by_label("Questions, one a line")).to_have_value("")
    csv_link = card.get_by_role("link", name="CSV")
    href = csv_link.get_attribute("href")
    assert href is not None and href.endswith("format=csv")
    shoot(page, shots, "batch-complete")

    listed = httpx.get(f"{sim.url}/api/batches", timeout=10).json()["batches"]
    batch = next(b for b in listed if b["name"] == "Three whys")
    exported = httpx.get(f"{sim.url}{href}", timeout=10)
    assert exported.headers["content-type"].startswith("text/csv")
    results = httpx.get(f"{sim.url}/api/batches/{batch['id']}/results", timeout=10).json()
    assert [i["question"] for i in results["items"]] == QUESTIONS
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [r["question"] for r in rows] == QUESTIONS
    assert all(r["status"] == "done" and r["answer"] for r in rows)
    assert all(i["status"] == "done" for i in results["items"])
