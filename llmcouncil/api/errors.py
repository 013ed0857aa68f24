"""The one place where the error tree becomes HTTP status codes and JSON bodies.

Every error answer is ``{"detail": {"code", "message"}}``. A client's mistake is never a 500:
request validation is a 422 with every problem listed (``problems``), malformed JSON a 400.
Values no database can store are refused before any route runs (``api/inputs.py``); should one
get past that anyway, the database driver's refusal (a NUL byte, an unpaired surrogate, a number
out of range: ``database_input_problem``) is still a 400, never a 500.
"""

from __future__ import annotations

import logging
import math
from types import TracebackType
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from sqlalchemy.exc import StatementError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from llmcouncil.errors import (
    AuthenticationError,
    BudgetExceededError,
    ConfigError,
    ConflictError,
    ContentTooLargeError,
    CouncilError,
    CouncilFailedError,
    HandedOverError,
    NotFoundError,
    OverloadedError,
    PermissionDeniedError,
    PiiBlockedError,
    ProviderError,
    StoreError,
    UnsupportedMediaTypeError,
    ValidationFailedError,
    VaultContendedError,
)

log = logging.getLogger(__name__)

_STATUS: list[tuple[type[CouncilError], int]] = [
    (ContentTooLargeError, 413),
    (UnsupportedMediaTypeError, 415),
    (ValidationFailedError, 422),
    (NotFoundError, 404),
    (ConflictError, 409),
    (AuthenticationError, 401),
    (PermissionDeniedError, 403),
    (BudgetExceededError, 402),
    (OverloadedError, 429),
    (HandedOverError, 503),
    (StoreError, 503),
    (CouncilFailedError, 502),
    (ProviderError, 502),
    (ConfigError, 500),
]


def status_for(error: CouncilError) -> int:
    return next((status for kind, status in _STATUS if isinstance(error, kind)), 500)


def printable(text: str) -> str:
    """``text`` as UTF-8 can carry it: a lone surrogate (echoed from a request) as ``\\udfff``."""
    if text.isascii():
        return text
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"detail": {"code": code, "message": printable(message), **extra}}


# Where a value the database refused was raised: the driver or SQLAlchemy, never our own code.
_DATABASE_MODULES = ("sqlalchemy.", "asyncpg.", "aiosqlite.", "sqlite3", "llmcouncil.store.")


def _raised_in_database(traceback: TracebackType | None) -> bool:
    while traceback is not None:
        module = str(traceback.tb_frame.f_globals.get("__name__", ""))
        if module.startswith(_DATABASE_MODULES):
            return True
        traceback = traceback.tb_next
    return False


def database_input_problem(exc: BaseException) -> str | None:
    """What in the request the database refused to store, or None for any other failure.

    PostgreSQL reports bad data with SQLSTATE class 22 (a NUL byte is 22021, a number out of
    range 22003); encoding a lone surrogate fails with UnicodeEncodeError in either driver;
    SQLite's driver refuses an integer beyond 64 bits with OverflowError."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        state = str(getattr(current, "sqlstate", None) or getattr(current, "pgcode", None) or "")
        if state.startswith("22") or type(current).__name__ == "DataError":
            return "a value the database cannot store (a NUL character or a number out of range)"
        if isinstance(current, UnicodeEncodeError) and _raised_in_database(current.__traceback__):
            return "text that is not valid Unicode (an unpaired UTF-16 surrogate)"
        if isinstance(current, OverflowError) and _raised_in_database(current.__traceback__):
            return "a number too large for the database"
        current = getattr(current, "orig", None) or current.__cause__ or current.__context__
    return None


def council_error_response(error: CouncilError) -> JSONResponse:
    extra: dict[str, Any] = {}
    headers: dict[str, str] = {}
    if isinstance(error, CouncilFailedError):
        extra["failures"] = [f.as_dict() for f in error.failures]
    if isinstance(error, PiiBlockedError):
        extra["entities"] = error.entities
    if isinstance(error, ProviderError):
        extra.update(model=error.model, provider=error.provider, kind=error.kind)
    if isinstance(error, OverloadedError):
        headers["Retry-After"] = str(max(1, math.ceil(error.retry_after)))
    if isinstance(error, HandedOverError):
        extra["run_id"] = error.run_id
        headers["Retry-After"] = "1"
    if isinstance(error, VaultContendedError):  # nothing was stored: sending it again is safe
        headers["Retry-After"] = "1"
    if isinstance(error, AuthenticationError):
        headers["WWW-Authenticate"] = 'Bearer realm="llmcouncil"'
    return JSONResponse(
        error_body(error.code, error.message, **extra),
        status_code=status_for(error),
        headers=headers,
    )


def allowed_methods(request: Request) -> list[str]:
    """Every method some route takes at this path. Starlette's own ``Allow`` names only the
    first route that matched the path, and ``/mcp`` is three routes (one per method)."""
    scope = {**request.scope, "method": ""}
    methods: set[str] = set()
    for route in iter_route_contexts(request.app.routes):
        match, _ = route.matches(scope)
        if match is not Match.NONE:
            methods.update(getattr(route, "methods", None) or ())
    return sorted(methods)


def install_error_handlers(app: FastAPI) -> None:
    async def on_council_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, CouncilError)
        if status_for(exc) >= 500:
            log.error("request failed: %s", exc)
        return council_error_response(exc)

    async def on_validation(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        problems = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body"
            problems.append(printable(f"{where}: {err.get('msg', 'invalid')}"))
        return JSONResponse(
            error_body(
                "validation_failed", "; ".join(problems) or "invalid request", problems=problems
            ),
            status_code=422,
        )

    async def on_database_input(_request: Request, exc: Exception) -> JSONResponse:
        problem = database_input_problem(exc)
        if problem is None:
            raise exc  # not the client's data: the last-resort 500 handler answers
        log.warning("the database refused a request's data: %s", type(exc).__name__)
        return JSONResponse(error_body("invalid_input", f"the request holds {problem}"), 400)

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(allowed_methods(request))
        return JSONResponse(error_body(code, detail), status_code=exc.status_code, headers=headers)

    app.add_exception_handler(CouncilError, on_council_error)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    for kind in (StatementError, UnicodeEncodeError, OverflowError):
        app.add_exception_handler(kind, on_database_input)
