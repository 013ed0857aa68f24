"""Concurrent clients driving the HTTP API, and the statistics reported about them."""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp
from harness import MEMBERS

QUESTION = "What are the trade-offs between consistency and availability in distributed systems?"


@dataclass(frozen=True, slots=True)
class CouncilOutcome:
    wall: float  # seconds from POST to the whole answer
    status: int
    complete: bool  # a final answer, not degraded
    lossless: bool  # and every member answered and reviewed, with no error recorded
    error: str | None = None
    first_delta: float | None = None  # streamed: seconds from POST to the first model_delta
    create: float = 0.0  # seconds the conversation's creation took, before the POST


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))
    return ordered[index]


def session(limit: int = 4096) -> aiohttp.ClientSession:
    # Idle connections are dropped after 5 s, before HAProxy's `timeout http-keep-alive` (15 s,
    # deploy/haproxy.cfg) closes them: with equal timeouts a request can be sent on a connection
    # the balancer is closing, and fails as ServerDisconnectedError.
    connector = aiohttp.TCPConnector(limit=limit, limit_per_host=limit, keepalive_timeout=5)
    return aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=300))


async def new_conversation(http: aiohttp.ClientSession, base: str) -> str:
    async with http.post(f"{base}/api/conversations", json={}) as response:
        response.raise_for_status()
        return str((await response.json())["id"])


def judge(status: int, body: dict[str, Any]) -> tuple[bool, bool]:
    if status != 200:
        return False, False
    final = body.get("stage3") or {}
    complete = body.get("status") == "complete" and bool(final) and not final.get("degraded")
    answered = {a["model"] for a in body.get("stage1", [])}
    reviewed = {r["model"] for r in body.get("stage2", [])}
    lossless = (
        complete
        and answered == set(MEMBERS)
        and reviewed == set(MEMBERS)
        and not body.get("errors")
    )
    return complete, lossless


async def one_council(http: aiohttp.ClientSession, base: str) -> CouncilOutcome:
    before = time.perf_counter()
    try:
        cid = await new_conversation(http, base)
    except (aiohttp.ClientError, TimeoutError) as exc:  # counted as a failed council
        return CouncilOutcome(time.perf_counter() - before, 0, False, False, repr(exc))
    started = time.perf_counter()
    try:
        async with http.post(
            f"{base}/api/conversations/{cid}/message", json={"content": QUESTION}
        ) as response:
            body = await response.json()
            status = response.status
    except (aiohttp.ClientError, TimeoutError, json.JSONDecodeError) as exc:
        return CouncilOutcome(
            time.perf_counter() - started, 0, False, False, repr(exc), create=started - before
        )
    wall = time.perf_counter() - started
    complete, lossless = judge(status, body)
    error = None if status == 200 else str(body.get("detail", body))[:200]
    return CouncilOutcome(wall, status, complete, lossless, error, create=started - before)


async def one_streamed_council(http: aiohttp.ClientSession, base: str) -> CouncilOutcome:
    cid = await new_conversation(http, base)
    started = time.perf_counter()
    first: float | None = None
    last: dict[str, Any] = {}
    async with http.post(
        f"{base}/api/conversations/{cid}/message/stream", json={"content": QUESTION}
    ) as response:
        async for raw in response.content:
            line = raw.decode().strip()
            if not line.startswith("data:"):
                continue
            event = json.loads(line[5:])
            if first is None and event["type"] == "model_delta":
                first = time.perf_counter() - started
            last = event
        status = response.status
    wall = time.perf_counter() - started
    ok = last.get("type") == "complete"
    return CouncilOutcome(wall, status, ok, ok, None if ok else str(last)[:200], first)


async def drive(
    base: str, *, total: int, concurrency: int, streamed: bool = False
) -> tuple[list[CouncilOutcome], float]:
    """``total`` councils, ``concurrency`` at a time; returns outcomes and the elapsed time."""
    outcomes: list[CouncilOutcome] = []
    remaining = total
    run = one_streamed_council if streamed else one_council

    async def worker(http: aiohttp.ClientSession) -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            outcomes.append(await run(http, base))

    async with session() as http:
        started = time.perf_counter()
        await asyncio.gather(*(worker(http) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return outcomes, elapsed


def summary(outcomes: Sequence[CouncilOutcome], elapsed: float) -> dict[str, Any]:
    walls = [o.wall for o in outcomes if o.status == 200]
    errors = [o for o in outcomes if o.status != 200 or not o.complete]
    return {
        "councils": len(outcomes),
        "p50_s": round(percentile(walls, 0.50), 3),
        "p99_s": round(percentile(walls, 0.99), 3),
        "max_s": round(max(walls), 3) if walls else math.nan,
        # creating the conversation (before the POST, outside the wall time, inside councils/s)
        "create_p50_s": round(percentile([o.create for o in outcomes], 0.50), 3),
        "create_p99_s": round(percentile([o.create for o in outcomes], 0.99), 3),
        "councils_per_s": round(len(outcomes) / elapsed, 2) if elapsed else math.nan,
        "errors": len(errors),
        "complete_share": round(sum(o.complete for o in outcomes) / len(outcomes), 4),
        "lossless_share": round(sum(o.lossless for o in outcomes) / len(outcomes), 4),
        "first_error": next((o.error for o in errors if o.error), None),
    }
