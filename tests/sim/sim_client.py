"""Small helpers the simulator tests share: request bodies, SSE parsing, config over HTTP."""

from __future__ import annotations

import json
from typing import Any

import aiohttp

from llmcouncil.sim import SimConfig, SimServer

DEFAULT_MODEL = "openai/gpt-5.1"


def chat_body(
    prompt: str, *, model: str = DEFAULT_MODEL, stream: bool = False, **extra: Any
) -> dict[str, Any]:
    return {
        "model": model,
        "messages": [{"role": "user", "content": prompt}],
        "stream": stream,
        **extra,
    }


async def post_chat(
    http: aiohttp.ClientSession,
    sim: SimServer,
    body: dict[str, Any],
    *,
    headers: dict[str, str] | None = None,
) -> tuple[int, Any]:
    """Status and decoded JSON body of a non-streaming call."""
    async with http.post(f"{sim.base_url}/chat/completions", json=body, headers=headers) as resp:
        return resp.status, await resp.json()


async def read_events(resp: aiohttp.ClientResponse) -> list[str]:
    """The `data:` payloads of an SSE response, in order, `[DONE]` included."""
    events: list[str] = []
    async for raw in resp.content:
        line = raw.decode().strip()
        if line.startswith("data: "):
            events.append(line.removeprefix("data: "))
    return events


async def stream_chat(
    http: aiohttp.ClientSession, sim: SimServer, body: dict[str, Any]
) -> tuple[aiohttp.ClientResponse, list[str]]:
    async with http.post(f"{sim.base_url}/chat/completions", json=body) as resp:
        return resp, await read_events(resp)


def content_of(events: list[str]) -> str:
    chunks = [json.loads(e) for e in events if e != "[DONE]"]
    return "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])


async def put_config(http: aiohttp.ClientSession, sim: SimServer, config: SimConfig) -> None:
    async with http.put(f"{sim.root_url}/_sim/config", json=config.model_dump(mode="json")) as resp:
        assert resp.status == 200, await resp.text()


async def get_json(http: aiohttp.ClientSession, url: str) -> Any:
    async with http.get(url) as resp:
        assert resp.status == 200
        return await resp.json()
