"""A queue of background jobs, and the in-process one for a single machine.

A job is a *kind* (``batch``) and a *key* (the batch's id): everything else it needs is in the
database, so a job is small, and a job delivered twice finds its own progress there. Enqueuing
a job that is waiting or running is a no-op, in every implementation. Two implementations:

* ``InProcessJobQueue``: each job is a task of this process's event loop, for the embedded
  single-machine mode (SQLite, no Redis). A crash loses the tasks, not the jobs: the database
  still says what was unfinished, and the next start enqueues it again.
* ``RedisJobQueue`` (``saq_queue.py``): jobs go to Redis and ``council worker`` processes run
  them (SAQ); a worker that dies stops beating, and a sweep hands its jobs to another.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Protocol

log = logging.getLogger(__name__)

# What a job runs: its key in; it records its own outcome in the database (what it returns is
# for its callers in-process, and ignored by the queue).
JobHandler = Callable[[str], Awaitable[object]]


class JobQueue(Protocol):
    @property
    def engine(self) -> str:
        """``local`` or ``redis``: shown by the API, so a client knows where its job runs."""
        ...

    async def enqueue(self, kind: str, key: str) -> None:
        """Run ``kind`` for ``key`` once; a no-op when that job is waiting or running."""
        ...

    async def aclose(self) -> None: ...


class InProcessJobQueue:
    """Jobs as tasks of this event loop, one at a time per key."""

    def __init__(self, handlers: Mapping[str, JobHandler]) -> None:
        self._handlers = dict(handlers)
        self._tasks: dict[tuple[str, str], asyncio.Task[None]] = {}

    @property
    def engine(self) -> str:
        return "local"

    async def enqueue(self, kind: str, key: str) -> None:
        handler = self._handlers.get(kind)
        if handler is None:
            raise KeyError(f"no handler for jobs of kind {kind!r}")
        slot = (kind, key)
        running = self._tasks.get(slot)
        if running is not None and not running.done():
            return

        async def guarded() -> None:
            try:
                await handler(key)
            except asyncio.CancelledError:
                raise
            except Exception:  # the job records its own failure; the loop must not lose it
                log.exception("job %s %s failed", kind, key)

        task = asyncio.create_task(guarded(), name=f"job-{kind}-{key}")
        self._tasks[slot] = task
        task.add_done_callback(lambda done: self._forget(slot, done))

    def _forget(self, slot: tuple[str, str], task: asyncio.Task[None]) -> None:
        if self._tasks.get(slot) is task:
            del self._tasks[slot]

    def keys(self, kind: str) -> list[str]:
        """The keys of the jobs of ``kind`` running now."""
        return [key for (k, key), task in self._tasks.items() if k == kind and not task.done()]

    def running(self, kind: str, key: str) -> bool:
        task = self._tasks.get((kind, key))
        return task is not None and not task.done()

    async def wait(self, kind: str, key: str) -> None:
        """Until the job has ended (at once when it is not running)."""
        task = self._tasks.get((kind, key))
        if task is not None:
            await asyncio.wait({task})

    async def aclose(self) -> None:
        """Stop every job; each one's state is in the database, so it resumes at the next start."""
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
