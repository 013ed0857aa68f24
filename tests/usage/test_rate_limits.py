"""Requests and runs per minute, in process and through Redis: exact under racing requests,
429 with Retry-After over HTTP."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from gov_support import GovernedFactory

from llmcouncil.auth.ratelimit import MemoryRateLimiter, RateLimiter, RedisRateLimiter

REDIS_URL = "redis://127.0.0.1:6379/15"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_gcra_bursts_then_spaces_requests() -> None:
    clock = Clock()
    limiter = MemoryRateLimiter(clock=clock)

    def hit() -> float | None:
        return asyncio.run(limiter.hit("k", per_minute=6))

    assert [hit() for _ in range(6)] == [None] * 6  # the whole minute's worth at once
    assert hit() == pytest.approx(10.0)  # then one every 60/6 seconds
    clock.now += 9.9
    assert hit() == pytest.approx(0.1)
    clock.now += 0.1
    assert hit() is None and hit() == pytest.approx(10.0)
    clock.now += 600
    assert [hit() for _ in range(6)] == [None] * 6  # an idle key starts afresh


@pytest.fixture(params=["memory", "redis"])
async def limiter(request: pytest.FixtureRequest) -> AsyncIterator[RateLimiter]:
    if request.param == "memory":
        made: RateLimiter = MemoryRateLimiter()
    else:
        made = RedisRateLimiter(REDIS_URL, prefix=f"test:{uuid.uuid4().hex}:")
    try:
        yield made
    finally:
        await made.aclose()


async def test_racing_requests_get_exactly_the_limit(limiter: RateLimiter) -> None:
    results = await asyncio.gather(*(limiter.hit("user:1", per_minute=10) for _ in range(50)))
    passed = [r for r in results if r is None]
    assert len(passed) == 10
    assert all(5.0 <= r <= 6.0 for r in results if r is not None)  # the next slot: 6 s away
    assert await limiter.hit("user:2", per_minute=10) is None  # keys do not share


async def test_an_unreachable_redis_lets_requests_through() -> None:
    limiter = RedisRateLimiter("redis://127.0.0.1:1/0")
    try:
        assert await limiter.hit("k", per_minute=1) is None
    finally:
        await limiter.aclose()


async def test_runs_per_minute_over_http(governed: GovernedFactory) -> None:
    server = await governed(usage={"rate_limits": {"runs_per_minute": 2}})
    await server.user("mia")
    mia = await server.session("mia")
    cid = (await mia.post("/api/conversations", json={})).json()["id"]
    answers = [
        await mia.post(f"/api/conversations/{cid}/message", json={"content": f"q{i}"})
        for i in range(3)
    ]
    assert [a.status_code for a in answers] == [200, 200, 429]
    refused = answers[-1]
    assert int(refused.headers["Retry-After"]) >= 29
    assert refused.json()["detail"]["code"] == "rate_limit_exceeded"
    assert "2 council runs per minute" in refused.json()["detail"]["message"]
    # A refused run stored nothing.
    assert len((await mia.get(f"/api/conversations/{cid}")).json()["messages"]) == 4


async def test_requests_per_minute_per_user_and_per_key(governed: GovernedFactory) -> None:
    server = await governed(usage={"rate_limits": {"requests_per_minute": 5}})
    await server.user("root", role="admin")
    mia = await server.user("mia", rate_limits={"requests_per_minute": 3})
    program = await server.key_client("mia")
    statuses = [(await program.get("/api/conversations")).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert mia.rate_limits == {"requests_per_minute": 3}
    bob_key = await server.key_client("root")
    racing = await asyncio.gather(*(bob_key.get("/api/conversations") for _ in range(12)))
    assert sorted(r.status_code for r in racing) == [200] * 5 + [429] * 7
