"""A call's time counts from when its request arrived, not from when the simulator's single
event loop got round to its handler."""

from __future__ import annotations

import asyncio
import json
import time
from urllib.parse import urlsplit

import pytest
from aiohttp import web

from llmcouncil.sim import LatencyProfile, SimConfig, SimServer, completions

LATENCY_MS = 100
HELD_MS = 60


def _request(host: str, port: int) -> bytes:
    body = json.dumps(
        {"model": "openai/gpt-5.1", "messages": [{"role": "user", "content": "hi"}]}
    ).encode()
    head = (
        f"POST /v1/chat/completions HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    )
    return head.encode() + body


async def test_a_call_queued_behind_a_busy_handler_keeps_its_own_clock(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two requests reach the simulator together; the first one's handler holds the loop for
    60 ms (as a large prompt's parsing would). The second still ends 100 ms after it was sent,
    not 160."""
    read = completions._read_chat_request
    held: list[bool] = []

    async def slow_first(request: web.Request) -> object:
        if not held:
            held.append(True)
            time.sleep(HELD_MS / 1000)  # blocks the loop, as CPU work would
        return await read(request)

    monkeypatch.setattr(completions, "_read_chat_request", slow_first)
    profile = LatencyProfile(base_ms=LATENCY_MS, jitter_ms=0)
    sim = SimServer(SimConfig(seed=1, latency={"*": profile}, capture=False))
    url = urlsplit(await sim.start())
    host, port = str(url.hostname), int(url.port or 0)
    try:
        connections = [await asyncio.open_connection(host, port) for _ in range(2)]
        await asyncio.sleep(0.01)  # both accepted before either request is sent
        sent = time.perf_counter()
        for _, writer in connections:  # sent together: no await between the writes
            writer.write(_request(host, port))

        async def finished(reader: asyncio.StreamReader) -> float:
            answer = await reader.read()
            assert answer.startswith(b"HTTP/1.1 200")
            return (time.perf_counter() - sent) * 1000

        first, second = await asyncio.gather(*(finished(r) for r, _ in connections))
        for _, writer in connections:
            writer.close()
    finally:
        await sim.stop()
    assert held  # the first handler did hold the loop
    assert first >= LATENCY_MS and second >= LATENCY_MS
    assert second < LATENCY_MS + HELD_MS / 2, f"the second call took {second:.1f} ms"
