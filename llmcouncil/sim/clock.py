"""Waking on time: a call's first token and its end come when its plan says, to the 0.1 ms.

asyncio wakes its loop through ``epoll``, whose timeout is whole milliseconds rounded up, so a
plain ``asyncio.sleep`` ends 0–1 ms late (0.66 ms on average, measured here). For a simulated
upstream that is part of every call it serves: three stages of 200 ms would take 2 ms longer
than configured, which a benchmark would then charge to the server it measures. On Linux a
``timerfd`` (nanoseconds, ``CLOCK_MONOTONIC``, the clock of ``loop.time()``) is registered with
the loop and armed for the earliest deadline waiting; its wake-up runs the loop's timer, which
is due by then. Elsewhere, or where ``timerfd`` is unavailable, ``wait_until`` is a plain sleep.

Only the moments that make a call's timing (its first chunk and its last) use this; the chunks
in between keep the loop's own millisecond timers, so thousands of concurrent streams do not
turn into thousands of wake-ups a second.
"""

from __future__ import annotations

import asyncio
import ctypes
import heapq
import logging
import math
import os
import sys
import weakref

log = logging.getLogger(__name__)

_CLOCK_MONOTONIC = 1
_TFD_NONBLOCK = os.O_NONBLOCK
_TFD_CLOEXEC = os.O_CLOEXEC
_TFD_TIMER_ABSTIME = 1


class _Timespec(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]


class _Itimerspec(ctypes.Structure):
    _fields_ = [("it_interval", _Timespec), ("it_value", _Timespec)]


class _TimerFd:
    """One ``timerfd`` on one loop, armed for the earliest deadline still waiting."""

    def __init__(self, loop: asyncio.AbstractEventLoop, libc: ctypes.CDLL, fd: int) -> None:
        self._loop = loop
        self._libc = libc
        self._fd = fd
        self._deadlines: list[float] = []
        self._armed: float | None = None
        loop.add_reader(fd, self._fired)

    def wake_at(self, deadline: float) -> None:
        heapq.heappush(self._deadlines, deadline)
        if self._armed is None or deadline < self._armed:
            self._arm(deadline)

    def _arm(self, deadline: float) -> None:
        # Rounded up: waking a nanosecond early would find the loop's timer not yet due.
        seconds, nanoseconds = divmod(max(1, math.ceil(deadline * 1e9)), 1_000_000_000)
        spec = _Itimerspec(_Timespec(0, 0), _Timespec(seconds, nanoseconds))
        if self._libc.timerfd_settime(self._fd, _TFD_TIMER_ABSTIME, ctypes.byref(spec), None):
            raise OSError(ctypes.get_errno(), "timerfd_settime failed")
        self._armed = deadline

    def _fired(self) -> None:
        try:
            os.read(self._fd, 8)
        except BlockingIOError:
            pass
        now = self._loop.time()
        while self._deadlines and self._deadlines[0] <= now:
            heapq.heappop(self._deadlines)
        self._armed = None
        if self._deadlines:
            self._arm(self._deadlines[0])

    def close(self) -> None:
        self._loop.remove_reader(self._fd)
        os.close(self._fd)


_TIMERS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _TimerFd | None] = (
    weakref.WeakKeyDictionary()
)


def _timer_of(loop: asyncio.AbstractEventLoop) -> _TimerFd | None:
    if loop in _TIMERS:
        return _TIMERS[loop]
    timer: _TimerFd | None = None
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            fd = libc.timerfd_create(_CLOCK_MONOTONIC, _TFD_NONBLOCK | _TFD_CLOEXEC)
            if fd < 0:
                raise OSError(ctypes.get_errno(), "timerfd_create failed")
            timer = _TimerFd(loop, libc, fd)
        except (OSError, AttributeError, NotImplementedError) as exc:
            log.info("precise timers unavailable (%s); waits may end up to 1 ms late", exc)
    _TIMERS[loop] = timer
    return timer


def close_timer(loop: asyncio.AbstractEventLoop) -> None:
    """Give back the loop's timerfd (the simulator's shutdown)."""
    timer = _TIMERS.pop(loop, None)
    if timer is not None:
        timer.close()


async def wait_until(deadline: float, *, precise: bool = False) -> None:
    """Return once ``loop.time()`` has reached ``deadline``; ``precise``: to the 0.1 ms."""
    loop = asyncio.get_running_loop()
    if deadline <= loop.time():
        return
    timer = _timer_of(loop) if precise else None
    waiter = loop.create_future()
    # call_at, not sleep(delay): the handle is due at exactly ``deadline``, the moment the
    # timerfd wakes the loop (sleep would add the time its own clock reading took).
    handle = loop.call_at(deadline, _release, waiter)
    if timer is not None:
        timer.wake_at(deadline)
    try:
        await waiter
    finally:
        handle.cancel()


def _release(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)
