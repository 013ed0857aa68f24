"""Signing in and out with a session cookie: cookie flags, CSRF, expiry, logout, throttling."""

from __future__ import annotations

from datetime import timedelta

from gov_support import PASSWORD, GovernedFactory
from sqlalchemy import update

from llmcouncil.auth.tables import SessionRow
from llmcouncil.store.tables import utcnow


async def test_login_sets_a_safe_cookie_and_me_answers(governed: GovernedFactory) -> None:
    server = await governed()
    await server.user("mia")
    client = server.client()
    response = await client.post("/api/auth/login", json={"username": "Mia", "password": PASSWORD})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["user"]["username"] == "mia" and body["user"]["role"] == "member"
    assert PASSWORD not in response.text and "argon2" not in response.text
    cookies = response.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith("council_session="))
    assert "HttpOnly" in session and "SameSite=lax" in session and "Path=/" in session
    assert "Secure" not in session  # plain HTTP on loopback; auth.cookie_secure = "auto"
    csrf = next(c for c in cookies if c.startswith("council_csrf="))
    assert "HttpOnly" not in csrf and body["csrf_token"] in csrf
    me = (await client.get("/api/auth/me")).json()
    assert me["user"]["username"] == "mia" and me["kind"] == "session"
    assert me["csrf_token"] == body["csrf_token"] and "conversations" in me["scopes"]


async def test_secure_cookie_when_configured(governed: GovernedFactory) -> None:
    server = await governed(auth={"cookie_secure": "always"})
    await server.user("mia")
    response = await server.client().post(
        "/api/auth/login", json={"username": "mia", "password": PASSWORD}
    )
    assert all("Secure" in c for c in response.headers.get_list("set-cookie"))


async def test_wrong_password_unknown_user_and_inactive_look_the_same(
    governed: GovernedFactory,
) -> None:
    server = await governed()
    await server.user("root", role="admin")
    await server.user("mia")
    await server.user("old", active=False)
    admin = await server.session("root")
    client = server.client()
    answers = [
        await client.post("/api/auth/login", json={"username": name, "password": password})
        for name, password in (("mia", "wrong password!"), ("nobody", PASSWORD), ("old", PASSWORD))
    ]
    assert {a.status_code for a in answers} == {401}
    assert len({a.json()["detail"]["message"] for a in answers}) == 1
    assert not any("set-cookie" in a.headers for a in answers)
    logins = (await admin.get("/api/audit?action=auth.login&outcome=failure")).json()
    assert sorted(r["actor_name"] for r in logins["records"]) == ["mia", "nobody", "old"]
    assert all(PASSWORD not in str(r) for r in logins["records"])


async def test_csrf_token_is_required_for_cookie_writes(governed: GovernedFactory) -> None:
    server = await governed()
    await server.user("mia")
    client = await server.session("mia")
    token = client.headers.pop("X-CSRF-Token")
    refused = await client.post("/api/conversations", json={})
    assert refused.status_code == 403 and "X-CSRF-Token" in refused.json()["detail"]["message"]
    wrong = await client.post("/api/conversations", json={}, headers={"X-CSRF-Token": "nope"})
    assert wrong.status_code == 403
    assert (await client.get("/api/conversations")).status_code == 200  # reads need none
    made = await client.post("/api/conversations", json={}, headers={"X-CSRF-Token": token})
    assert made.status_code == 200
    # A program with an API key sends no cookie and needs no token.
    program = await server.key_client("mia")
    assert (await program.post("/api/conversations", json={})).status_code == 200


async def test_logout_ends_the_session_at_once(governed: GovernedFactory) -> None:
    server = await governed()
    await server.user("mia")
    client = await server.session("mia")
    stolen = dict(client.cookies)
    assert (await client.post("/api/auth/logout")).status_code == 204
    assert (await client.get("/api/auth/me")).status_code == 401
    replay = server.client(cookies=stolen)
    answer = await replay.get("/api/conversations")
    assert answer.status_code == 401 and "sign in again" in answer.json()["detail"]["message"]


async def test_session_expiry(governed: GovernedFactory) -> None:
    server = await governed(auth={"session_ttl": 3600})
    await server.user("mia")
    client = await server.session("mia")
    assert (await client.get("/api/auth/me")).status_code == 200
    # An hour later (moved in the database, not waited for):
    async with server.runtime.engine.begin() as conn:
        await conn.execute(update(SessionRow).values(expires_at=utcnow() - timedelta(seconds=1)))
    expired = await client.get("/api/auth/me")
    assert expired.status_code == 401
    assert "expired" in expired.json()["detail"]["message"]


async def test_password_change_ends_other_sessions(governed: GovernedFactory) -> None:
    server = await governed()
    await server.user("mia")
    laptop = await server.session("mia")
    phone = await server.session("mia")
    new = "a much better passphrase"
    short = await laptop.post(
        "/api/auth/password", json={"current_password": PASSWORD, "new_password": "short"}
    )
    assert short.status_code == 422
    wrong = await laptop.post(
        "/api/auth/password", json={"current_password": "not it at all", "new_password": new}
    )
    assert wrong.status_code == 401
    changed = await laptop.post(
        "/api/auth/password", json={"current_password": PASSWORD, "new_password": new}
    )
    assert changed.status_code == 204
    assert (await laptop.get("/api/auth/me")).status_code == 200
    assert (await phone.get("/api/auth/me")).status_code == 401
    assert (await server.session("mia", password=new)).headers["X-CSRF-Token"]


async def test_deactivation_stops_sessions_and_keys_at_once(governed: GovernedFactory) -> None:
    server = await governed()
    admin_user = await server.user("root", role="admin")
    await server.user("mia")
    session = await server.session("mia")
    program = await server.key_client("mia")
    admin = await server.session("root")
    mia = await server.governance.auth.store.find_user("mia")
    off = await admin.patch(f"/api/users/{mia.id}", json={"active": False})
    assert off.status_code == 200 and off.json()["active"] is False
    assert (await session.get("/api/conversations")).status_code == 401
    assert (await program.get("/api/conversations")).status_code == 401
    # The last administrator cannot lock everyone out.
    last = await admin.patch(f"/api/users/{admin_user.id}", json={"role": "member"})
    assert last.status_code == 409


async def test_login_attempts_are_throttled(governed: GovernedFactory) -> None:
    server = await governed(auth={"login_attempts_per_minute": 3})
    await server.user("mia")
    client = server.client()
    statuses = []
    for _ in range(5):
        response = await client.post(
            "/api/auth/login", json={"username": "mia", "password": "guess guess guess"}
        )
        statuses.append(response.status_code)
    assert statuses == [401, 401, 401, 429, 429]
    assert int(response.headers["Retry-After"]) >= 1


async def test_login_refuses_form_bodies(governed: GovernedFactory) -> None:
    """A cross-site form can post urlencoded or text bodies, never JSON without CORS."""
    server = await governed()
    await server.user("mia")
    form = await server.client().post(
        "/api/auth/login", data={"username": "mia", "password": PASSWORD}
    )
    assert form.status_code == 422 and "set-cookie" not in form.headers
