"""Helpers for governance tests: a server in users mode, accounts, sessions and API keys.

argon2 runs with its smallest parameters here (settings, never the production defaults), so
creating an account or signing in costs microseconds.
"""

from __future__ import annotations

import contextlib
import io
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from llmcouncil.audit.chain import Actor
from llmcouncil.auth.settings import PasswordHashSettings
from llmcouncil.auth.tables import UserRow

FAST_HASH = PasswordHashSettings(time_cost=1, memory_cost=8, parallelism=1)
PASSWORD = "correct horse battery staple"
TEST_ACTOR = Actor(name="test")


class Governed:
    """A live server in users mode, with shortcuts to make accounts and clients."""

    def __init__(self, live: Any) -> None:  # conftest.LiveServer
        self.live = live
        self.base_url = live.base_url
        self._clients: list[httpx.AsyncClient] = []

    @property
    def runtime(self) -> Any:
        return self.live.runtime

    @property
    def governance(self) -> Any:
        return self.live.runtime.governance

    async def user(
        self, username: str, role: str = "member", password: str | None = PASSWORD, **changes: Any
    ) -> UserRow:
        user: UserRow = await self.governance.accounts.create_user(
            username=username, role=role, password=password, actor=TEST_ACTOR
        )
        if changes:
            user = await self.governance.accounts.update_user(
                user.id, changes=changes, actor=TEST_ACTOR
            )
        return user

    def client(self, **kwargs: Any) -> httpx.AsyncClient:
        client = httpx.AsyncClient(base_url=self.base_url, timeout=30, **kwargs)
        self._clients.append(client)
        return client

    async def session(self, username: str, password: str = PASSWORD) -> httpx.AsyncClient:
        """A client signed in with a cookie, sending its CSRF token like the web UI does."""
        client = self.client()
        response = await client.post(
            "/api/auth/login", json={"username": username, "password": password}
        )
        assert response.status_code == 200, response.text
        client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
        return client

    async def key(self, username: str, scopes: list[str] | None = None, **kwargs: Any) -> str:
        owner = await self.governance.auth.store.find_user(username)
        issued = await self.governance.auth.create_key(
            owner,
            name=kwargs.pop("name", "test"),
            scopes=scopes,
            expires_in_days=kwargs.pop("expires_in_days", None),
            actor=TEST_ACTOR,
        )
        return str(issued.secret)

    def bearer(self, key: str) -> httpx.AsyncClient:
        return self.client(headers={"Authorization": f"Bearer {key}"})

    async def key_client(self, username: str, scopes: list[str] | None = None) -> httpx.AsyncClient:
        return self.bearer(await self.key(username, scopes))

    async def aclose(self) -> None:
        for client in self._clients:
            await client.aclose()


GovernedFactory = Callable[..., Awaitable[Governed]]


@pytest.fixture
async def governed(
    make_settings: Callable[..., Any], start_server: Callable[..., Any]
) -> AsyncIterator[GovernedFactory]:
    """``await governed(auth={...}, usage={...}, **settings)``: a server in users mode."""
    made: list[Governed] = []

    async def start(**overrides: Any) -> Governed:
        auth = {
            "mode": "users",
            "password_hash": FAST_HASH,
            "login_attempts_per_minute": 1000,
            **overrides.pop("auth", {}),
        }
        live = await start_server(make_settings(auth=auth, **overrides))
        server = Governed(live)
        made.append(server)
        return server

    yield start
    for server in made:
        await server.aclose()


@dataclass(frozen=True)
class CliResult:
    returncode: int
    stdout: str
    stderr: str


def run_cli(*args: str, stdin: str | None = None) -> CliResult:
    """``council ARGS`` in this process (a fresh process costs a second of imports): the real
    entry point with its exit codes and messages. Settings come from the environment, so
    tests set ``COUNCIL_DATABASE_URL`` (and chdir away from any council.toml) first. Call it
    through ``asyncio.to_thread`` from async tests: the commands run their own event loop."""
    from llmcouncil.cli import main

    out, err = io.StringIO(), io.StringIO()
    argv, real_stdin = sys.argv, sys.stdin
    sys.argv = ["council", *args]
    sys.stdin = io.StringIO(stdin or "")
    code = 0
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            main()
    except SystemExit as exc:
        code = int(exc.code or 0)
    finally:
        sys.argv, sys.stdin = argv, real_stdin
    return CliResult(code, out.getvalue(), err.getvalue())


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Any, sqlite_url: str) -> str:
    """The command line on the test server's database, with the tests' fast hashing."""
    for name in ("COUNCIL_CONFIG", "COUNCIL_AUTH__MODE", "COUNCIL_AUDIT__KEY_ENV"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COUNCIL_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("COUNCIL_AUTH__PASSWORD_HASH__MEMORY_COST", str(FAST_HASH.memory_cost))
    monkeypatch.setenv("COUNCIL_AUTH__PASSWORD_HASH__TIME_COST", "1")
    monkeypatch.setenv("COUNCIL_AUTH__PASSWORD_HASH__PARALLELISM", "1")
    monkeypatch.setenv("COLUMNS", "200")
    return sqlite_url
