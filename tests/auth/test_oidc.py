"""Single sign-on against a local OpenID Connect provider (authorization code + PKCE)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from gov_support import Governed, GovernedFactory
from oidc_provider import CLIENT_ID, CLIENT_SECRET, OIDCTestProvider

SECRET_ENV = "COUNCIL_TEST_OIDC_SECRET"


@pytest.fixture
async def provider(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[OIDCTestProvider]:
    monkeypatch.setenv(SECRET_ENV, CLIENT_SECRET)
    server = OIDCTestProvider()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


async def sso_server(
    governed: GovernedFactory, provider: OIDCTestProvider, **oidc: object
) -> Governed:
    settings = {
        "issuer": provider.base_url,
        "client_id": CLIENT_ID,
        "client_secret_env": SECRET_ENV,
        **oidc,
    }
    return await governed(auth={"oidc": settings})


async def sign_in(client: httpx.AsyncClient, next_path: str = "/") -> httpx.Response:
    """Follow the redirects a browser would, up to the council's answer to the callback."""
    start = await client.get("/api/auth/oidc/login", params={"next": next_path})
    assert start.status_code == 302, start.text
    at_provider = await client.get(start.headers["location"])
    assert at_provider.status_code == 302, at_provider.text
    return await client.get(at_provider.headers["location"])


async def test_sign_in_creates_the_account_once(
    governed: GovernedFactory, provider: OIDCTestProvider
) -> None:
    server = await sso_server(governed, provider)
    browser = server.client()
    config = (await browser.get("/api/auth/config")).json()
    assert config["oidc"]["enabled"] is True
    done = await sign_in(browser, "/#/chat")
    assert done.status_code == 302 and done.headers["location"] == "/#/chat", done.text
    assert any(c.startswith("council_session=") for c in done.headers.get_list("set-cookie"))
    me = (await browser.get("/api/auth/me")).json()
    assert me["user"]["username"] == "grace.hopper" and me["user"]["sso"] is True
    assert me["user"]["email"] == "grace@example.com" and me["role"] == "member"
    assert me["user"]["has_password"] is False

    again = server.client()
    assert (await sign_in(again)).status_code == 302
    users = await server.governance.auth.store.list_users()
    assert [u.username for u in users] == ["grace.hopper"]
    logins = [e async for e in server.governance.audit.entries()]
    assert [e.action for e in logins].count("auth.login") == 2
    assert logins[0].action == "user.create" and logins[0].actor.name == "single sign-on"


async def test_state_is_single_use_and_bound_to_the_browser(
    governed: GovernedFactory, provider: OIDCTestProvider
) -> None:
    server = await sso_server(governed, provider)
    victim = server.client()
    attacker = server.client()
    start = await attacker.get("/api/auth/oidc/login")
    callback = (await attacker.get(start.headers["location"])).headers["location"]
    # The attacker's callback link, opened in the victim's browser, signs nobody in.
    planted = await victim.get(callback)
    assert planted.status_code == 401 and "set-cookie" not in planted.headers
    # And once a state was presented, it is gone even for its own browser.
    assert (await attacker.get(callback)).status_code == 401


@pytest.mark.parametrize("tamper", ["nonce", "audience", "signature"])
async def test_a_bad_id_token_is_refused(
    governed: GovernedFactory, provider: OIDCTestProvider, tamper: str
) -> None:
    server = await sso_server(governed, provider)
    provider.tamper = tamper
    answer = await sign_in(server.client())
    assert answer.status_code == 401, answer.text
    assert "single sign-on failed" in answer.json()["detail"]["message"]
    assert await server.governance.auth.store.list_users() == []
    failures = [e async for e in server.governance.audit.entries() if e.outcome == "failure"]
    assert [(e.action, e.details["method"]) for e in failures] == [("auth.login", "oidc")]


async def test_unknown_subjects_need_an_account_when_creation_is_off(
    governed: GovernedFactory, provider: OIDCTestProvider
) -> None:
    server = await sso_server(governed, provider, create_users=False)
    answer = await sign_in(server.client())
    assert answer.status_code == 401 and "no account" in answer.json()["detail"]["message"]


async def test_only_local_redirects_after_sign_in(
    governed: GovernedFactory, provider: OIDCTestProvider
) -> None:
    server = await sso_server(governed, provider)
    answer = await sign_in(server.client(), "https://evil.example/steal")
    assert answer.headers["location"] == "/"
