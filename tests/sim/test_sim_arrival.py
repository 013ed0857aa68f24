"""A call's time counts from when its request arrived, not from when the simulator's single
event loop got round to its handler.

Asserted on the simulator's own clock (the loop's, which the test shares): the moment each
request was stamped as arrived, the moment its handler started, and the deadlines it waited
for. How close to its latency a queued call really ends is a timing claim, measured by
``bench/sim_arrival.py``.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
from aiohttp import web

from llmcouncil.sim import LatencyProfile, SimConfig, SimServer, arrival, completions

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


@dataclass
class Handled:
    """What the simulator's clock said about one call."""

    arrived: float
    handler_started: float
    held_the_loop: bool
    deadlines: list[float] = field(default_factory=list)


async def test_a_call_queued_behind_a_busy_handler_keeps_its_own_clock(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two requests reach the simulator together; the first handler to run holds the loop for
    60 ms (as a large prompt's parsing would). The other call's deadline is still its arrival
    plus its 100 ms, not its handler's start plus 100 ms."""
    calls: dict[asyncio.Task[object] | None, Handled] = {}
    read, wait_until = completions._read_chat_request, completions.wait_until

    async def first_holds_the_loop(request: web.Request) -> object:
        loop = asyncio.get_running_loop()
        hold = not calls
        calls[asyncio.current_task()] = Handled(
            arrived=arrival.arrival_of(request), handler_started=loop.time(), held_the_loop=hold
        )
        if hold:
            time.sleep(HELD_MS / 1000)  # blocks the loop, as CPU work would
        return await read(request)

    async def noting_deadlines(deadline: float, *, precise: bool = False) -> None:
        calls[asyncio.current_task()].deadlines.append(deadline)
        await wait_until(deadline, precise=precise)

    monkeypatch.setattr(completions, "_read_chat_request", first_holds_the_loop)
    monkeypatch.setattr(completions, "wait_until", noting_deadlines)
    profile = LatencyProfile(base_ms=LATENCY_MS, jitter_ms=0)
    sim = SimServer(SimConfig(seed=1, latency={"*": profile}, capture=False))
    url = urlsplit(await sim.start())
    host, port = str(url.hostname), int(url.port or 0)
    loop = asyncio.get_running_loop()
    try:
        connections = [await asyncio.open_connection(host, port) for _ in range(2)]
        for _, writer in connections:  # sent together: no await between the writes
            writer.write(_request(host, port))

        async def finished(reader: asyncio.StreamReader) -> float:
            answer = await reader.read()
            assert answer.startswith(b"HTTP/1.1 200")
            return loop.time()

        ended = await asyncio.gather(*(finished(r) for r, _ in connections))
        for _, writer in connections:
            writer.close()
    finally:
        await sim.stop()

    assert len(calls) == 2
    holder = next(c for c in calls.values() if c.held_the_loop)
    queued = next(c for c in calls.values() if not c.held_the_loop)
    # Both were stamped on arrival, before the holder's handler blocked the loop; the queued
    # call's handler could start only once the loop was free again.
    assert queued.arrived <= holder.handler_started
    assert queued.handler_started - queued.arrived >= HELD_MS / 1000
    # Every deadline of each call counts from its arrival: the last is arrival + latency.
    latency = LATENCY_MS / 1000
    for call in (holder, queued):
        assert call.deadlines
        assert max(call.deadlines) == pytest.approx(call.arrived + latency, abs=1e-6)
    # Counted from its handler's start, the queued call would have ended a held period later.
    assert max(queued.deadlines) < queued.handler_started + latency
    # No answer came before a deadline had passed.
    assert min(ended) >= min(max(c.deadlines) for c in calls.values())
