"""Accounts in a real browser (users mode): first-run setup, sign-in, roles, API keys, audit.

The server runs with ``auth.mode = "users"``; see conftest.py for the accounts it starts with.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

pytest.importorskip("playwright", reason="the e2e tests need Playwright: pip install -e '.[dev]'")

from e2e_server import ADMIN, AUDITOR, MEMBER, PASSWORD, CouncilServer
from e2e_ui import (
    account_nav,
    ask,
    final_answer,
    open_page,
    shoot,
    sign_in,
    sign_in_form,
    sign_out,
    wait_finished,
)
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

OpenPage = Callable[[CouncilServer], Page]


def test_first_run_setup_makes_the_first_administrator(
    fresh_users_server: CouncilServer, browser_for: OpenPage
) -> None:
    server = fresh_users_server
    page = browser_for(server)
    page.goto("/")
    expect(sign_in_form(page)).to_be_visible()
    expect(page.get_by_role("note")).to_contain_text("No administrator exists yet")

    # The console prints <url>/setup?token=…; the UI reads the token from #/setup?token=… too.
    token = server.setup_token()
    page.goto(f"/#/setup?token={token}")
    setup = page.get_by_role("form", name="First-run setup")
    expect(setup.get_by_label("Setup token")).to_have_count(0)  # it came with the link
    setup.get_by_label("Username").fill("ada")
    setup.get_by_label("Password", exact=True).fill("too short")
    setup.get_by_label("Repeat the password").fill("too short")
    setup.get_by_role("button", name="Create administrator and sign in").click()
    expect(setup.get_by_role("alert")).to_contain_text("at least 12 characters")
    setup.get_by_label("Password", exact=True).fill(PASSWORD)
    setup.get_by_label("Repeat the password").fill(PASSWORD)
    setup.get_by_role("button", name="Create administrator and sign in").click()

    nav = account_nav(page)
    expect(nav.get_by_text("ada", exact=True)).to_be_visible()
    expect(nav).to_contain_text("Administrator")
    expect(page).to_have_url(re.compile(r"/#/$"))  # the token left the address bar
    page.goto(f"/#/setup?token={token}")  # the link works once
    expect(nav.get_by_text("ada", exact=True)).to_be_visible()
    expect(page.get_by_role("form", name="First-run setup")).to_have_count(0)

    # The audit chain: intact, then broken by an edit behind the server's back.
    audit = open_page(page, "Audit log")
    audit.get_by_role("button", name="Verify chain").click()
    expect(audit.get_by_role("status")).to_contain_text("Chain intact")
    with sqlite3.connect(server.database) as db:
        db.execute("UPDATE audit_log SET outcome = 'failure' WHERE seq = 1")
    audit.get_by_role("button", name="Verify chain").click()
    broken = audit.get_by_role("alert")
    expect(broken).to_contain_text("The chain is broken at record 1")
    expect(broken).to_contain_text("record 1 (user.create) was altered")
    broken.get_by_role("button", name="Show record 1").click()
    records = audit.get_by_role("table", name="Audit records")
    expect(records.locator("tbody tr").first).to_have_attribute("data-seq", "1")


def test_a_member_asks_and_an_auditor_sees_the_log_but_not_the_conversation(
    users_server: CouncilServer, browser_for: OpenPage, shots: Path
) -> None:
    member = browser_for(users_server)
    member.goto("/")
    form = sign_in_form(member)
    expect(member.get_by_role("heading", name="Sign in")).to_be_visible()

    # A wrong password is refused, clearly; the right one works.
    form.get_by_label("Username").fill(MEMBER)
    form.get_by_label("Password").fill("not the password")
    form.get_by_role("button", name="Sign in").click()
    expect(form.get_by_role("alert")).to_have_text("Could not sign in: wrong username or password.")
    expect(form.get_by_label("Password")).to_have_value("")
    expect(form.get_by_label("Password")).to_be_focused()
    shoot(member, shots, "sign-in")
    sign_in(member, MEMBER, PASSWORD)

    # A member asks the council (the stream is a POST: it carries the CSRF token).
    nav = account_nav(member)
    expect(nav.get_by_role("link")).to_have_text(["Account", "Usage"])
    turn = ask(member, "What is a Merkle tree?")
    wait_finished(turn)
    expect(final_answer(turn)).to_be_visible()
    conversation = member.url.split("#", 1)[1]
    member.reload()  # still signed in: the session is a cookie
    expect(member.get_by_role("article", name="Question")).to_contain_text("Merkle tree")
    sign_out(member)
    expect(member.get_by_role("status")).to_contain_text("You have signed out")
    member.goto(f"/#{conversation}")
    expect(sign_in_form(member)).to_be_visible()
    expect(member.get_by_text("Merkle tree")).to_have_count(0)

    # An auditor lands on the audit log: no conversations, no administration.
    auditor = browser_for(users_server)
    sign_in(auditor, AUDITOR, PASSWORD)
    audit = auditor.get_by_role("region", name="Audit log")
    expect(audit).to_be_visible()
    expect(account_nav(auditor).get_by_role("link")).to_have_text(["Account", "Usage", "Audit log"])
    expect(auditor.get_by_role("button", name="New conversation")).to_have_count(0)
    expect(auditor.get_by_label("Search conversations by title")).to_have_count(0)

    # The member's run is in the log (who, which models, tokens), the question is not.
    audit.get_by_label("Action").fill("council.run")
    audit.get_by_role("button", name="Filter").click()
    records = audit.get_by_role("table", name="Audit records")
    expect(records.locator("tbody tr")).to_have_count(1)
    expect(records).to_contain_text(MEMBER)
    expect(records).to_contain_text("complete")
    expect(audit).not_to_contain_text("Merkle")

    # The member's conversation stays closed to the auditor, in the UI and at the API.
    auditor.goto(f"/#{conversation}")
    expect(auditor.get_by_role("region", name="Audit log")).to_be_visible()
    expect(auditor.get_by_text("Merkle tree")).to_have_count(0)
    conversation_id = conversation.removeprefix("/c/")
    status = auditor.evaluate(
        "id => fetch('/api/conversations/' + id).then(r => r.status)", conversation_id
    )
    assert status in (403, 404), status

    # Everyone's usage is open to an auditor.
    usage = open_page(auditor, "Usage")
    expect(usage.get_by_role("table", name="Usage per user")).to_contain_text(MEMBER)


def test_an_admin_manages_users_and_api_keys_and_checks_the_audit_chain(
    users_server: CouncilServer, browser_for: OpenPage, shots: Path
) -> None:
    page = browser_for(users_server)
    sign_in(page, ADMIN, PASSWORD)
    expect(account_nav(page).get_by_role("link")).to_have_text(
        ["Account", "Users", "API keys", "Usage", "Audit log"]
    )

    # Users: create one, change the role, deactivate after a confirmation.
    users = open_page(page, "Users")
    users.get_by_role("button", name="New user").click()
    create = users.get_by_role("form", name="Create a user")
    create.get_by_label("Username").fill("nico")
    create.get_by_label("Initial password").fill(PASSWORD)
    create.get_by_label("Display name (optional)").fill("Nico Rossi")
    create.get_by_role("button", name="Create user").click()
    expect(users.get_by_role("status")).to_have_text("Created member nico.")
    expect(create).to_have_count(0)
    row = users.locator("tr[data-username='nico']")
    expect(row).to_contain_text("Nico Rossi")
    row.get_by_label("Role of nico").select_option("auditor")
    expect(users.get_by_role("status")).to_have_text("nico is now auditor.")
    row.get_by_role("button", name="Deactivate nico").click()
    row.get_by_role("alertdialog").get_by_role("button", name="Deactivate").click()
    expect(row).to_contain_text("Deactivated")
    expect(row.get_by_role("button", name="Activate nico")).to_be_visible()
    users.evaluate("el => el.scrollTo(0, 0)")
    shoot(page, shots, "admin-users")
    refused = httpx.post(
        f"{users_server.url}/api/auth/login",
        json={"username": "nico", "password": PASSWORD},
        timeout=30,
    )
    assert refused.status_code == 401

    # An API key of one's own: the secret is shown once, with a copy button.
    account = open_page(page, "Account")
    keys = account.get_by_role("region", name="Your API keys")
    new_key = keys.get_by_role("form", name="Create an API key")
    new_key.get_by_label("Name").fill("CI pipeline")
    new_key.get_by_label("Expires after").select_option(label="30 days")
    new_key.get_by_role("checkbox", name=re.compile("^usage")).check()
    new_key.get_by_role("button", name="Create key").click()
    fresh = keys.get_by_role("region", name="New API key")
    expect(fresh).to_contain_text("it is shown only this once")
    expect(fresh.get_by_role("button", name="Copy API key")).to_be_visible()
    secret = fresh.get_by_label("API key secret").inner_text().strip()
    assert re.fullmatch(r"lc_[a-z0-9]+_\S+", secret), secret
    prefix = "_".join(secret.split("_")[:2])  # lc_<prefix>_<secret>; the secret may hold "_"
    table = keys.get_by_role("table", name="Your API keys")
    expect(table).to_contain_text(f"{prefix}_…")
    expect(table).to_contain_text("usage")
    keys.evaluate("el => el.scrollIntoView({block: 'start'})")
    shoot(page, shots, "account-new-key")
    program = httpx.Client(
        base_url=users_server.url, headers={"Authorization": f"Bearer {secret}"}, timeout=10
    )
    assert program.get("/api/conversations").status_code == 200

    page.reload()  # only the prefix is left
    keys = page.get_by_role("region", name="Your API keys")
    expect(keys.get_by_role("table", name="Your API keys")).to_contain_text(f"{prefix}_…")
    expect(keys.get_by_role("region", name="New API key")).to_have_count(0)
    assert secret not in page.content()

    # Every user's keys, for the administrator: revoke after a confirmation.
    all_keys = open_page(page, "API keys")
    listed = all_keys.get_by_role("table", name="All API keys")
    row = listed.locator("tr", has_text="CI pipeline")
    expect(row).to_contain_text(ADMIN)
    row.get_by_role("button", name="Revoke key “CI pipeline”").click()
    row.get_by_role("alertdialog").get_by_role("button", name="Revoke").click()
    expect(listed.locator("tr", has_text="CI pipeline")).to_have_count(0)  # active only
    all_keys.get_by_label("Show revoked and expired").check()
    expect(listed.locator("tr", has_text="CI pipeline")).to_contain_text("Revoked")
    assert program.get("/api/conversations").status_code == 401
    program.close()

    # A budget for every user without one of their own; it applies to the admin too.
    usage = open_page(page, "Usage")
    budget = usage.get_by_role("form", name="Set a budget")
    budget.get_by_label("Cost limit").fill("5")
    budget.get_by_label("Period").select_option(label="per month")
    budget.get_by_role("button", name="Save budget").click()
    budgets = usage.get_by_role("table", name="Budgets")
    expect(budgets).to_contain_text("Every user without a budget of their own")
    expect(budgets).to_contain_text("5.00 USD")
    mine = usage.get_by_role("region", name="Budgets that apply to you")
    expect(mine).to_contain_text("5.00 USD per month")
    expect(mine).to_contain_text("Hard limit")

    # The audit log: the key's story, the export, and the chain verified.
    audit = open_page(page, "Audit log")
    audit.get_by_label("Action").fill("key.")
    audit.get_by_role("button", name="Filter").click()
    records = audit.get_by_role("table", name="Audit records")
    expect(records.locator("tbody tr")).to_have_count(2)
    expect(records.locator("tbody tr").first).to_contain_text("key.revoke")
    expect(records.locator("tbody tr").nth(1)).to_contain_text("key.create")
    with page.expect_download() as download:
        audit.get_by_role("link", name="Export JSONL").click()
    lines = Path(download.value.path()).read_text(encoding="utf-8").splitlines()
    exported = [json.loads(line) for line in lines]
    assert [r["action"] for r in exported] == ["key.create", "key.revoke"]
    assert all(len(r["hash"]) == 64 for r in exported)

    audit.get_by_role("button", name="Clear").click()
    audit.get_by_role("button", name="Verify chain").click()
    expect(audit.get_by_role("status")).to_contain_text(re.compile(r"Chain intact: \d+ record"))
    audit.evaluate("el => el.scrollTo(0, 0)")
    shoot(page, shots, "audit-log")

    # Signing out returns to the sign-in page, and the session is over.
    sign_out(page)
    page.reload()
    expect(sign_in_form(page)).to_be_visible()
