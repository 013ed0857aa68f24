"""Where an evaluation's work runs: a ``JobRunner``.

The server hands work to a runner and asks it whether a job is still going; it never holds the
task itself. ``InProcessJobRunner`` runs each job as a task of the server's own event loop; a
real queue (workers beside the server) implements the same three methods and takes its place
at wiring time. A job is identified by the caller's id (the evaluation's), so submitting a job
that is already running is refused rather than run twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

from llmcouncil.errors import ConflictError

log = logging.getLogger(__name__)

Job = Callable[[], Awaitable[object]]


class JobRunner(Protocol):
    def submit(self, job_id: str, work: Job) -> None:
        """Start ``work`` under ``job_id``; ConflictError when that job is running."""
        ...

    def running(self, job_id: str) -> bool: ...

    async def wait(self, job_id: str) -> None:
        """Until the job has ended (at once when it is not running)."""
        ...

    async def aclose(self) -> None:
        """Stop every job (they are resumable) and wait for them to end."""
        ...


class InProcessJobRunner:
    def __init__(self) -> None:
        self._tasks: dict[str, asyncio.Task[object]] = {}

    def submit(self, job_id: str, work: Job) -> None:
        if self.running(job_id):
            raise ConflictError(f"job {job_id} is already running")

        async def guarded() -> object:
            try:
                return await work()
            except asyncio.CancelledError:
                raise
            except Exception:  # the job records its own failure; the loop must not lose it
                log.exception("job %s failed", job_id)
                return None

        task = asyncio.create_task(guarded(), name=f"job-{job_id}")
        self._tasks[job_id] = task
        task.add_done_callback(lambda _t: self._tasks.pop(job_id, None))

    def running(self, job_id: str) -> bool:
        task = self._tasks.get(job_id)
        return task is not None and not task.done()

    async def wait(self, job_id: str) -> None:
        """Until the job has ended (at once when it is not running)."""
        task = self._tasks.get(job_id)
        if task is not None:
            await asyncio.wait({task})

    async def aclose(self) -> None:
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
