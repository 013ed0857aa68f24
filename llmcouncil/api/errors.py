"""The one place where the error tree becomes HTTP status codes and JSON bodies.

Every error answer is ``{"detail": {"code", "message"}}``. A client's mistake is never a 500:
request validation (malformed JSON included) is a 422 with every problem listed.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from llmcouncil.errors import (
    AuthenticationError,
    BudgetExceededError,
    ConfigError,
    ConflictError,
    ContentTooLargeError,
    CouncilError,
    CouncilFailedError,
    NotFoundError,
    OverloadedError,
    PermissionDeniedError,
    PiiBlockedError,
    ProviderError,
    StoreError,
    ValidationFailedError,
)

log = logging.getLogger(__name__)

_STATUS: list[tuple[type[CouncilError], int]] = [
    (ContentTooLargeError, 413),
    (ValidationFailedError, 422),
    (NotFoundError, 404),
    (ConflictError, 409),
    (AuthenticationError, 401),
    (PermissionDeniedError, 403),
    (BudgetExceededError, 402),
    (OverloadedError, 429),
    (StoreError, 503),
    (CouncilFailedError, 502),
    (ProviderError, 502),
    (ConfigError, 500),
]


def status_for(error: CouncilError) -> int:
    return next((status for kind, status in _STATUS if isinstance(error, kind)), 500)


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"detail": {"code": code, "message": message, **extra}}


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
    if isinstance(error, AuthenticationError):
        headers["WWW-Authenticate"] = 'Bearer realm="llmcouncil"'
    return JSONResponse(
        error_body(error.code, error.message, **extra),
        status_code=status_for(error),
        headers=headers,
    )


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
            problems.append(f"{where}: {err.get('msg', 'invalid')}")
        return JSONResponse(
            error_body(
                "validation_failed", "; ".join(problems) or "invalid request", problems=problems
            ),
            status_code=422,
        )

    async def on_http(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        return JSONResponse(
            error_body(code, detail),
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    app.add_exception_handler(CouncilError, on_council_error)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
