"""Local single-user mode only on loopback; "auto" turns sign-in on with the first account;
the first-run setup link creates the first administrator once."""

from __future__ import annotations

import logging
import re
from typing import Any

import httpx
import pytest
from gov_support import FAST_HASH, PASSWORD, TEST_ACTOR, GovernedFactory, run_cli

from llmcouncil.config import Settings, check_settings


@pytest.mark.parametrize(
    ("host", "mode", "refused"),
    [
        ("127.0.0.1", "auto", False),
        ("::1", "local", False),
        ("localhost", "auto", False),
        ("127.0.0.2", "local", False),
        ("0.0.0.0", "auto", True),
        ("0.0.0.0", "local", True),
        ("10.1.2.3", "auto", True),
        ("0.0.0.0", "users", False),
        ("council.example.com", "users", False),
    ],
)
def test_no_sign_in_only_on_loopback(host: str, mode: str, refused: bool) -> None:
    problems = check_settings(Settings(host=host, auth={"mode": mode}, demo=True))
    assert bool(problems) is refused, problems
    if refused:
        assert "auth.mode" in problems[0] and host in problems[0] and "users create" in problems[0]


def test_serve_refuses_a_public_bind_without_sign_in(cli_env: str) -> None:
    result = run_cli("serve", "--demo", "--host", "0.0.0.0")
    assert result.returncode == 2
    assert "not a loopback address" in result.stderr and "auth.mode" in result.stderr
    assert "Traceback" not in result.stderr


async def test_auto_mode_turns_sign_in_on_with_the_first_account(
    make_settings: Any, start_server: Any
) -> None:
    settings = make_settings(auth={"password_hash": FAST_HASH})
    first = await start_server(settings)
    async with httpx.AsyncClient(base_url=first.base_url, timeout=60) as client:
        assert (await client.get("/api/conversations")).status_code == 200  # local mode
        assert (await client.get("/api/auth/config")).json()["mode"] == "local"
        assert (
            await client.post("/api/auth/login", json={"username": "a", "password": "b"})
        ).status_code == 409
    await first.runtime.governance.accounts.create_user(
        username="ada", role="admin", password=PASSWORD, actor=TEST_ACTOR
    )
    second = await start_server(settings)  # same database, restarted
    async with httpx.AsyncClient(base_url=second.base_url, timeout=60) as client:
        assert (await client.get("/api/conversations")).status_code == 401
        assert (await client.get("/api/auth/config")).json()["mode"] == "users"
        status = (await client.get("/api/status")).json()
        assert status["providers"] == [] and status["version"]  # reduced without sign-in


async def test_first_run_setup_link(
    governed: GovernedFactory, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="llmcouncil"):
        server = await governed()
    printed = next(r.getMessage() for r in caplog.records if "setup?token=" in r.getMessage())
    token = re.search(r"setup\?token=([\w-]+)", printed).group(1)  # type: ignore[union-attr]
    client = server.client()
    assert (await client.get("/api/auth/config")).json()["setup_required"] is True
    body = {"token": "not-the-token", "username": "ada", "password": PASSWORD}
    assert (await client.post("/api/auth/setup", json=body)).status_code == 401
    made = await client.post("/api/auth/setup", json={**body, "token": token})
    assert made.status_code == 200, made.text
    assert made.json()["user"]["role"] == "admin"
    client.headers["X-CSRF-Token"] = made.json()["csrf_token"]
    assert (await client.get("/api/users")).status_code == 200  # signed in as the new admin
    again = await server.client().post("/api/auth/setup", json={**body, "token": token})
    assert again.status_code == 409
    assert (await client.get("/api/auth/config")).json()["setup_required"] is False
    setup = (await client.get("/api/audit?action=user.create")).json()["records"][0]
    assert setup["actor_name"] == "first-run setup" and token not in str(setup)
