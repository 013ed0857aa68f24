"""Backpressure: how many councils run, how many wait, how many calls are in flight.

``AdmissionGate`` admits councils (``async with gate.slot() as slot``): up to
``max_active_runs`` run, up to ``max_queued_runs`` wait (first come, first served) at most
``max_queue_wait`` seconds; anything beyond gets
``OverloadedError`` (HTTP 429) with a ``Retry-After`` estimated from recent council durations,
so load past capacity costs a fast refusal, not unbounded memory and latency. With a
``ClusterCapacity`` (``cluster_capacity.py``) a council also needs one of the places shared by
every instance; none free is a 429 at once.

``CallLimits`` bounds upstream calls: a slot per upstream (``max_inflight_per_upstream`` or the
upstream's own ``max_inflight``), then the upstream's requests-per-minute budget (a sliding
window of send times), then a global slot. Waiting is bounded by the call's deadline; past it
the call fails with ``CapacityTimeoutError`` without reaching the upstream.
"""

from __future__ import annotations

import asyncio
import math
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from llmcouncil.errors import CapacityTimeoutError, OverloadedError
from llmcouncil.resilience.cluster_capacity import ClusterCapacity
from llmcouncil.resilience.settings import CapacitySettings, ResilienceSettings

_DURATION_SMOOTHING = 0.2
_MAX_RETRY_AFTER = 120.0


class CapacitySlot:
    """One council's place among the running ones. Inside ``AdmissionGate.slot()`` it is given
    back on leaving the block, unless the run took it (``hand_over``): the run then gives it
    back (``release``) once its answer is stored."""

    def __init__(self, gate: AdmissionGate, *, place: str | None = None) -> None:
        self._gate = gate
        self._place = place  # its place among the cluster's councils, if capped
        self._started = asyncio.get_running_loop().time()
        self.handed_over = False
        self.released = False

    def hand_over(self) -> CapacitySlot:
        self.handed_over = True
        return self

    def release(self) -> None:
        """Give the slot back (once), noting how long the council held it."""
        if self.released:
            return
        self.released = True
        if self.handed_over:
            self._gate.observe_run(asyncio.get_running_loop().time() - self._started)
        self._gate.leave(place=self._place)


class AdmissionGate:
    def __init__(
        self, capacity: CapacitySettings, *, cluster: ClusterCapacity | None = None
    ) -> None:
        self._capacity = capacity
        self.cluster = cluster
        self._active = 0
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._typical_run = 10.0  # seconds; refined by observe_run
        self.rejected = 0

    @property
    def active(self) -> int:
        return self._active

    @property
    def queued(self) -> int:
        return sum(1 for w in self._waiters if not w.done())

    def retry_after(self) -> float:
        """Seconds until a new council would likely find room."""
        ahead = self.queued + 1
        estimate = self._typical_run * ahead / self._capacity.max_active_runs
        return min(_MAX_RETRY_AFTER, max(1.0, math.ceil(estimate)))

    def observe_run(self, seconds: float) -> None:
        self._typical_run += _DURATION_SMOOTHING * (seconds - self._typical_run)

    async def enter(self) -> None:
        """Take a run slot, waiting in line if need be; ``OverloadedError`` past the line."""
        capacity = self._capacity
        if self._active < capacity.max_active_runs and not self.queued:
            self._active += 1
            return
        if self.queued >= capacity.max_queued_runs:
            self.rejected += 1
            raise OverloadedError(
                f"the server is at capacity ({self._active} councils running, "
                f"{self.queued} waiting); try again later",
                retry_after=self.retry_after(),
            )
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            async with asyncio.timeout(capacity.max_queue_wait):
                await waiter
        except TimeoutError as exc:
            self._give_back(waiter)
            self.rejected += 1
            raise OverloadedError(
                f"no council slot became free within {capacity.max_queue_wait:g} s",
                retry_after=self.retry_after(),
            ) from exc
        except BaseException:
            self._give_back(waiter)
            raise

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[CapacitySlot]:
        """A run slot for the block (waiting in line if need be; ``OverloadedError`` past it)."""
        await self.enter()
        place = None
        if self.cluster is not None:
            try:
                place = await self.cluster.take()
            except BaseException:
                self.leave()
                raise
            if place is None:
                self.leave()
                self.rejected += 1
                raise OverloadedError(
                    f"the service is at capacity: {self.cluster.cap} councils are running "
                    "across its instances; try again later",
                    retry_after=self.retry_after(),
                )
        slot = CapacitySlot(self, place=place)
        try:
            yield slot
        finally:
            if not slot.handed_over:
                slot.release()

    def _give_back(self, waiter: asyncio.Future[None]) -> None:
        if waiter.done() and not waiter.cancelled():
            self.leave()  # the slot was handed over just as we gave up: pass it on
        else:
            waiter.cancel()
        try:
            self._waiters.remove(waiter)
        except ValueError:
            pass

    def leave(self, *, place: str | None = None) -> None:
        """Give a run slot back: to the first council in line, or to the pool; and its
        ``place`` among the cluster's councils."""
        if place is not None and self.cluster is not None:
            self.cluster.give_back(place)
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self._active = max(0, self._active - 1)

    def stats(self) -> dict[str, Any]:
        return {
            "active": self._active,
            "queued": self.queued,
            "max_active": self._capacity.max_active_runs,
            "max_queued": self._capacity.max_queued_runs,
            "rejected": self.rejected,
        }


