"""Text and numbers no database can store are refused at the edge, on SQLite and PostgreSQL.

A NUL character (PostgreSQL text cannot hold one), a lone UTF-16 surrogate (JSON's ``"\\udfff"``
decodes to one, and no UTF-8 encoder takes it), an integer beyond 64 bits and a number beyond
a double: each is a 4xx that names the field, on every route, the sign-in route included, and
nothing is stored.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from gov_support import Governed
from sqlalchemy import func, select

from llmcouncil.store.tables import Base

GovernedOnDatabase = Callable[..., Awaitable[Governed]]

NUL = "a\u0000b"
SURROGATE = "x \udfff y"
HUGE = 999999999999999999999999
CID = "{cid}"  # the test's own conversation
UID = "{uid}"  # the test's own user


@dataclass(frozen=True)
class Case:
    """``body`` goes as JSON with every non-ASCII character escaped (so NULs and lone surrogates
    arrive as ``\\u`` escapes), or as ``raw`` JSON text (``1e400``, which no encoder writes)."""

    method: str
    path: str
    field: str
    body: Any = None
    raw: str | None = None
    params: dict[str, str] = field(default_factory=dict)
    headers: dict[str, Any] = field(default_factory=dict)
    raw_path: str | None = None

    def __str__(self) -> str:
        return f"{self.method} {self.path} {self.field}"

    def content(self, ids: dict[str, str]) -> bytes | None:
        if self.raw is not None:
            return self.raw.encode()
        if self.body is None:
            return None
        return json.dumps(self.body).replace(CID, ids["cid"]).encode()


def _chat(content: Any = "hi", **extra: Any) -> dict[str, Any]:
    return {"model": "council", "messages": [{"role": "user", "content": content}], **extra}


def _text_cases(v: str) -> list[Case]:
    budget = {"subject_type": "user", "subject_id": v, "period": "day", "limit_tokens": 5}
    return [
        Case("POST", f"/api/conversations/{CID}/message", "content", {"content": v}),
        Case("POST", f"/api/conversations/{CID}/message/stream", "content", {"content": v}),
        Case("PATCH", f"/api/conversations/{CID}", "title", {"title": v}),
        Case("POST", "/api/conversations", "preset", {"preset": v}),
        Case("POST", "/api/conversations", "members.0", {"members": [v]}),
        Case("POST", "/api/auth/login", "username", {"username": v, "password": "pw"}),
        Case("POST", "/api/auth/login", "password", {"username": "root", "password": v}),
        Case("POST", "/api/auth/setup", "token", {"username": "a", "password": "b", "token": v}),
        Case(
            "POST",
            "/api/auth/password",
            "new_password",
            {"current_password": "x", "new_password": v},
        ),
        Case("POST", "/api/users", "username", {"username": v}),
        Case("PATCH", f"/api/users/{UID}", "display_name", {"display_name": v}),
        Case("PATCH", f"/api/users/{UID}", "allowed_models.0", {"allowed_models": [v]}),
        Case("POST", "/api/keys", "name", {"name": v}),
        Case("PUT", "/api/budgets", "subject_id", budget),
        Case("POST", "/v1/chat/completions", "messages.0.content", _chat(v)),
        Case(
            "POST",
            "/v1/chat/completions",
            "messages.0.content.0.text",
            _chat([{"type": "text", "text": v}]),
        ),
        Case("POST", "/v1/chat/completions", "model", {**_chat(), "model": v}),
        Case("POST", "/v1/chat/completions", "user", _chat(user=v)),  # an ignored parameter
    ]


NUL_QUERY_AND_PATH = [
    Case("GET", "/api/conversations", "q", params={"q": NUL}),
    Case("GET", "/api/audit", "action", params={"action": NUL}),
    Case("GET", "/api/audit/export", "target", params={"target": NUL}),
    Case("GET", "/api/audit/verify", "anchor", params={"anchor": NUL}),
    Case("GET", "/api/usage", "user_id", params={"user_id": NUL}),
    Case("GET", "/api/keys", "user_id", params={"user_id": NUL}),
    Case("GET", "/api/auth/oidc/login", "next", params={"next": "/a\u0000"}),
    Case("GET", "/api/conversations/x", "conversation_id", raw_path="/api/conversations/a%00b"),
    Case(
        "GET",
        "/api/conversations/x/export",
        "conversation_id",
        raw_path="/api/conversations/a%00b/export",
    ),
    Case("DELETE", "/api/conversations/x", "conversation_id", raw_path="/api/conversations/a%00b"),
    Case(
        "POST",
        "/api/conversations/x/runs/y/cancel",
        "run_id",
        raw_path=f"/api/conversations/{CID}/runs/a%00b/cancel",
    ),
    Case("GET", "/api/users/x", "user_id", raw_path="/api/users/a%00b"),
    Case("DELETE", "/api/keys/x", "key_id", raw_path="/api/keys/a%00b"),
    Case("DELETE", "/api/budgets/x", "budget_id", raw_path="/api/budgets/a%00b"),
    Case("GET", "/v1/models/x", "model", raw_path="/v1/models/council%00"),
]

NUMBERS = [
    Case("GET", "/api/audit", "before_seq", params={"before_seq": str(HUGE)}),
    Case("GET", "/api/audit", "before_seq", params={"before_seq": str(2**40)}),  # 32-bit column
    Case(
        "PUT",
        "/api/budgets",
        "limit_tokens",
        {"subject_type": "user", "period": "day", "limit_tokens": HUGE},
    ),
    Case(
        "PUT",
        "/api/budgets",
        "limit_tokens",
        {"subject_type": "user", "period": "day", "limit_tokens": 2**40},
    ),
    Case(
        "PUT",
        "/api/budgets",
        "limit_cost",
        raw='{"subject_type": "user", "period": "day", "limit_cost": 1e400}',
    ),
    Case(
        "PATCH",
        f"/api/users/{UID}",
        "rate_limits.requests_per_minute",
        {"rate_limits": {"requests_per_minute": HUGE}},
    ),
    Case("POST", "/api/keys", "expires_in_days", raw='{"name": "k", "expires_in_days": NaN}'),
    Case("POST", "/v1/chat/completions", "n", _chat(n=HUGE)),
    Case("POST", "/v1/chat/completions", "seed", _chat(seed=-HUGE)),  # an ignored parameter
]

HEADERS = [
    Case(
        "POST",
        f"/api/conversations/{CID}/message",
        "Idempotency-Key",
        {"content": "hi"},
        headers={"Idempotency-Key": b"k\xff\xfe"},
    ),
    Case(
        "POST",
        f"/api/conversations/{CID}/message/stream",
        "Idempotency-Key",
        {"content": "hi"},
        headers={"Idempotency-Key": "\u00e9t\u00e9".encode("latin-1")},
    ),
]

CASES = [
    *_text_cases(NUL),
    *_text_cases(SURROGATE),
    *NUL_QUERY_AND_PATH,
    *NUMBERS,
    *HEADERS,
]


async def _counts(server: Governed) -> dict[str, int]:
    engine = server.runtime.store.engine
    counts = {}
    async with engine.connect() as connection:
        for name, table in Base.metadata.tables.items():
            counts[name] = (
                await connection.execute(select(func.count()).select_from(table))
            ).scalar()
    return counts


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text
    detail = body.get("detail") or body.get("error") or {}
    return " ".join(
        str(v) for v in (detail.get("message"), detail.get("problems"), detail.get("council"))
    )


@pytest.fixture
async def setup(
    governed_on_database: GovernedOnDatabase,
) -> tuple[Governed, httpx.AsyncClient, dict[str, str]]:
    server = await governed_on_database()
    user = await server.user("root", role="admin")
    client = await server.session("root")
    created = await client.post("/api/conversations", json={})
    assert created.status_code == 200, created.text
    return server, client, {"cid": created.json()["id"], "uid": user.id}


async def test_unstorable_input_is_a_4xx_naming_the_field_and_nothing_is_stored(
    setup: tuple[Governed, httpx.AsyncClient, dict[str, str]],
) -> None:
    server, client, ids = setup
    failures = []
    for case in CASES:
        before = await _counts(server)
        path = (case.raw_path or case.path).replace(CID, ids["cid"]).replace(UID, ids["uid"])
        body = case.content(ids)
        headers = {"Content-Type": "application/json", **case.headers} if body else case.headers
        url = client.base_url.join(path)
        if case.raw_path:
            url = url.copy_with(raw_path=path.encode())
        request = client.build_request(
            case.method, url, params=case.params or None, headers=headers, content=body
        )
        response = await client.send(request)
        after = await _counts(server)
        if not (400 <= response.status_code < 500):
            failures.append(f"{case}: {response.status_code} {response.text[:200]}")
        elif case.field.lower() not in _message(response).lower():
            failures.append(
                f"{case}: {response.status_code} does not name it: {response.text[:300]}"
            )
        if after != before:
            changed = {k: (before[k], after[k]) for k in before if before[k] != after[k]}
            failures.append(f"{case}: stored {changed}")
    assert not failures, "\n".join(failures)


async def test_mcp_refuses_unstorable_text_as_a_tool_error_naming_it(
    setup: tuple[Governed, httpx.AsyncClient, dict[str, str]],
) -> None:
    server, client, _ids = setup
    headers = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
    for bad, expected in ((NUL, "question must not contain a NUL"), (SURROGATE, "surrogate")):
        before = await _counts(server)
        call = {"name": "consult_council", "arguments": {"question": bad}}
        body = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": call}
        response = await client.post("/mcp", content=json.dumps(body), headers=headers)
        assert response.status_code in (200, 400), response.text
        assert expected in response.text, response.text
        assert await _counts(server) == before
