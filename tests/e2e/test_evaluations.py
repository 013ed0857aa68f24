"""Evaluations from the web UI: a small dataset uploaded, the council compared with other
strategies on the simulated upstream, its progress followed to the end, and the report read; a
dataset that cannot be used is refused with its problems named and nothing is created."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest

pytest.importorskip("playwright", reason="the e2e tests need Playwright: pip install -e '.[dev]'")

from e2e_server import CouncilServer, latency
from e2e_ui import reveal, shoot
from playwright.sync_api import Locator, Page, expect

pytestmark = pytest.mark.e2e

EVAL_TIMEOUT_MS = 90_000
QUESTIONS = [
    {"question": "What is 17 + 25?", "reference": "42", "category": "maths", "match": "numeric"},
    {"question": "What is the capital of Australia?", "reference": "Canberra", "category": "facts"},
    {"question": "Name a prime number between 20 and 25.", "reference": "23", "category": "maths"},
]


def open_evaluations(page: Page) -> Locator:
    page.goto("/#/evaluations")
    region = page.get_by_role("region", name="Evaluations")
    expect(region.get_by_role("heading", name="Start an evaluation")).to_be_visible()
    return region


def start_form(region: Locator) -> Locator:
    return region.get_by_role("form", name="Start an evaluation")


def evaluations_listed(server: CouncilServer) -> list[dict[str, object]]:
    response = httpx.get(f"{server.url}/api/evaluations", timeout=10)
    response.raise_for_status()
    listed: list[dict[str, object]] = response.json()["evaluations"]
    return listed


def test_an_evaluation_started_in_the_ui_runs_to_its_report(
    page: Page, sim: CouncilServer, shots: Path, tmp_path: Path
) -> None:
    sim.configure_sim(latency=latency(40, first_token_ms=10))
    dataset = tmp_path / "three.jsonl"
    dataset.write_text("".join(json.dumps(q) + "\n" for q in QUESTIONS))
    before = len(evaluations_listed(sim))

    region = open_evaluations(page)
    form = start_form(region)
    form.get_by_label("Dataset (.jsonl or .csv)").set_input_files(str(dataset))
    form.get_by_label("Name").fill("Three quick questions")
    form.get_by_label("Strategies").fill("council, select, chairman")
    form.get_by_role("button", name="Start").click()

    card = region.get_by_role("region", name="Three quick questions")
    expect(card).to_be_visible()
    expect(card).to_contain_text("3 questions")
    progress = card.get_by_role("progressbar", name="Progress of Three quick questions")
    expect(progress).to_be_visible()
    shoot(page, shots, "evaluation-running")
    expect(card.get_by_test_id("evaluation-status")).to_have_text(
        "complete", timeout=EVAL_TIMEOUT_MS
    )
    # Every call made: 3 questions × 3 strategies, and each judge's two readings of the two
    # questions judged by the panel (the numeric one is matched).
    expect(card).to_contain_text(re.compile(r"(\d+) of \1 calls \(100%\)"))
    expect(progress).to_have_attribute("value", "1")

    card.get_by_role("button", name="Show report").click()
    wins = card.get_by_role("table", name="The council against each strategy")
    expect(wins).to_be_visible()
    rows = wins.locator("tbody tr")
    expect(rows).to_have_count(2)
    for strategy in ("select", "chairman"):
        row = rows.filter(has_text=strategy)
        cells = row.locator("td")
        wins_, ties, losses = (int(cells.nth(i).inner_text()) for i in (1, 2, 3))
        assert wins_ + ties + losses == len(QUESTIONS), (strategy, wins_, ties, losses)
    costs = card.get_by_role("table", name="Cost, tokens and latency per strategy")
    expect(costs.locator("tbody tr")).to_have_count(3)
    for strategy in ("council", "select", "chairman"):
        expect(costs.locator("tbody tr", has_text=strategy).locator("td").nth(1)).to_have_text(
            "3/3"
        )
    expect(card.get_by_role("note")).to_contain_text("Simulated")
    card.screenshot(path=str(shots / "evaluation-report.png"), animations="disabled")

    stored = evaluations_listed(sim)
    assert len(stored) == before + 1
    assert stored[0]["status"] == "complete" and stored[0]["questions"] == len(QUESTIONS)


def start_by_api(server: CouncilServer, *, name: str, strategies: str) -> str:
    """Starts an evaluation of QUESTIONS over HTTP and waits (a long poll) for it to end."""
    data = "".join(json.dumps(q) + "\n" for q in QUESTIONS).encode()
    with httpx.Client(base_url=server.url, timeout=90) as client:
        started = client.post(
            "/api/evaluations",
            files={"file": ("three.jsonl", data, "application/x-ndjson")},
            data={"name": name, "strategies": strategies},
        )
        assert started.status_code == 202, started.text
        evaluation_id: str = started.json()["id"]
        status = ""
        for _ in range(3):  # each poll returns when the job ends, or after 30 s
            status = client.get(f"/api/evaluations/{evaluation_id}?wait=30").json()["status"]
            if status not in ("pending", "running"):
                break
        assert status == "complete", status
    return evaluation_id


def test_the_evaluations_page_and_a_report_fit_a_phone(
    phone_page: Page, sim: CouncilServer, shots: Path
) -> None:
    """At 390 px the form, the progress and the report's tables stay within the screen."""
    sim.configure_sim(latency=latency(40, first_token_ms=10))
    start_by_api(sim, name="On a phone", strategies="council, select, self-moa")
    region = open_evaluations(phone_page)
    card = region.get_by_role("region", name="On a phone")
    expect(card.get_by_test_id("evaluation-status")).to_have_text("complete")
    card.get_by_role("button", name="Show report").click()
    tables = card.get_by_role("table")
    expect(tables).to_have_count(2)
    reveal(card)
    card.screenshot(path=str(shots / "evaluation-report-phone.png"), animations="disabled")
    beyond = phone_page.evaluate(
        "[...document.querySelectorAll('main *')]"
        ".filter((e) => e.getBoundingClientRect().right > 390)"
        ".map((e) => `${e.tagName}.${e.className}: ${Math.round(e.getBoundingClientRect().right)}`)"
    )
    assert beyond == [], f"wider than a 390 px screen: {beyond}"
    for index in range(2):  # each table fits its box: no sideways scrolling to read it
        overflow = tables.nth(index).evaluate(
            "(t) => t.parentElement.scrollWidth - t.parentElement.clientWidth"
        )
        assert overflow <= 0, f"table {index} is {overflow} px wider than the screen"
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390


