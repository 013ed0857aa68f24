"""What a person does and sees in the web UI, as Playwright steps (shared by the e2e tests)."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Locator, Page, expect

RUN_TIMEOUT_MS = 30_000


def open_app(page: Page) -> None:
    page.goto("/")
    expect(page.get_by_label("Your question")).to_be_visible()


def ask(page: Page, question: str) -> Locator:
    """Types a question, sends it with Enter, and returns the council's (streaming) answer."""
    before = page.locator("article.turn--assistant").count()
    box = page.get_by_label("Your question")
    box.fill(question)
    box.press("Enter")
    expect(page.locator("article.turn--assistant")).to_have_count(before + 1)
    return page.locator("article.turn--assistant").nth(before)


def wait_finished(turn: Locator, status: str = "complete") -> None:
    expect(turn).to_have_attribute("data-status", status, timeout=RUN_TIMEOUT_MS)


def stage1(turn: Locator) -> Locator:
    return turn.get_by_role("region", name="Stage 1: individual answers")


def stage2(turn: Locator) -> Locator:
    return turn.get_by_role("region", name="Stage 2: peer rankings")


def final_answer(turn: Locator) -> Locator:
    return turn.get_by_role("region", name="Final answer")


def sidebar_item(page: Page, title: str) -> Locator:
    sidebar = page.get_by_role("complementary", name="Conversations")
    return sidebar.locator("li.conv", has_text=title)


def shoot(page: Page, folder: Path, name: str, *, full_page: bool = False) -> None:
    page.screenshot(path=str(folder / f"{name}.png"), full_page=full_page, animations="disabled")
