"""A cap on the councils running across every instance, kept in Redis.

Each instance's ``AdmissionGate`` bounds its own councils (``max_active_runs``); with
``max_active_runs_cluster`` and ``COUNCIL_REDIS_URL`` set, a council also needs one of the
cluster's places: a member of one sorted set, scored by when its place lapses. Taking a place
is one Lua script (drop lapsed places, count, add if below the cap), so two instances never
both take the last one; giving it back removes the member. An instance renews the places it
holds every third of the lease, so a killed instance's places lapse within ``lease`` seconds
and nobody has to clean up after it.

Redis unreachable: councils are admitted on each instance's own bounds (logged once a minute),
never refused for a failure of the shared state.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

DEFAULT_KEY = "llmcouncil:active-runs"
_WARN_EVERY = 60.0
UNSHARED = "unshared"  # the place of a council admitted while Redis was away

# KEYS[1]: the places; ARGV: now, lapse time of a new place, the cap, the new place's id.
_TAKE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[3]) then
  redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
  return 1
end
return 0
"""


class ClusterCapacity:
    """``take`` a place (None when the cluster is full), ``give_back`` it; ``aclose`` when done."""

    def __init__(
        self,
        url: str,
        *,
        cap: int,
        lease: float,
        key: str = DEFAULT_KEY,
        clock: Callable[[], float] = time.time,
    ) -> None:
        from redis.asyncio import Redis

        self.cap = cap
        self._lease = lease
        self._key = key
        self._clock = clock
        self._redis: Any = Redis.from_url(url)
        self._take: Any = self._redis.register_script(_TAKE)
        self._held: set[str] = set()
        self._pending: set[asyncio.Task[None]] = set()
        self._renewer: asyncio.Task[None] | None = None
        self._warned_at = -_WARN_EVERY

    async def take(self) -> str | None:
        """A place's id, or None when every place is taken."""
        from redis.exceptions import RedisError

        place = uuid.uuid4().hex
        now = self._clock()
        try:
            taken = await self._take(
                keys=[self._key], args=[now, now + self._lease, self.cap, place]
            )
        except (RedisError, OSError) as exc:
            self._warn(exc)
            return UNSHARED
        if not taken:
            return None
        self._held.add(place)
        self._start_renewing()
        return place

    async def running(self) -> int:
        """Councils holding a place now (for the refusal's message and for tests)."""
        from redis.exceptions import RedisError

        try:
            await self._redis.zremrangebyscore(self._key, "-inf", self._clock())
            return int(await self._redis.zcard(self._key))
        except (RedisError, OSError):
            return 0

    def give_back(self, place: str) -> None:
        """From synchronous code (a run's end): the removal is sent in the background."""
        if place == UNSHARED or place not in self._held:
            return
        self._held.discard(place)
        task = asyncio.get_running_loop().create_task(self._remove(place))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def flush(self) -> None:
        """Wait until the places given back so far are removed."""
        if self._pending:
            await asyncio.gather(*list(self._pending), return_exceptions=True)

    async def _remove(self, place: str) -> None:
        from redis.exceptions import RedisError

        try:
            await self._redis.zrem(self._key, place)
        except (RedisError, OSError) as exc:  # it lapses within the lease anyway
            self._warn(exc)

    async def renew(self) -> None:
        """Move the lapse time of every place this instance holds ``lease`` seconds ahead."""
        from redis.exceptions import RedisError

        held = list(self._held)
        if not held:
            return
        lapse = self._clock() + self._lease
        try:
            await self._redis.zadd(self._key, dict.fromkeys(held, lapse), xx=True)
        except (RedisError, OSError) as exc:
            self._warn(exc)

    def _start_renewing(self) -> None:
        if self._renewer is None:
            self._renewer = asyncio.get_running_loop().create_task(self._renew_forever())

    async def _renew_forever(self) -> None:
        while True:
            await asyncio.sleep(self._lease / 3)
            await self.renew()

    def _warn(self, exc: BaseException) -> None:
        now = time.monotonic()
        if now - self._warned_at >= _WARN_EVERY:
            self._warned_at = now
            log.error("the cluster's council cap is not applied: Redis is unreachable (%s)", exc)

    async def aclose(self) -> None:
        if self._renewer is not None:
            self._renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._renewer
        await self.flush()
        for place in list(self._held):  # a clean stop frees its places at once
            await self._remove(place)
        self._held.clear()
        await self._redis.aclose()
