"""What a request may carry: text and numbers that every supported database can store.

PostgreSQL text cannot hold a NUL character; no UTF-8 encoder takes a lone UTF-16 surrogate
(JSON's ``"\\udfff"`` decodes to one in Python); SQLite and PostgreSQL integers end at 64 bits
(most of our columns at 32); and JSON as Python reads it admits ``NaN``, ``Infinity`` and
``1e400``. Left alone, each of these reaches the database driver and comes back as a 500.

``refuse_unstorable`` is one dependency on the whole app: it runs before every other dependency
of every route (the auth guard included) and walks the path parameters, the query, the headers
and the JSON body FastAPI has already parsed (``Request.json`` caches it, so nothing is decoded
twice). The first bad value is a 422 naming where it is (``messages.0.content``,
``query.q``, ``path.conversation_id``, ``header.idempotency-key``); under ``/v1`` it becomes the
OpenAI-format 400. Routes need no per-field annotations, and a new route is covered by being
mounted. Bounds tighter than 64 bits (a 32-bit column) are declared on the field itself, where
the OpenAPI schema shows them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

from llmcouncil.storable import text_problem

INT32_MAX = 2**31 - 1  # an Integer column on PostgreSQL
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
UNSTORABLE = "unstorable_value"  # the validation error type: the handler names its field

# Header values arrive decoded as Latin-1; only these are free text a route may store.
_CHECKED_HEADERS = ("idempotency-key",)
_VISIBLE_ASCII = re.compile(r"[ -~]*")
_MAX_DEPTH = 64  # deeper JSON than any request needs; refused rather than walked


def number_problem(value: int | float) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        if not INT64_MIN <= value <= INT64_MAX:
            return f"must be an integer between {INT64_MIN} and {INT64_MAX}"
        return None
    if not math.isfinite(value):
        return "must be a finite number (no NaN, Infinity or numbers beyond ±1.8e308)"
    return None


def find_unstorable(
    value: Any, location: tuple[str | int, ...] = (), depth: int = 0
) -> tuple[tuple[str | int, ...], str] | None:
    """The location and problem of the first value in decoded JSON no database can store."""
    if isinstance(value, str):
        problem = text_problem(value)
        return (location, problem) if problem else None
    if isinstance(value, int | float):
        problem = number_problem(value)
        return (location, problem) if problem else None
    if depth > _MAX_DEPTH and isinstance(value, dict | list):
        return location, f"is nested more than {_MAX_DEPTH} levels deep"
    if isinstance(value, dict):
        for key, item in value.items():
            problem = text_problem(key)
            if problem:
                return location, f"has a key that {problem}"
            found = find_unstorable(item, (*location, key), depth + 1)
            if found:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = find_unstorable(item, (*location, index), depth + 1)
            if found:
                return found
    return None


def _parameters(request: Request) -> Iterator[tuple[tuple[str | int, ...], str]]:
    for name, value in request.path_params.items():
        yield ("path", name), str(value)
    for name, value in request.query_params.multi_items():
        yield ("query", name), name
        yield ("query", name), value
    for name in _CHECKED_HEADERS:
        for value in request.headers.getlist(name):
            yield ("header", name), value


def _refuse(location: tuple[str | int, ...], problem: str) -> RequestValidationError:
    return RequestValidationError(
        [{"type": UNSTORABLE, "loc": location, "msg": problem, "input": None}]
    )


async def refuse_unstorable(request: Request) -> None:
    """The app-wide dependency: a 422 for the first value no database could store."""
    for location, value in _parameters(request):
        problem = text_problem(value)
        if location[0] == "header" and problem is None and not _VISIBLE_ASCII.fullmatch(value):
            problem = "must be visible ASCII characters"
        if problem:
            raise _refuse(location, problem)
    route = request.scope.get("route")
    if not isinstance(route, APIRoute) or route.body_field is None:
        return  # no body, or one the route reads itself (/mcp)
    if request.headers.get("content-type", "").startswith(("multipart/", "application/x-www")):
        # A form (a file upload): FastAPI parsed it before any dependency, and Starlette keeps
        # the parsed form, so this reads no byte twice. A file's name and content are its
        # reader's to check (documents, datasets); the fields are checked here.
        for name, field in (await request.form()).multi_items():
            if isinstance(field, str):
                problem = text_problem(field)
                if problem:
                    raise _refuse(("body", name), problem)
        return
    if not await request.body():
        return
    try:
        body = await request.json()  # parsed and cached already by FastAPI
    except ValueError:
        return  # not JSON: FastAPI's own validation answers
    found = find_unstorable(body, ("body",))
    if found:
        raise _refuse(*found)
