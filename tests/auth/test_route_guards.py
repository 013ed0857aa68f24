"""Every route is guarded: a test walks the OpenAPI route list, so a new route without a guard
fails here. Without credentials: 401. With a role or key scope that lacks the route's scope: 403.
With another user's conversation, run or key: 404, never its content."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from fastapi.routing import iter_route_contexts
from gov_support import Governed, GovernedFactory

from llmcouncil.api.guards import Require
from llmcouncil.auth.policy import ROLE_SCOPES, Scope

GUARDED_PREFIXES = ("/api/", "/v1/", "/mcp")
PUBLIC = {
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/api/status"),
    ("GET", "/api/auth/config"),
    ("POST", "/api/auth/login"),
    ("POST", "/api/auth/setup"),
    ("GET", "/api/auth/oidc/login"),
    ("GET", "/api/auth/oidc/callback"),
}
# Path parameters that name something one user owns, and those that do not (admin-only
# routes, or names of public things such as models).
OWNED = {
    "conversation_id",
    "run_id",
    "key_id",
    "document_id",
    "preset_id",
    "evaluation_id",
    "batch_id",
}
# A section's position means nothing without its document, which is owned.
NOT_OWNED = {"user_id", "budget_id", "model", "position"}
PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")


def operations(schema: dict[str, Any]) -> list[tuple[str, str]]:
    found = []
    for path, methods in schema["paths"].items():
        for method in methods:
            if method.upper() in {"GET", "POST", "PUT", "PATCH", "DELETE"}:
                found.append((method.upper(), path))
    return sorted(found)


def guarded(method: str, path: str) -> bool:
    return path.startswith(GUARDED_PREFIXES) and (method, path) not in PUBLIC


def requirements(route: Any) -> list[Require]:
    found: list[Require] = []
    stack = list(route.dependant.dependencies)
    while stack:
        dependant = stack.pop()
        if isinstance(dependant.call, Require):
            found.append(dependant.call)
        stack.extend(dependant.dependencies)
    return found


def route_for(app: Any, method: str, path: str) -> Any:
    """The route as mounted: its dependencies include those of the routers around it."""
    for route in iter_route_contexts(app.routes):
        if route.path_format == path and method in (route.methods or ()):
            return route
    raise AssertionError(f"{method} {path} is in the schema but not among the routes")


def fill(path: str, ids: dict[str, str]) -> str:
    return PARAM.sub(lambda m: ids.get(m.group(1), "00000000-0000-0000-0000-000000000000"), path)


def error_code(response: httpx.Response) -> str:
    """``detail.code`` on /api; /v1 answers in the OpenAI error shape (``error.code``)."""
    body = response.json()
    return str((body.get("detail") or body.get("error") or {}).get("code"))


async def call(client: httpx.AsyncClient, method: str, path: str) -> httpx.Response:
    body = {"content": "x", "title": "x"} if method in {"POST", "PUT", "PATCH"} else None
    return await client.request(method, path, json=body)


@pytest.fixture
async def council(governed: GovernedFactory) -> Governed:
    server = await governed()
    await server.user("ada", role="admin")
    await server.user("mia", role="member")
    await server.user("bob", role="member")
    await server.user("aud", role="auditor")
    return server


async def test_every_route_needs_credentials(council: Governed) -> None:
    anonymous = council.client()
    schema = (await anonymous.get("/openapi.json")).json()
    checked = 0
    for method, path in operations(schema):
        if not guarded(method, path):
            continue
        response = await call(anonymous, method, fill(path, {}))
        assert response.status_code == 401, f"{method} {path} answered {response.status_code}"
        assert "Bearer" in response.headers.get("www-authenticate", ""), (method, path)
        checked += 1
        wrong = council.client(headers={"Authorization": "Bearer lc_notakey_x"})
        assert (await call(wrong, method, fill(path, {}))).status_code == 401, (method, path)
    assert checked >= 30  # conversations, auth, users, keys, usage, budgets, audit, v1, mcp


async def test_every_guarded_route_declares_its_scopes(council: Governed) -> None:
    schema = (await council.client().get("/openapi.json")).json()
    for method, path in operations(schema):
        if guarded(method, path):
            assert requirements(route_for(council.live.app, method, path)), (
                f"{method} {path} has no Require(...) guard"
            )


async def test_wrong_role_or_key_scope_is_403(council: Governed) -> None:
    callers = {
        "member": (await council.session("mia"), ROLE_SCOPES["member"]),
        "auditor": (await council.session("aud"), ROLE_SCOPES["auditor"]),
        "usage-only key": (await council.key_client("mia", ["usage"]), {Scope.USAGE}),
    }
    schema = (await council.client().get("/openapi.json")).json()
    refused = 0
    for method, path in operations(schema):
        if not guarded(method, path):
            continue
        needs = requirements(route_for(council.live.app, method, path))
        for name, (client, scopes) in callers.items():
            if all(r.scopes <= scopes for r in needs):
                continue
            response = await call(client, method, fill(path, {}))
            assert response.status_code == 403, (
                f"{name}: {method} {path} answered {response.status_code}"
            )
            assert error_code(response) == "forbidden", response.text
            refused += 1
    assert refused >= 20


async def test_another_users_objects_are_404(council: Governed) -> None:
    owner = await council.session("mia")
    cid = (await owner.post("/api/conversations", json={})).json()["id"]
    ran = await owner.post(f"/api/conversations/{cid}/message", json={"content": "secret plan"})
    assert ran.status_code == 200, ran.text
    key = (await owner.post("/api/keys", json={"name": "ci"})).json()
    book = b"# Plans\n\n## One\n\nThe first part.\n\n## Two\n\nThe second part.\n"
    document = await owner.post(
        f"/api/conversations/{cid}/documents", files={"file": ("plans.md", book, "text/markdown")}
    )
    assert document.status_code in (200, 201), document.text
    models = (await owner.get("/api/models")).json()
    member = models["presets"][0]["chairman"] if models.get("presets") else None
    preset = await owner.post(
        "/api/presets", json={"name": "mine", "members": [member], "chairman": member}
    )
    assert preset.status_code in (200, 201), preset.text
    batch = await owner.post("/api/batches", json={"questions": ["secret plan?"]})
    assert batch.status_code == 202, batch.text
    ids = {
        "batch_id": batch.json()["id"],
        "conversation_id": cid,
        "run_id": ran.json()["run_id"],
        "key_id": key["id"],
        "document_id": document.json()["id"],
        "preset_id": preset.json()["id"],
        "position": "1",
    }

    intruder = await council.session("bob")
    schema = (await council.client().get("/openapi.json")).json()
    probed = 0
    for method, path in operations(schema):
        params = set(PARAM.findall(path))
        unknown = params - OWNED - NOT_OWNED
        assert not unknown, f"{method} {path}: teach this test about {unknown}"
        if not guarded(method, path) or not params & OWNED:
            continue
        response = await call(intruder, method, fill(path, ids))
        assert response.status_code == 404, f"{method} {path} answered {response.status_code}"
        assert "secret plan" not in response.text
        probed += 1
    assert probed >= 9
    # Nothing the intruder did changed the owner's objects.
    detail = (await owner.get(f"/api/conversations/{cid}")).json()
    assert detail["title"] != "x" and len(detail["messages"]) == 2
    assert (await owner.get("/api/keys")).json()[0]["active"] is True
