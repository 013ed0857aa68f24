"""Upstream failures as the error tree: an HTTP status (or an in-stream ``{"error": …}`` chunk's
code) becomes the ``ProviderError`` subclass the policy layer acts on (401/403 auth, 402 payment,
404 model not found, 429 rate limited with its Retry-After, 408 and 5xx retryable, other 4xx a bad
request); OpenRouter's ``metadata.raw`` is kept in the message, cut to a readable length.
"""

from __future__ import annotations

import time
from email.utils import parsedate_to_datetime
from typing import Any

from llmcouncil.errors import (
    BadRequestError,
    ModelNotFoundError,
    PaymentRequiredError,
    ProviderAuthError,
    ProviderError,
    RateLimitedError,
    UpstreamServerError,
    UpstreamTimeoutError,
)

MAX_ERROR_TEXT = 300


def status_error(
    status: int, message: str, *, model: str, provider: str, retry_after: float | None
) -> ProviderError:
    where = {"model": model, "provider": provider}
    if status in (401, 403):
        return ProviderAuthError(f"HTTP {status}: {message}", status=status, **where)
    if status == 402:
        return PaymentRequiredError(f"HTTP 402: {message}", status=status, **where)
    if status == 404:
        return ModelNotFoundError(f"HTTP 404: {message}", status=status, **where)
    if status == 429:
        return RateLimitedError(
            f"HTTP 429: {message}", retry_after=retry_after, model=model, provider=provider
        )
    if status == 408:
        return UpstreamTimeoutError(f"HTTP 408: {message}", status=status, **where)
    if status >= 500:
        return UpstreamServerError(f"HTTP {status}: {message}", status=status, **where)
    return BadRequestError(f"HTTP {status}: {message}", status=status, **where)


def error_message(error: Any) -> str:
    if isinstance(error, dict):
        message = error.get("message")
        metadata = error.get("metadata")
        if isinstance(metadata, dict) and isinstance(metadata.get("raw"), str):
            return f"{message} ({metadata['raw'][:MAX_ERROR_TEXT]})"
        return str(message) if message else ""
    return str(error) if error else ""


def snippet(body: bytes) -> str:
    return body[:MAX_ERROR_TEXT].decode("utf-8", "replace").strip()


def retry_after_seconds(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
