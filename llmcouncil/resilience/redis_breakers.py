"""Circuit breakers shared by every instance, in Redis.

Each breaker's record (``breaker_store.BreakerRecord``) is kept as one JSON value under
``{prefix}{key}``; every step — admit, record an outcome, release — is an optimistic
transaction (``WATCH``, read, apply the same pure transition the in-memory store applies,
``MULTI``/``EXEC``), retried when another instance changed the record in between. So the rules
are written once (``breaker_store.py``) and run atomically across processes: a model one
instance finds failing is open for all of them, and exactly one instance probes it.

Why not a Lua script: the transitions are the tested Python functions; a second copy of them
in Lua would have to be kept identical. The cost is one round trip more per step (WATCH/GET,
then EXEC) and a record that grows with the attempts in the breaker's window.

Redis unreachable: the breakers fall back to this process's own state (logged once a minute),
so calls go on with the protection of one process rather than failing.
"""

from __future__ import annotations

import json
import logging
import time
from collections import deque
from collections.abc import Callable
from typing import Any, TypeVar

from llmcouncil.resilience.breaker_store import (
    Admission,
    BreakerRecord,
    BreakerState,
    BreakerView,
    InMemoryBreakerStore,
    Transition,
    admit,
    record_outcome,
    release,
)
from llmcouncil.resilience.settings import BreakerSettings

log = logging.getLogger(__name__)
T = TypeVar("T")
DEFAULT_PREFIX = "llmcouncil:breaker:"
# A breaker untouched for a day is forgotten (it would be closed and empty by then anyway).
_TTL_SECONDS = 86_400
_WARN_EVERY = 60.0


def encode(record: BreakerRecord) -> str:
    return json.dumps(
        {
            "state": record.state.value,
            "consecutive_failures": record.consecutive_failures,
            "outcomes": [[t, f] for t, f in record.outcomes],
            "window_failures": record.window_failures,
            "opened_at": record.opened_at,
            "probe_started_at": record.probe_started_at,
            "last_failure_at": record.last_failure_at,
            "last_error": record.last_error,
            "times_opened": record.times_opened,
            "issued": record.issued,
            "settled": {str(k): v for k, v in record.settled.items()},
            "highest_settled": record.highest_settled,
        },
        separators=(",", ":"),
    )


def decode(key: str, raw: bytes | str | None) -> BreakerRecord:
    if raw is None:
        return BreakerRecord(key=key)
    data: dict[str, Any] = json.loads(raw)
    return BreakerRecord(
        key=key,
        state=BreakerState(data["state"]),
        consecutive_failures=int(data["consecutive_failures"]),
        outcomes=deque((float(t), bool(f)) for t, f in data["outcomes"]),
        window_failures=int(data["window_failures"]),
        opened_at=data["opened_at"],
        probe_started_at=data["probe_started_at"],
        last_failure_at=data["last_failure_at"],
        last_error=data["last_error"],
        times_opened=int(data["times_opened"]),
        issued=int(data["issued"]),
        settled={int(k): v for k, v in data["settled"].items()},
        highest_settled=int(data["highest_settled"]),
    )


class RedisBreakerStore:
    """``BreakerStore`` over Redis (``redis.asyncio``); ``aclose`` when done."""

    def __init__(self, url: str, *, prefix: str = DEFAULT_PREFIX) -> None:
        from redis.asyncio import Redis

        self._redis: Any = Redis.from_url(url)
        self._prefix = prefix
        self._local = InMemoryBreakerStore()
        self._warned_at = -_WARN_EVERY

    async def _step(self, key: str, change: Callable[[BreakerRecord], T]) -> T | None:
        """``change`` applied to the shared record atomically; None if Redis is unreachable."""
        from redis.exceptions import RedisError, WatchError

        name = self._prefix + key
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                while True:
                    try:
                        await pipe.watch(name)
                        record = decode(key, await pipe.get(name))
                        result = change(record)
                        pipe.multi()
                        pipe.set(name, encode(record), ex=_TTL_SECONDS)
                        await pipe.execute()
                        return result
                    except WatchError:
                        continue  # another instance changed it first: read it again
        except (RedisError, OSError) as exc:
            self._warn(exc)
            return None

    def _warn(self, exc: BaseException) -> None:
        now = time.monotonic()
        if now - self._warned_at >= _WARN_EVERY:
            self._warned_at = now
            log.error("circuit breakers are per process: Redis is unreachable (%s)", exc)

    async def admit(
        self, key: str, rules: BreakerSettings, *, now: float, force: bool = False
    ) -> Admission:
        shared = await self._step(key, lambda r: admit(r, rules, now, force=force))
        return shared if shared is not None else await self._local.admit(key, rules, now=now)

    async def record(
        self,
        key: str,
        rules: BreakerSettings,
        *,
        now: float,
        failed: bool,
        error: str | None,
        probe: bool,
        ticket: int,
    ) -> Transition:
        def change(r: BreakerRecord) -> Transition:
            return record_outcome(
                r, rules, now, failed=failed, error=error, probe=probe, ticket=ticket
            )

        shared = await self._step(key, change)
        if shared is not None:
            return shared
        return await self._local.record(
            key, rules, now=now, failed=failed, error=error, probe=probe, ticket=ticket
        )

    async def release(self, key: str, ticket: int, *, probe: bool) -> None:
        def change(r: BreakerRecord) -> bool:
            release(r, ticket, probe=probe)
            return True

        if await self._step(key, change) is None:
            await self._local.release(key, ticket, probe=probe)

    async def view(self, key: str) -> BreakerView:
        from redis.exceptions import RedisError

        try:
            raw = await self._redis.get(self._prefix + key)
        except (RedisError, OSError) as exc:
            self._warn(exc)
            return await self._local.view(key)
        return decode(key, raw).view()

    async def views(self) -> list[BreakerView]:
        from redis.exceptions import RedisError

        try:
            names = [n async for n in self._redis.scan_iter(match=self._prefix + "*")]
            values = await self._redis.mget(names) if names else []
        except (RedisError, OSError) as exc:
            self._warn(exc)
            return await self._local.views()
        views = []
        for name, raw in zip(names, values, strict=True):
            key = (name.decode() if isinstance(name, bytes) else name)[len(self._prefix) :]
            if raw is not None:
                views.append(decode(key, raw).view())
        return sorted(views, key=lambda v: v.key)

    async def aclose(self) -> None:
        await self._redis.aclose()
