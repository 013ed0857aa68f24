"""What a person does and sees in the web UI, as Playwright steps (shared by the e2e tests)."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Error, Locator, Page, expect

RUN_TIMEOUT_MS = 30_000


def open_app(page: Page) -> None:
    page.goto("/")
    expect(page.get_by_label("Your question")).to_be_visible()


def ask(page: Page, question: str) -> Locator:
    """Types a question, sends it with Enter, and returns the council's (streaming) answer."""
    before = page.locator("article.turn--assistant").count()
    box = page.get_by_label("Your question")
    box.fill(question)
    # A document still being read holds the question back (the server would refuse it).
    expect(page.get_by_test_id("send-waiting")).to_have_count(0, timeout=RUN_TIMEOUT_MS)
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


def reveal(locator: Locator, *, attempts: int = 5) -> None:
    """Scroll the element into view. A view re-rendered between finding the element and
    scrolling to it (a run's stored result replacing its streamed one) detaches it: found again."""
    for attempt in range(attempts):
        try:
            locator.scroll_into_view_if_needed()
            return
        except Error as exc:
            if "not attached" not in str(exc) or attempt == attempts - 1:
                raise


def shoot(page: Page, folder: Path, name: str, *, full_page: bool = False) -> None:
    page.screenshot(path=str(folder / f"{name}.png"), full_page=full_page, animations="disabled")


# --- accounts (users mode) ---


def sign_in_form(page: Page) -> Locator:
    return page.get_by_role("form", name="Sign in")


def sign_in(page: Page, username: str, password: str) -> None:
    """Signs in on the sign-in page (opening the app first when it is not shown)."""
    form = sign_in_form(page)
    if form.count() == 0:
        page.goto("/")
    form.get_by_label("Username").fill(username)
    form.get_by_label("Password").fill(password)
    form.get_by_role("button", name="Sign in").click()
    expect(account_nav(page).get_by_text(username, exact=True)).to_be_visible()


def sign_out(page: Page) -> None:
    account_nav(page).get_by_role("button", name="Sign out").click()
    expect(sign_in_form(page)).to_be_visible()


def account_nav(page: Page) -> Locator:
    return page.get_by_role("navigation", name="Account and administration")


def open_page(page: Page, label: str) -> Locator:
    """Follows a link of the account navigation; returns the page's region."""
    account_nav(page).get_by_role("link", name=label, exact=True).click()
    region = page.get_by_role("region", name=PAGE_REGIONS[label])
    expect(region).to_be_visible()
    return region


PAGE_REGIONS = {
    "Account": "Your account",
    "Users": "Users",
    "API keys": "All API keys",
    "Usage": "Usage and budgets",
    "Audit log": "Audit log",
}
