"""The input guard's coverage, and the last resort behind it: a driver's refusal is a 400.

Every route takes ``refuse_unstorable`` first, so a route added later is guarded by being
mounted. Should a value get past it anyway, ``database_input_problem`` recognises the real
drivers' refusals (and nothing else) so the error handler answers 400 instead of 500.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from fastapi.routing import iter_route_contexts
from gov_support import Governed
from sqlalchemy import text

from llmcouncil.api.app import create_app
from llmcouncil.api.errors import database_input_problem
from llmcouncil.api.inputs import find_unstorable, refuse_unstorable
from llmcouncil.config import Settings

GovernedOnDatabase = Callable[..., Awaitable[Governed]]
# Starlette routes that take no input, and the built web UI's files (read from disk).
DOCS = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc", "/assets/{path}"}


def test_every_route_checks_its_input_before_anything_else(tmp_path: Any) -> None:
    app = create_app(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'c.db'}"))
    unguarded, checked = [], 0
    for route in iter_route_contexts(app.routes):
        try:
            dependencies = route.dependant.dependencies
        except AttributeError:  # Starlette's own routes: the docs, which take no input
            assert route.path_format in DOCS, route.path_format
            continue
        checked += 1
        if not dependencies or dependencies[0].call is not refuse_unstorable:
            unguarded.append(f"{sorted(route.methods or ())} {route.path_format}")
    assert checked > 30
    assert not unguarded


@pytest.mark.parametrize(
    ("value", "where"),
    [
        ({"a": [{"b": "x\x00"}]}, ("a", 0, "b")),
        ({"a": "ok", "b": ["\udfff"]}, ("b", 0)),
        ({"n": 2**63}, ("n",)),
        ({"n": -(2**63) - 1}, ("n",)),
        ({"x": float("inf")}, ("x",)),
        ({"x": float("nan")}, ("x",)),
        ({"k\x00": 1}, ()),
    ],
)
def test_the_first_unstorable_value_is_found_with_its_location(
    value: Any, where: tuple[Any, ...]
) -> None:
    found = find_unstorable(value)
    assert found is not None and found[0] == where


def test_storable_values_pass() -> None:
    value = {"t": "é ✓ 😀 \t\n", "n": [2**63 - 1, -(2**63), 1.5e308, True, None], "d": {}}
    assert find_unstorable(value) is None


async def test_the_drivers_refusals_are_the_clients_and_other_failures_are_not(
    governed_on_database: GovernedOnDatabase,
) -> None:
    server = await governed_on_database()
    engine = server.runtime.store.engine
    postgres = engine.dialect.name == "postgresql"
    refused: list[Any] = ["x \udfff y", 10**24]
    if postgres:
        refused.append("a\x00b")  # SQLite stores a NUL as it is
    for value in refused:
        with pytest.raises(Exception) as caught:
            async with engine.connect() as connection:
                await connection.execute(text("SELECT :v"), {"v": value})
        assert database_input_problem(caught.value) is not None, repr(caught.value)
    with pytest.raises(Exception) as other:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT * FROM no_such_table"))
    assert database_input_problem(other.value) is None


async def test_a_forms_fields_are_checked_like_a_json_body(
    governed_on_database: GovernedOnDatabase,
) -> None:
    """A file upload's text fields reach the database too: refused with 422 naming the field,
    on both databases, before anything is stored."""
    server = await governed_on_database()
    await server.user("ada", role="admin")
    ada = await server.session("ada")
    dataset = {"file": ("d.jsonl", b'{"question": "What is 2+2?", "reference": "4"}')}
    form = {"name": "a\x00b", "strategies": "chairman"}
    refused = await ada.post("/api/evaluations", files=dataset, data=form)
    assert refused.status_code == 422, refused.text
    assert refused.json()["detail"]["problems"] == [
        "name: must not contain a NUL character (\\u0000)"
    ]
    assert (await ada.get("/api/evaluations")).json()["evaluations"] == []
