"""Fixtures for the browser tests: the real server in demo mode and Debian's Chromium.

The server runs as ``council serve --demo`` on a free loopback port with its database under a
temporary folder (see e2e_server.py). Most tests share one server in local single-user mode;
the account tests share one in users mode (``users_server``: an administrator made with
``council users create --admin``, a member and an auditor made by that administrator), and the
first-run test has a users-mode server of its own with no account at all.

Chromium is Debian's (``/usr/bin/chromium``, or ``$COUNCIL_E2E_CHROMIUM``), driven by
Playwright; no browser is ever downloaded. Playwright is imported inside the fixtures, so
collecting the other tests does not need it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from e2e_server import ADMIN, AUDITOR, MEMBER, PASSWORD, USERS_MODE, CouncilServer, latency

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Playwright

REPO = Path(__file__).resolve().parents[2]
STATIC_INDEX = REPO / "llmcouncil" / "static" / "index.html"
SCREENSHOTS = REPO / "docs" / "screenshots"  # refreshed with COUNCIL_E2E_SCREENSHOTS=1
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}


def _chromium() -> str:
    path = os.environ.get("COUNCIL_E2E_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        pytest.fail(f"Chromium not found at {path}: apt-get install chromium (make e2e does)")
    return path


@pytest.fixture(scope="session")
def built_ui() -> None:
    if not STATIC_INDEX.is_file():
        pytest.fail("the web UI is not built: run `make web` (or `cd web && npm run build`)")


@pytest.fixture(scope="session")
def council(tmp_path_factory: pytest.TempPathFactory, built_ui: None) -> Iterator[CouncilServer]:
    server = CouncilServer(workdir=tmp_path_factory.mktemp("council"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def own_server(tmp_path: Path, built_ui: None) -> Iterator[CouncilServer]:
    """A server of the test's own, for tests that kill and restart it."""
    server = CouncilServer(workdir=tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def users_server(
    tmp_path_factory: pytest.TempPathFactory, built_ui: None
) -> Iterator[CouncilServer]:
    """A server in users mode with three accounts: ADMIN, MEMBER and AUDITOR (PASSWORD)."""
    server = CouncilServer(workdir=tmp_path_factory.mktemp("council-users"), env=USERS_MODE)
    server.start()
    try:
        made = server.council(
            "users", "create", ADMIN, "--admin", "--password-stdin", stdin=PASSWORD
        )
        assert made.returncode == 0, made.stderr
        admin = server.session(ADMIN, PASSWORD)
        try:
            for username, role in ((MEMBER, "member"), (AUDITOR, "auditor")):
                body = {"username": username, "role": role, "password": PASSWORD}
                created = admin.post("/api/users", json=body)
                assert created.status_code == 201, created.text
            server.find_simulator(admin)
        finally:
            admin.close()
        server.configure_sim(latency=latency(700, first_token_ms=100))
        yield server
    finally:
        server.stop()


@pytest.fixture
def fresh_users_server(tmp_path: Path, built_ui: None) -> Iterator[CouncilServer]:
    """A server in users mode with no account yet: it prints a one-time setup link."""
    server = CouncilServer(workdir=tmp_path, env=USERS_MODE)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def sim(council: CouncilServer) -> Iterator[CouncilServer]:
    """The shared server, with the simulator set to a quick, steady pace and reset afterwards."""
    council.configure_sim(latency=latency(900, first_token_ms=150))
    yield council
    council.reset_sim()


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="the e2e tests need Playwright: pip install -e '.[dev]'"
    )
    with sync_api.sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(
        executable_path=_chromium(), headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


@pytest.fixture
def page(browser: Browser, sim: CouncilServer) -> Iterator[Page]:
    yield from _page(browser, sim, viewport=DESKTOP, color_scheme="light")


@pytest.fixture
def own_page(browser: Browser, own_server: CouncilServer) -> Iterator[Page]:
    yield from _page(browser, own_server, viewport=DESKTOP, color_scheme="light")


@pytest.fixture
def dark_page(browser: Browser, sim: CouncilServer) -> Iterator[Page]:
    yield from _page(browser, sim, viewport=DESKTOP, color_scheme="dark")


@pytest.fixture
def phone_page(browser: Browser, sim: CouncilServer) -> Iterator[Page]:
    yield from _page(
        browser, sim, viewport=PHONE, color_scheme="light", is_mobile=True, has_touch=True
    )


@pytest.fixture
def browser_for(browser: Browser) -> Iterator[Callable[[CouncilServer], Page]]:
    """Opens a page in a browser context of its own (own cookies: one person each) on a server."""
    contexts = []
    errors: list[str] = []

    def open_page(server: CouncilServer) -> Page:
        context = browser.new_context(base_url=server.url, viewport=DESKTOP, color_scheme="light")
        context.set_default_timeout(20_000)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def _page(browser: Browser, server: CouncilServer, **options: Any) -> Iterator[Page]:
    context = browser.new_context(base_url=server.url, **options)
    context.set_default_timeout(20_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        yield page
    finally:
        context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture(scope="session")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots go: docs/screenshots/ when COUNCIL_E2E_SCREENSHOTS=1, else a temp dir
    (so an ordinary test run leaves the work tree alone)."""
    if os.environ.get("COUNCIL_E2E_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        return SCREENSHOTS
    return tmp_path_factory.mktemp("screenshots")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Every browser test is an e2e test, marked or not: Playwright's sync API leaves a running
    # event loop behind, which would break every async test collected after it in `make unit`.
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.e2e)
