"""Requests-per-minute limits: GCRA, in this process or shared through Redis.

GCRA (the generic cell rate algorithm) keeps one number per key, the theoretical arrival time
(TAT). A limit of N per minute lets N requests through at once, then one every 60/N seconds;
a refusal knows exactly when the next request would pass, which becomes ``Retry-After``.

``MemoryRateLimiter`` decides without awaiting anything, so concurrent requests in one event
loop cannot interleave inside a decision. ``RedisRateLimiter`` runs the same rule as one Lua
script, atomic in Redis and timed by Redis's clock, so every process shares one limit. When
Redis cannot be reached the limiter lets requests through and logs it: budgets, which the
database enforces, still bound spending.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Protocol

log = logging.getLogger(__name__)
PERIOD = 60.0

_GCRA_LUA = """
local period = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local interval = period / limit
local tolerance = period - interval
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
if tat - now > tolerance then
  return tostring(tat - now - tolerance)
end
local new_tat = tat + interval
redis.call('SET', KEYS[1], tostring(new_tat), 'PX', math.ceil((new_tat - now) * 1000) + 1)
return false
"""


class RateLimiter(Protocol):
    async def hit(self, key: str, *, per_minute: int) -> float | None:
        """Count one request; None when it may pass, else the seconds until one would."""
        ...

    async def aclose(self) -> None: ...


def gcra(tat: float | None, now: float, *, per_minute: int) -> tuple[float | None, float]:
    """(retry_after or None, the new TAT) for one request at ``now``."""
    interval = PERIOD / per_minute
    tolerance = PERIOD - interval
    current = max(tat if tat is not None else now, now)
    if current - now > tolerance:
        return current - now - tolerance, current
    return None, current + interval


class MemoryRateLimiter:
    def __init__(self, *, clock: Any = time.monotonic) -> None:
        self._clock = clock
        self._tat: dict[str, float] = {}
        self._next_prune = 0.0

    async def hit(self, key: str, *, per_minute: int) -> float | None:
        now = self._clock()
        retry_after, self._tat[key] = gcra(self._tat.get(key), now, per_minute=per_minute)
        if now >= self._next_prune:
            self._prune(now)
        return retry_after

    def _prune(self, now: float) -> None:
        # A key whose TAT has passed is indistinguishable from a new key: forget it.
        self._tat = {k: v for k, v in self._tat.items() if v > now}
        self._next_prune = now + PERIOD

    async def aclose(self) -> None:
        self._tat.clear()


class RedisRateLimiter:
    def __init__(self, url: str, *, prefix: str = "llmcouncil:rl:") -> None:
        from redis.asyncio import Redis

        self._redis: Any = Redis.from_url(url)
        self._script = self._redis.register_script(_GCRA_LUA)
        self._prefix = prefix
        self._warned_at = 0.0

    async def hit(self, key: str, *, per_minute: int) -> float | None:
        from redis.exceptions import RedisError

        try:
            result = await self._script(keys=[self._prefix + key], args=[PERIOD, per_minute])
        except (RedisError, OSError) as exc:
            now = time.monotonic()
            if now - self._warned_at > PERIOD:
                self._warned_at = now
                log.error("rate limits are not enforced: Redis is unreachable (%s)", exc)
            return None
        if result is None:
            return None
        return float(result.decode() if isinstance(result, bytes) else result)

    async def aclose(self) -> None:
        await self._redis.aclose()


def create_rate_limiter(redis_url: str | None) -> RateLimiter:
    if redis_url:
        return RedisRateLimiter(redis_url)
    return MemoryRateLimiter()
