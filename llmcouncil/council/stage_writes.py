"""A stage is written while the next one's calls are already on their way.

A completed stage is stored before the run can be marked complete and before anything of the
next stage is shown: the next stage's events are held (``_HeldEvents``) until the write has
committed, then the previous stage's ``*_complete`` and the next stage's events go out in their
usual order. Only the upstream calls start early, so a stage write (milliseconds alone, up to a
second or more under hundreds of concurrent councils) no longer sits between two stages.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from llmcouncil.council.events import CouncilEvent
from llmcouncil.council.handover import HandoverSignal, RunHandedOver
from llmcouncil.council.stage_events import StageEvents

T = TypeVar("T")

# The events that announce a stored stage: made up front, or once the write has committed.
Announcement = list[CouncilEvent] | Callable[[], list[CouncilEvent]]

log = logging.getLogger(__name__)


class _HeldEvents:
    """An emit that holds events until ``release``, then passes them (and later ones) on."""

    def __init__(self, emit: Callable[[CouncilEvent], None]) -> None:
        self._emit = emit
        self._held: list[CouncilEvent] | None = []

    def __call__(self, event: CouncilEvent) -> None:
        if self._held is None:
            self._emit(event)
        else:
            self._held.append(event)

    def release(self) -> None:
        held, self._held = self._held or [], None
        for event in held:
            self._emit(event)


# Thread work waits for the loop's critical moments. A write (on the store's writer thread)
# shares the interpreter lock with the event loop: from the moment it is handed over, its Python
# competes with whatever the loop was about to do. Where that is on a council's critical path,
# the loop goes first, for as many turns as that moment takes to reach the socket. These are the
# only two such moments, and this is the one place that counts their turns.
# The next stage's calls: one turn for the stage to create its call tasks, one for their set-up,
# one for aiohttp's writes of the request bodies (a task of their own before Python 3.12).
_TURNS_TO_SEND = 3
# A finished run's answer: one turn for the waiting request's task to wake, one for the
# response's body (uvicorn's send completes in its step).
_TURNS_TO_ANSWER = 2


async def _loop_turns(turns: int) -> None:
    for _ in range(turns):
        await asyncio.sleep(0)


async def after_requests_leave() -> None:
    """Before a finished stage's write: the next stage's requests are on the wire first (handed
    over first, a stage write held them back by 0.4–0.9 ms)."""
    await _loop_turns(_TURNS_TO_SEND)


async def after_answer_leaves() -> None:
    """Before settlement's writes: the waiting request has taken the run's answer first (handed
    over first, settlement held the answer back by 0.3–0.5 ms)."""
    await _loop_turns(_TURNS_TO_ANSWER)


async def set_when_done(write: Awaitable[T], done: asyncio.Event) -> T:
    """``write``'s result; ``done`` is set when it ends, whatever the outcome."""
    try:
        return await write
    finally:
        done.set()


async def await_write(write: Awaitable[object] | None) -> None:
    if write is not None:
        await write


async def announce_when_stored(
    write: Awaitable[object] | None, announce: Announcement, *, events: StageEvents
) -> None:
    await await_write(write)
    for event in _made(announce):
        events.emit(event)


async def behind_write(
    write: Awaitable[object] | None,
    announce: Announcement,
    *,
    events: StageEvents,
    next_stage: Callable[[StageEvents], Awaitable[T]],
) -> T:
    """Run ``next_stage`` while the previous stage is written, its events held until then.

    The next stage's calls leave at once, but a client sees the previous stage complete (and
    anything of the next) only once that stage is stored, and a failed write fails the run
    before the next stage's result is used: what is announced is what a crash would keep.
    """
    if write is None:
        for event in _made(announce):
            events.emit(event)
        return await next_stage(events)
    held = _HeldEvents(events.emit)
    upcoming = asyncio.ensure_future(next_stage(events.redirected(held)))
    try:
        await after_requests_leave()
    except BaseException:
        # Cancelled before the write began: the finished stage is still stored, so a retry
        # resumes after it (and the write is never left an un-awaited coroutine).
        upcoming.cancel()
        await asyncio.gather(upcoming, return_exceptions=True)
        await _finish_anyway(write)
        raise
    try:
        await write
    except BaseException:
        upcoming.cancel()
        await asyncio.gather(upcoming, return_exceptions=True)
        raise
    for event in _made(announce):
        events.emit(event)
    held.release()
    return await upcoming


async def _finish_anyway(write: Awaitable[object]) -> None:
    """Run ``write`` to its end although the caller is being cancelled; its failure is logged."""
    task = asyncio.ensure_future(write)
    await asyncio.wait({task})
    if not task.cancelled() and task.exception() is not None:
        log.error("could not store a finished stage of a cancelled run: %s", task.exception())


class StageWriter:
    """Owns the one finished stage whose write is in flight, and its overlap with the next.

    A step that finishes a stage hands its write here (``begin``) with the events that say so
    (``*_complete``); the next step either starts behind it (``behind``: its calls leave while
    the write runs, its events held until the write commits) or waits for it (``settle``).
    """

    def __init__(self, events: StageEvents, *, handover: HandoverSignal | None = None) -> None:
        self.events = events
        self._handover = handover
        self._write: Awaitable[object] | None = None
        self._done: Announcement = []

    def begin(self, write: Awaitable[object] | None, *, done: Announcement) -> None:
        """``write`` (None: the stage was already stored) and the events announcing it: a list,
        or a function that makes them once the write has committed (from what it wrote)."""
        if self._write is not None:  # never left an un-awaited coroutine
            raise RuntimeError("a stage write is already in flight")
        self._write, self._done = write, done

    def _take(self, then: list[CouncilEvent]) -> tuple[Awaitable[object] | None, Announcement]:
        write, done = self._write, self._done
        self._write, self._done = None, []
        return write, _joined(done, then)

    async def behind(
        self, then: list[CouncilEvent], next_stage: Callable[[StageEvents], Awaitable[T]]
    ) -> T:
        """``next_stage`` run behind the pending write; ``then`` announced after its events.

        This is a stage boundary: a run asked to hand over (council/handover.py) stops here,
        its finished stage stored and announced, before the next stage's calls leave."""
        if self._handover is not None and self._handover.at_boundary:
            await self.settle()
            raise RunHandedOver
        write, announce = self._take(then)
        return await behind_write(write, announce, events=self.events, next_stage=next_stage)

    async def settle(self, then: list[CouncilEvent] | None = None) -> None:
        """Wait for the pending write, then announce it (and ``then``)."""
        write, announce = self._take(then or [])
        await announce_when_stored(write, announce, events=self.events)

    async def flush(self) -> None:
        """Wait for the pending write without announcing it (the run failed before its end)."""
        write, self._write = self._write, None
        await await_write(write)


def _made(announce: Announcement) -> list[CouncilEvent]:
    return announce() if callable(announce) else announce


def _joined(done: Announcement, then: list[CouncilEvent]) -> Announcement:
    if not then:
        return done
    if callable(done):
        return lambda: [*done(), *then]
    return [*done, *then]