class RpmWindow:
    """At most ``rpm`` sends in any 60 s: each caller reserves the earliest allowed send time."""

    def __init__(self, rpm: int) -> None:
        self.rpm = rpm
        self._sends: deque[float] = deque(maxlen=rpm)

    def reserve(self, now: float, *, deadline: float | None) -> float | None:
        """The delay before this send may go, or None when that would pass ``deadline``."""
        when = now
        if len(self._sends) == self.rpm:
            when = max(now, self._sends[0] + 60.0)
        if deadline is not None and when > deadline:
            return None
        self._sends.append(when)
        return when - now


class _Upstream:
    def __init__(self, name: str, slots: int, rpm: int | None) -> None:
        self.name = name
        self.slots = slots
        self.semaphore = asyncio.Semaphore(slots)
        self.rpm = RpmWindow(rpm) if rpm else None
        self.in_flight = 0


class _Slot:
    __slots__ = ("_deadline", "_limits", "_upstream")

    def __init__(self, limits: CallLimits, upstream: _Upstream, deadline: float | None) -> None:
        self._limits = limits
        self._upstream = upstream
        self._deadline = deadline

    async def __aenter__(self) -> None:
        await self._limits._acquire(self._upstream, self._deadline)

    async def __aexit__(self, *_exc: object) -> None:
        self._limits._release(self._upstream)


async def _acquire(
    semaphore: asyncio.Semaphore,
    deadline: float | None,
    timeout_error: Callable[[], CapacityTimeoutError],
) -> None:
    if not semaphore.locked():  # the usual case: no timer needed
        await semaphore.acquire()
        return
    try:
        async with asyncio.timeout_at(deadline):
            await semaphore.acquire()
    except TimeoutError as exc:
        raise timeout_error() from exc


class CallLimits:
    def __init__(self, resilience: ResilienceSettings) -> None:
        self._settings = resilience
        capacity = resilience.capacity
        self._global = asyncio.Semaphore(capacity.max_inflight_calls)
        self._upstreams: dict[str, _Upstream] = {}
        self.in_flight = 0

    def _upstream(self, name: str) -> _Upstream:
        upstream = self._upstreams.get(name)
        if upstream is None:
            limits = self._settings.upstreams.get(name)
            slots = self._settings.capacity.max_inflight_per_upstream
            if limits is not None and limits.max_inflight is not None:
                slots = limits.max_inflight
            upstream = _Upstream(name, slots, limits.rpm if limits else None)
            self._upstreams[name] = upstream
        return upstream

    def slot(self, upstream_name: str, *, deadline: float | None) -> _Slot:
        """Hold an in-flight slot for one call to ``upstream_name``; ``deadline`` is loop time."""
        return _Slot(self, self._upstream(upstream_name), deadline)

    async def _acquire(self, upstream: _Upstream, deadline: float | None) -> None:
        await _acquire(
            upstream.semaphore, deadline, lambda: self._timeout(upstream, "an in-flight slot")
        )
        try:
            if upstream.rpm is not None:
                loop = asyncio.get_running_loop()
                delay = upstream.rpm.reserve(loop.time(), deadline=deadline)
                if delay is None:
                    raise self._timeout(upstream, f"its {upstream.rpm.rpm} rpm budget")
                if delay > 0:
                    await asyncio.sleep(delay)
            await _acquire(
                self._global, deadline, lambda: self._timeout(upstream, "a global in-flight slot")
            )
        except BaseException:
            upstream.semaphore.release()
            raise
        upstream.in_flight += 1
        self.in_flight += 1

    def _release(self, upstream: _Upstream) -> None:
        upstream.in_flight -= 1
        self.in_flight -= 1
        self._global.release()
        upstream.semaphore.release()

    @staticmethod
    def _timeout(upstream: _Upstream, what: str) -> CapacityTimeoutError:
        return CapacityTimeoutError(
            f"no room within the call's deadline: waited for {what} of {upstream.name}",
            provider=upstream.name,
        )

    def stats(self) -> dict[str, Any]:
        capacity = self._settings.capacity
        return {
            "in_flight": self.in_flight,
            "max_inflight_calls": capacity.max_inflight_calls,
            "upstreams": {
                name: {
                    "in_flight": u.in_flight,
                    "max_inflight": u.slots,
                    "rpm": u.rpm.rpm if u.rpm else None,
                }
                for name, u in self._upstreams.items()
            },
        }
