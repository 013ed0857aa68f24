"""A broken stream in the browser is followed again from the last event it received."""

from __future__ import annotations

import pytest

pytest.importorskip("playwright", reason="the e2e tests need Playwright: pip install -e '.[dev]'")

from e2e_server import CouncilServer
from e2e_ui import ask, final_answer, open_app, stage1, wait_finished
from playwright.sync_api import Page, Request, Route, expect

pytestmark = pytest.mark.e2e


def test_a_stream_cut_mid_run_is_resumed_from_its_last_event_id(
    page: Page, sim: CouncilServer
) -> None:
    """The answer's stream is cut after stage 1 (the browser gets only its first events); the
    page asks the run's events after the last id it received and shows the whole result."""
    kept: list[str] = []

    def cut_after_stage1(route: Route) -> None:
        whole = route.fetch().text()  # the run's whole stream, read to its end
        blocks = [b for b in whole.split("\n\n") if b.strip()]
        upto = next(i for i, b in enumerate(blocks) if '"type": "stage1_complete"' in b)
        kept.extend(blocks[: upto + 1])
        route.fulfill(
            status=200,
            headers={"Content-Type": "text/event-stream"},
            body="\n\n".join(kept) + "\n\n",
        )

    page.route("**/message/stream", cut_after_stage1)
    resumed: list[Request] = []
    page.on("request", lambda r: resumed.append(r) if r.url.endswith("/events") else None)

    open_app(page)
    turn = ask(page, "What survives a cut stream?")
    wait_finished(turn)
    expect(final_answer(turn)).to_be_visible()
    expect(stage1(turn).get_by_role("tabpanel").locator(".markdown")).not_to_have_text("")

    last_id = next(line[3:].strip() for line in kept[-1].splitlines() if line.startswith("id:"))
    assert [r.headers.get("last-event-id") for r in resumed] == [last_id]
    assert resumed[0].method == "GET"
