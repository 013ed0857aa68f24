"""Helpers for tests that talk to the server over HTTP."""

from __future__ import annotations

import json
from typing import Any

import httpx


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
        {"model_delta", "model_complete", "model_error", "model_fallback", "model_reset"}
    ),
) -> list[str]:
    return [e["type"] for e in events if e["type"] not in skip]
