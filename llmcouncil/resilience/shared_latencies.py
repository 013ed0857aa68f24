"""Hedging statistics shared by every instance, in Redis.

When to hedge a call comes from its model's recent latencies (``hedging.LatencyTracker``):
with several instances, each one alone would see a fraction of the calls and learn a model's
slowness late. With ``COUNCIL_REDIS_URL`` set, every ``every`` seconds each instance appends the
latencies it observed since the last sync to one list per (model, stage, streamed) in Redis,
trimmed to the hedging window, and reads the lists back into its tracker: every instance hedges
on every instance's latest calls. A call never waits for Redis (the tracker is read in memory);
the shared view is at most one sync old. Redis unreachable: each instance keeps its own samples
(logged once a minute).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from llmcouncil.resilience.hedging import LatencyKey, LatencyTracker

log = logging.getLogger(__name__)

DEFAULT_PREFIX = "llmcouncil:latency:"
_TTL_SECONDS = 86_400  # a key no instance has observed for a day is forgotten
_WARN_EVERY = 60.0


def encode_key(key: LatencyKey) -> str:
    model, stage, streamed = key
    return f"{stage}|{int(streamed)}|{model}"


def decode_key(text: str) -> LatencyKey:
    stage, streamed, model = text.split("|", 2)
    return (model, int(stage), streamed == "1")


class SharedLatencies:
    """Syncs a ``LatencyTracker`` with the other instances' through Redis; ``aclose`` when done."""

    def __init__(
        self,
        url: str,
        tracker: LatencyTracker,
        *,
        every: float = 5.0,
        prefix: str = DEFAULT_PREFIX,
    ) -> None:
        from redis.asyncio import Redis

        self._redis: Any = Redis.from_url(url, decode_responses=True)
        self._tracker = tracker
        tracker.share()
        self._every = every
        self._prefix = prefix
        self._task: asyncio.Task[None] | None = None
        self._warned_at = -_WARN_EVERY

    async def sync(self) -> bool:
        """Send the new samples, read every shared window back; False when Redis was away
        (the new samples are then kept locally only)."""
        from redis.exceptions import RedisError

        window = self._tracker.window
        new = self._tracker.take_new()
        names = f"{self._prefix}keys"
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for key, samples in new.items():
                    name = self._prefix + encode_key(key)
                    pipe.rpush(name, *samples)
                    pipe.ltrim(name, -window, -1)
                    pipe.expire(name, _TTL_SECONDS)
                    pipe.sadd(names, encode_key(key))
                pipe.expire(names, _TTL_SECONDS)
                pipe.smembers(names)
                answers = await pipe.execute()
            keys = sorted(answers[-1])
            async with self._redis.pipeline(transaction=False) as pipe:
                for text in keys:
                    pipe.lrange(self._prefix + text, 0, -1)
                windows = await pipe.execute()
        except (RedisError, OSError) as exc:
            self._warn(exc)
            return False
        for text, samples in zip(keys, windows, strict=True):
            if samples:
                self._tracker.replace(decode_key(text), [float(v) for v in samples])
        return True

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._sync_forever())

    async def _sync_forever(self) -> None:
        while True:
            await asyncio.sleep(self._every)
            await self.sync()

    def _warn(self, exc: BaseException) -> None:
        now = time.monotonic()
        if now - self._warned_at >= _WARN_EVERY:
            self._warned_at = now
            log.error("hedging statistics are per process: Redis is unreachable (%s)", exc)

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._redis.aclose()
