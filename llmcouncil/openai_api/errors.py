"""Errors under ``/v1`` in the OpenAI format: ``{"error": {"message", "type", "param", "code"}}``.

The rest of the API answers ``{"detail": {"code", "message"}}`` from one set of exception
handlers (``api/errors.py``), and whatever raised the error (request validation, the run service,
the auth guard) should not have to know which format the caller speaks. So ``OpenAIErrorShape``
rewrites error answers under ``/v1/`` on their way out: same status (a validation 422 becomes
the 400 OpenAI clients expect), same headers (``Retry-After``, ``WWW-Authenticate``), OpenAI body.
A council that failed upstream also says ``x-should-retry: false``: its models were already
retried, so an SDK's automatic retry would only run the whole council again.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PREFIX = "/v1/"

_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "insufficient_quota",
    403: "permission_error",
    404: "invalid_request_error",
    409: "invalid_request_error",
    413: "invalid_request_error",
    422: "invalid_request_error",
    429: "rate_limit_error",
}
_NO_RETRY_CODES = frozenset({"council_failed"})


def error_type(status: int) -> str:
    return _TYPES.get(status, "server_error" if status >= 500 else "invalid_request_error")


def openai_error(
    status: int, message: str, *, code: str | None = None, param: str | None = None
) -> dict[str, Any]:
    return {"error": {"message": message, "type": error_type(status), "param": param, "code": code}}


def reshape(status: int, body: Any) -> tuple[int, dict[str, Any]]:
    """An error body of ours (or any JSON) as the OpenAI error body, and the status to send."""
    detail = body.get("detail") if isinstance(body, dict) else None
    if isinstance(detail, dict):
        message, code = str(detail.get("message", "")), detail.get("code")
        extra = {k: v for k, v in detail.items() if k not in ("message", "code")}
    else:
        message, code, extra = str(detail if detail is not None else body), None, {}
    status = 400 if status == 422 else status
    shaped = openai_error(status, message or "request failed", code=code)
    if extra:
        shaped["error"]["council"] = extra  # failures per model, problems, …
    return status, shaped


class OpenAIErrorShape:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope.get("path", "")).startswith(PREFIX):
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        chunks: list[bytes] = []

        async def shaping_send(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                if int(message["status"]) >= 400 and _is_json(message):
                    start = message  # hold it until the body is complete
                    return
            elif message["type"] == "http.response.body" and start is not None:
                chunks.append(message.get("body", b""))
                if message.get("more_body", False):
                    return
                await _send_shaped(send, start, b"".join(chunks))
                return
            await send(message)

        await self.app(scope, receive, shaping_send)


def _is_json(message: Message) -> bool:
    for name, value in message.get("headers", []):
        if name.lower() == b"content-type":
            return bytes(value).startswith(b"application/json")
    return False


async def _send_shaped(send: Send, start: Message, raw: bytes) -> None:
    try:
        body = json.loads(raw) if raw else {}
    except ValueError:
        body = raw.decode("utf-8", "replace")
    status, shaped = reshape(int(start["status"]), body)
    payload = json.dumps(shaped, ensure_ascii=False).encode()
    headers = [(k, v) for k, v in start.get("headers", []) if k.lower() not in (b"content-length",)]
    headers.append((b"content-length", str(len(payload)).encode()))
    if shaped["error"].get("code") in _NO_RETRY_CODES:
        headers.append((b"x-should-retry", b"false"))
    await send({**start, "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload, "more_body": False})


async def unhandled_error(request: Request, exc: Exception) -> Response:
    """The last resort for a bug: an OpenAI-shaped 500 under /v1, the usual plain one elsewhere."""
    del exc  # logged by the server; never echoed to the client
    if request.url.path.startswith(PREFIX):
        return JSONResponse(openai_error(500, "internal server error", code="internal_error"), 500)
    return PlainTextResponse("Internal Server Error", status_code=500)
