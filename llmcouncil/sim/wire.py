"""The OpenAI chat-completions wire format, as far as the simulator speaks it.

Requests are validated with pydantic (a bad body is a 400 like the real API gives); responses are
built as plain dicts because they are serialised straight away and never read back.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import zlib
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from llmcouncil.sim.catalogue import model_entry

SIMULATED_HEADER = "X-Council-Simulated"
_DATA_URL = re.compile(r"^data:([\w.+-]+/[\w.+-]+);base64,", re.I)
DONE_EVENT = b"data: [DONE]\n\n"

# USD per token (prompt and completion alike, to keep the arithmetic obvious in tests).
_PRICE_PER_TOKEN: dict[str, float] = {
    "openai/gpt-5.1": 5e-6,
    "google/gemini-3-pro-preview": 6e-6,
    "anthropic/claude-sonnet-4.5": 9e-6,
    "x-ai/grok-4": 8e-6,
    "google/gemini-2.5-flash": 1e-6,
}

_ERROR_KINDS: dict[int, tuple[str, str]] = {
    400: ("invalid_request_error", "invalid_request"),
    401: ("authentication_error", "invalid_api_key"),
    402: ("insufficient_quota", "insufficient_credits"),
    403: ("permission_error", "forbidden"),
    404: ("not_found_error", "model_not_found"),
    408: ("timeout_error", "request_timeout"),
    429: ("rate_limit_error", "rate_limit_exceeded"),
    500: ("server_error", "internal_error"),
    502: ("server_error", "bad_gateway"),
    503: ("server_error", "service_unavailable"),
    504: ("server_error", "gateway_timeout"),
}


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: str
    content: str | list[dict[str, Any]] | None = None

    def text(self) -> str:
        """The message's text; content parts other than text (images, audio) are skipped."""
        if isinstance(self.content, str):
            return self.content
        if self.content is None:
            return ""
        return "\n".join(str(part.get("text", "")) for part in self.content)


class ReceivedImage(BaseModel):
    """An ``image_url`` part as the upstream received it: which message, what kind, how many
    bytes, their SHA-256 (a test compares it with the file it sent), or why it is unreadable."""

    message: int  # index in ``messages``
    media_type: str | None
    bytes: int
    sha256: str | None
    error: str | None = None


def _received_image(message: int, part: dict[str, Any]) -> ReceivedImage:
    image_url = part.get("image_url")
    url = image_url.get("url") if isinstance(image_url, dict) else image_url
    if not isinstance(url, str):
        return ReceivedImage(message=message, media_type=None, bytes=0, sha256=None, error="no url")
    match = _DATA_URL.match(url)
    if match is None:
        return ReceivedImage(
            message=message, media_type=None, bytes=0, sha256=None, error="not a base64 data URL"
        )
    try:
        data = base64.b64decode(url[match.end() :], validate=True)
    except (binascii.Error, ValueError):
        return ReceivedImage(
            message=message, media_type=match.group(1), bytes=0, sha256=None, error="bad base64"
        )
    return ReceivedImage(
        message=message,
        media_type=match.group(1),
        bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )


def received_images(messages: list[ChatMessage]) -> list[ReceivedImage]:
    return [
        _received_image(index, part)
        for index, message in enumerate(messages)
        if isinstance(message.content, list)
        for part in message.content
        if part.get("type") == "image_url"
    ]


def abbreviated(message: dict[str, Any]) -> dict[str, Any]:
    """A message as captured: an image's data URL stands as its media type and size, so a
    capture of many calls does not hold every image many times over."""
    content = message.get("content")
    if not isinstance(content, list):
        return message
    parts = []
    for part in content:
        url = part.get("image_url", {}).get("url") if part.get("type") == "image_url" else None
        if isinstance(url, str) and len(url) > 100:
            part = {**part, "image_url": {**part["image_url"], "url": f"{url[:40]}…({len(url)})"}}
        parts.append(part)
    return {**message, "content": parts}


class ResponseFormat(BaseModel):
    model_config = ConfigDict(extra="allow")

    type: str


