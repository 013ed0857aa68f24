"""Circuit breakers shared by every instance, in Redis.

Every step — admit an attempt, record its outcome, release it — is one call of a Lua script
(``redis_breaker_script.py``): one round trip, run atomically by Redis, so concurrent steps from
any number of tasks and instances all land, in some order, none retried. A model one instance
finds failing is open for all of them, and exactly one instance probes it.

Why a script rather than an optimistic transaction (WATCH, read, MULTI/EXEC), which let the
rules be written once, in Python: under load the transactions collided (a few in a hundred
committed at the first try at 200 councils at once), each retry cost three more round trips,
every step held a pooled connection across them, and the record (every outcome of the window
as JSON) grew with the call rate. The rules are now written twice, in ``breaker_store.py`` for
one process and in the script for several; tests/resilience/test_redis_breakers.py runs the
same sequences through both and compares what they decide.

Per attempt: two round trips (admit, then record or release), whatever the breaker's state.
The admit cannot be answered from a local copy of the state: its ticket (the attempt's place in
send order) must be issued where every instance's in-flight attempts are counted, or a burst of
fast failures among slow successes would count as "in a row" (``breaker_store.py``).

Connections: a pool that waits (up to ``pool_timeout``, 10 s) for one of ``max_connections``
(256) rather than failing; a step holds one only for its round trip. The size is for a starved
loop: with 200 councils at once an instance has up to 800 steps in flight, each holding its
connection until the loop reads the reply, and two instances on a CPU-starved 2-core machine
(bench/scale.py) fell back to per-process state at 64 connections and 5 s.

Redis unreachable or the wait too long: the breakers fall back to this process's own state
(logged once a minute), so calls go on with the protection of one process rather than failing.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from llmcouncil.resilience.breaker_store import (
    Admission,
    BreakerState,
    BreakerView,
    InMemoryBreakerStore,
    Transition,
    Verdict,
)
from llmcouncil.resilience.redis_breaker_script import SCRIPT
from llmcouncil.resilience.settings import BreakerSettings

log = logging.getLogger(__name__)
DEFAULT_PREFIX = "llmcouncil:breaker:"
_WARN_EVERY = 60.0
_VIEW_FIELDS = ("st", "cf", "wc", "wf", "oa", "ps", "lf", "le", "to")
_REASONS = {
    "probe_failed": "the probe failed",
    "half_open_failed": "a call failed while half-open",
    "probe_succeeded": "the probe succeeded",
}


def _text(value: Any) -> str | None:
    if value is None or value is False:
        return None
    return value.decode() if isinstance(value, bytes) else str(value)


def _name(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _float(value: Any) -> float | None:
    text = _text(value)
    return float(text) if text else None


def _int(value: Any) -> int:
    text = _text(value)
    return int(text) if text else 0


def decode_view(key: str, fields: list[Any]) -> BreakerView:
    """A view from the script's ``[state, cf, wc, wf, oa, ps, lf, le, to]``."""
    state, streak, calls, failures, opened, probing, failed_at, error, opened_times = fields
    return BreakerView(
        key=key,
        state=BreakerState(_text(state) or BreakerState.CLOSED.value),
        consecutive_failures=_int(streak),
        window_calls=_int(calls),
        window_failures=_int(failures),
        opened_at=_float(opened),
        probe_started_at=_float(probing),
        last_failure_at=_float(failed_at),
        last_error=_text(error),
        times_opened=_int(opened_times),
    )


def _reason(code: str, view: BreakerView, rules: BreakerSettings) -> str:
    if code == "streak":
        return f"{view.consecutive_failures} consecutive failures"
    if code == "rate":
        return (
            f"{view.window_failures} of {view.window_calls} attempts failed in the last "
            f"{rules.window:g} s"
        )
    return _REASONS.get(code, "")


def _flag(value: bool) -> str:
    return "1" if value else "0"


class RedisBreakerStore:
    """``BreakerStore`` over Redis (``redis.asyncio``); ``aclose`` when done."""

    def __init__(
        self,
        url: str,
        *,
        prefix: str = DEFAULT_PREFIX,
        max_connections: int = 256,
        pool_timeout: float = 10.0,
    ) -> None:
        from redis.asyncio import BlockingConnectionPool, Redis

        pool = BlockingConnectionPool.from_url(
            url, max_connections=max_connections, timeout=pool_timeout
        )
        self._redis: Any = Redis.from_pool(pool)
        self._script: Any = self._redis.register_script(SCRIPT)
        self._prefix = prefix
        self._local = InMemoryBreakerStore()
        self._warned_at = -_WARN_EVERY

    async def _run(self, key: str, *args: str | int) -> Any:
        """The script's step for ``key``; None if Redis is unreachable (or too slow to lend a
        connection)."""
        from redis.exceptions import RedisError

        try:
            return await self._script(keys=[self._prefix + key], args=list(args))
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
        reply = await self._run(
            key, "admit", repr(now), _flag(force), repr(rules.cooldown), repr(rules.probe_lease)
        )
        if reply is None:
            return await self._local.admit(key, rules, now=now, force=force)
        verdict, ticket, forced = Verdict(_name(reply[0])), int(reply[1]), bool(int(reply[2]))
        view = decode_view(key, reply[3]) if len(reply) > 3 else None
        return Admission(verdict, view, ticket=ticket, forced=forced)

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
        reply = await self._run(
            key,
            "record",
            repr(now),
            _flag(failed),
            _flag(error is not None),
            error or "",
            _flag(probe),
            ticket,
            rules.consecutive_failures,
            repr(rules.failure_rate),
            repr(rules.window),
            rules.min_calls,
        )
        if reply is None:
            return await self._local.record(
                key, rules, now=now, failed=failed, error=error, probe=probe, ticket=ticket
            )
        before, after = BreakerState(_name(reply[0])), BreakerState(_name(reply[1]))
        if len(reply) < 4:
            return Transition(before=before, after=after, view=None)
        view = decode_view(key, reply[3])
        return Transition(
            before=before,
            after=after,
            view=view,
            reason=_reason(_name(reply[2]), view, rules),
        )

    async def release(self, key: str, ticket: int, *, probe: bool) -> None:
        if await self._run(key, "release", ticket, _flag(probe)) is None:
            await self._local.release(key, ticket, probe=probe)

    async def view(self, key: str) -> BreakerView:
        from redis.exceptions import RedisError

        try:
            fields = await self._redis.hmget(self._prefix + key, _VIEW_FIELDS)
        except (RedisError, OSError) as exc:
            self._warn(exc)
            return await self._local.view(key)
        return decode_view(key, fields)

    async def views(self) -> list[BreakerView]:
        from redis.exceptions import RedisError

        try:
            # SCAN walks the whole keyspace (every live run's stream too), COUNT keys a round
            # trip: at the default 10, thousands of streams made this hundreds of round trips
            # each time the metrics sampled the breakers.
            names = [n async for n in self._redis.scan_iter(match=self._prefix + "*", count=1000)]
            async with self._redis.pipeline(transaction=False) as pipe:
                for name in names:
                    pipe.hmget(name, _VIEW_FIELDS)
                values = await pipe.execute() if names else []
        except (RedisError, OSError) as exc:
            self._warn(exc)
            return await self._local.views()
        views = []
        for name, fields in zip(names, values, strict=True):
            key = (name.decode() if isinstance(name, bytes) else name)[len(self._prefix) :]
            views.append(decode_view(key, fields))
        return sorted(views, key=lambda v: v.key)

    async def aclose(self) -> None:
        await self._redis.aclose()
