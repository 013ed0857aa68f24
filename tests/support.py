"""Helpers for tests that talk to the server over HTTP."""

from __future__ import annotations

import json
import os
import socket
from typing import Any

import httpx

MEMBERS = [
    "openai/gpt-5.1",
    "google/gemini-3-pro-preview",
    "anthropic/claude-sonnet-4.5",
    "x-ai/grok-4",
]
CHAIRMAN = "google/gemini-3-pro-preview"
TEST_KEY_ENV = "COUNCIL_TEST_SIM_KEY"
POSTGRES_URL = os.environ.get(
    "COUNCIL_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LiveServer:
    def __init__(self, base_url: str, app: Any) -> None:
        self.base_url = base_url
        self.app = app

    @property
    def runtime(self) -> Any:
        return self.app.state.runtime


def parse_sse(raw: str) -> list[dict[str, Any]]:
    events = []
    for block in raw.split("\n\n"):
        for line in block.splitlines():
            if line.startswith("data:"):
                events.append(json.loads(line[5:].strip()))
    return events


async def stream_events(
    client: httpx.AsyncClient,
    url: str,
    *,
    json_body: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> list[dict[str, Any]]:
    """POST and read the whole event stream (until the server closes it)."""
    async with client.stream("POST", url, json=json_body, headers=headers) as response:
        assert response.status_code == 200, await response.aread()
        assert response.headers["content-type"].startswith("text/event-stream")
        raw = (await response.aread()).decode()
    return parse_sse(raw)


async def new_conversation(client: httpx.AsyncClient, **body: Any) -> str:
    response = await client.post("/api/conversations", json=body)
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


def types(
    events: list[dict[str, Any]],
    *,
    skip: frozenset[str] = frozenset(
        {
            "model_delta",
            "model_complete",
            "model_error",
            "model_fallback",
            "model_reset",
            "model_retry",
            "model_hedge",
            "model_late",
        }
    ),
) -> list[str]:
    return [e["type"] for e in events if e["type"] not in skip]