class ChatRequest(BaseModel):
    # Clients send many optional fields (top_p, tools, user, ...); the simulator ignores them.
    model_config = ConfigDict(extra="allow")

    model: str = Field(min_length=1)
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False
    stream_options: dict[str, Any] | None = None
    temperature: float | None = Field(default=None, ge=0, le=2)
    max_tokens: int | None = Field(default=None, ge=1)
    max_completion_tokens: int | None = Field(default=None, ge=1)
    response_format: ResponseFormat | None = None

    @property
    def token_limit(self) -> int | None:
        return self.max_completion_tokens or self.max_tokens

    @property
    def wants_json(self) -> bool:
        fmt = self.response_format
        return fmt is not None and fmt.type in {"json_schema", "json_object"}

    def last_user_text(self) -> str:
        for message in reversed(self.messages):
            if message.role == "user":
                return message.text()
        return self.messages[-1].text()

    def has_images(self) -> bool:
        return any(
            isinstance(m.content, list) and any(p.get("type") == "image_url" for p in m.content)
            for m in self.messages
        )

    def system_text(self) -> str:
        return "\n".join(m.text() for m in self.messages if m.role in {"system", "developer"})


def count_tokens(text: str) -> int:
    """About one token per four characters, like the usual rule of thumb."""
    return (len(text) + 3) // 4


def prompt_tokens(request: ChatRequest) -> int:
    # A few tokens of framing per message, as real tokenisers charge.
    return sum(count_tokens(m.text()) + 4 for m in request.messages)


def price_per_token(model: str) -> float:
    known = _PRICE_PER_TOKEN.get(model)
    if known is not None:
        return known
    # crc32, unlike hash(), is stable across processes, so costs reproduce between runs.
    return (zlib.crc32(model.encode()) % 40 + 1) * 2e-7


def usage_body(*, model: str, prompt: int, completion: int, reasoning: int = 0) -> dict[str, Any]:
    """``completion`` includes ``reasoning`` (the thinking tokens), as OpenAI and OpenRouter
    count them; those are reported apart in ``completion_tokens_details``."""
    total = prompt + completion
    body: dict[str, Any] = {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": total,
        "cost": round(total * price_per_token(model), 10),
    }
    if reasoning:
        body["completion_tokens_details"] = {"reasoning_tokens": reasoning}
    return body


def error_body(status: int, message: str | None = None) -> dict[str, Any]:
    kind, code = _ERROR_KINDS.get(status, ("server_error" if status >= 500 else "api_error", ""))
    return {
        "error": {
            "message": message or f"Simulated upstream error {status} ({code or kind}).",
            "type": kind,
            "code": code or str(status),
        }
    }


def completion_body(
    *,
    completion_id: str,
    created: int,
    model: str,
    content: str,
    finish_reason: str,
    usage: dict[str, Any],
    reasoning: tuple[str, str] | None = None,
) -> dict[str, Any]:
    """``reasoning`` is (field name, text), e.g. ("reasoning_content", "…"), sent beside the
    content as reasoning models do."""
    message = {"role": "assistant", "content": content}
    if reasoning is not None:
        message[reasoning[0]] = reasoning[1]
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": finish_reason,
            }
        ],
        "usage": usage,
    }


def chunk_body(
    *,
    completion_id: str,
    created: int,
    model: str,
    delta: dict[str, str],
    finish_reason: str | None = None,
) -> dict[str, Any]:
    return {
        "id": completion_id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
    }


def usage_chunk_body(
    *, completion_id: str, created: int, model: str, usage: dict[str, Any]
) -> dict[str, Any]:
    """The closing chunk OpenAI sends with `include_usage`: no choices, only usage."""
    return {
        "id": completion_id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "choices": [],
        "usage": usage,
    }


def sse_event(payload: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(payload, separators=(",", ":")).encode() + b"\n\n"


def models_body(models: list[str], *, created: int, today: date) -> dict[str, Any]:
    """``GET /models`` in OpenRouter's shape (OpenAI's fields included) for ``models``."""
    return {
        "object": "list",
        "data": [model_entry(model, created=created, today=today) for model in models],
    }
