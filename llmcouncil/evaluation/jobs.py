"""Where an evaluation's work runs: a ``JobRunner``.

The server hands work to a runner and asks it whether a job is still going; it never holds the
task itself. ``InProcessJobRunner`` runs each job as a task of the server's own event loop, in
the embedded mode. With Redis, evaluations go to the shared job queue instead (``jobs/``) and
``EvaluationJobs`` runs them in ``council worker`` processes. A job is identified by the
caller's id (the evaluation's), so submitting a job that is already running is refused rather
than run twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

from llmcouncil.config import Settings
from llmcouncil.council.governance import RunActor
from llmcouncil.council.runs import RunService
from llmcouncil.errors import ConflictError, CouncilError, NotFoundError
from llmcouncil.evaluation.harness import EvaluationHarness, EvaluationInterrupted
from llmcouncil.evaluation.repository import EvaluationStore
from llmcouncil.store.repository import Store

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


class EvaluationJobs:
    """Evaluations as jobs of the shared queue (``jobs/``), run by ``council worker`` processes
    when the deployment has Redis; the job is the evaluation's id, everything else is in the
    database. A job delivered again (its worker died, or stopped) resumes the evaluation: its
    harness claims it (refused while a live instance runs it: then this job waits) and repeats
    no finished call."""

    KIND = "evaluation"

    def __init__(
        self,
        *,
        runs: RunService,
        store: Store,
        settings: Settings,
        simulated: bool,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.runs = runs
        self.store = store
        self.settings = settings
        self.simulated = simulated
        self.sleep = sleep
        self.evaluations = EvaluationStore(store.engine)

    async def run(self, evaluation_id: str) -> None:
        while True:
            try:
                evaluation = await self.evaluations.get(evaluation_id)
            except NotFoundError:
                return
            if evaluation.status == "complete":
                return
            harness = EvaluationHarness(
                runs=self.runs,
                store=self.store,
                evaluations=self.evaluations,
                settings=self.settings,
                actor=_actor(evaluation.options.get("actor")),
                simulated=self.simulated,
            )
            try:
                await harness.run(evaluation_id)
                return
            except ConflictError:  # a live instance runs it: wait for it to end, or to go
                await self.sleep(self.settings.instances.heartbeat)
            except (CouncilError, EvaluationInterrupted) as exc:  # its status says so
                log.info("evaluation %s stopped: %s", evaluation_id, exc)
                return


def _actor(stored: object) -> RunActor | None:
    if not isinstance(stored, dict):
        return None
    return RunActor(**{k: (None if v is None else str(v)) for k, v in stored.items()})