def test_a_dataset_that_cannot_be_used_is_refused_and_creates_nothing(
    page: Page, sim: CouncilServer, shots: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "fine"}\n{"reference": "no question here"}\nnot json at all\n')
    before = evaluations_listed(sim)

    region = open_evaluations(page)
    form = start_form(region)
    form.get_by_label("Dataset (.jsonl or .csv)").set_input_files(str(bad))
    form.get_by_role("button", name="Start").click()
    alert = form.get_by_role("alert")
    expect(alert).to_contain_text("the dataset cannot be used")
    expect(alert).to_contain_text("line 2")
    expect(alert).to_contain_text("line 3")
    expect(form.get_by_role("button", name="Start")).to_be_enabled()
    shoot(page, shots, "evaluation-bad-dataset")
    assert evaluations_listed(sim) == before


def test_an_evaluation_a_crash_stopped_is_shown_interrupted_and_resumed(
    own_page: Page, own_server: CouncilServer, shots: Path, tmp_path: Path
) -> None:
    """The server is killed mid-evaluation; started again, it finds the evaluation left behind
    by a dead instance (its heartbeat stopped), marks it interrupted, and Resume finishes it."""
    page, server = own_page, own_server
    server.configure_sim(latency=latency(700, first_token_ms=100))
    dataset = tmp_path / "three.jsonl"
    dataset.write_text("".join(json.dumps(q) + "\n" for q in QUESTIONS))
    region = open_evaluations(page)
    form = start_form(region)
    form.get_by_label("Dataset (.jsonl or .csv)").set_input_files(str(dataset))
    form.get_by_label("Name").fill("Cut short")
    form.get_by_label("Strategies").fill("council, chairman")
    form.get_by_label("Concurrency").fill("1")
    form.get_by_role("button", name="Start").click()
    card = region.get_by_role("region", name="Cut short")
    expect(card.get_by_test_id("evaluation-status")).to_have_text("running")
    progress = card.locator(".eval-card__progress")
    expect(progress).to_have_text(re.compile(r"^[1-9]\d* of \d+ calls"), timeout=EVAL_TIMEOUT_MS)

    server.kill()
    server.start()  # same port and database: a new instance; the old one's heartbeat is stale
    server.configure_sim(latency=latency(40, first_token_ms=10))
    expect(card.get_by_test_id("evaluation-status")).to_have_text("interrupted")
    expect(card.get_by_role("note")).to_contain_text("finished calls are not repeated")
    done_before = int(progress.inner_text().split(" of ")[0])
    assert done_before >= 1
    shoot(page, shots, "evaluation-interrupted")

    card.get_by_role("button", name="Resume").click()
    expect(card.get_by_test_id("evaluation-status")).to_have_text(
        "complete", timeout=EVAL_TIMEOUT_MS
    )
    expect(card).to_contain_text(re.compile(r"(\d+) of \1 calls \(100%\)"))
    expect(card.get_by_role("button", name="Resume")).to_have_count(0)
    card.get_by_role("button", name="Show report").click()
    expect(card.get_by_role("table", name="The council against each strategy")).to_be_visible()
