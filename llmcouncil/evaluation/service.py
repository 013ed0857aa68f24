"""Evaluations started from the server: created, run as jobs, watched, resumed.

One ``EvaluationService`` per server process, holding the job runner and the live progress of
the evaluations it runs. An evaluation belongs to the person who started it (its runs are
theirs: their budget, their audit records); others see a 404, administrators see all.

Several instances may share the database. An active evaluation names the instance running it
(``worker_id``); the instance heartbeat's sweep (``api/runtime.py``, at start-up and then every
beat) interrupts only those whose instance is gone (``EvaluationStore.interrupt_orphaned``), and
a resume is refused while a live instance runs it (``EvaluationStore.claim``), as for runs.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from llmcouncil.config import Settings
from llmcouncil.council.governance import RunActor
from llmcouncil.council.runs import RunService
from llmcouncil.errors import ConflictError, CouncilError, NotFoundError, StoreError
from llmcouncil.evaluation.harness import (
    EvaluationHarness,
    EvaluationInterrupted,
    EvaluationPlan,
    Progress,
    planned_calls,
)
from llmcouncil.evaluation.jobs import EvaluationJobs, InProcessJobRunner, JobRunner
from llmcouncil.evaluation.repository import Evaluation, EvaluationStore
from llmcouncil.jobs.deployment import job_queue, uses_workers
from llmcouncil.jobs.queue import JobQueue
from llmcouncil.store.repository import Store
from llmcouncil.store.tables import utcnow

log = logging.getLogger(__name__)

QUEUED_OR_ACTIVE = ("queued", "pending", "running")
POLL_SECONDS = 0.5  # a long poll's reads of an evaluation a worker runs


@dataclass(frozen=True, slots=True)
class Viewer:
    user_id: str | None  # None: local single-user mode
    sees_all: bool


class EvaluationService:
    def __init__(
        self,
        *,
        runs: RunService,
        store: Store,
        settings: Settings,
        simulated: bool,
        jobs: JobRunner | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.runs = runs
        self.store = store
        self.settings = settings
        self.simulated = simulated
        self.evaluations = EvaluationStore(store.engine)
        self.jobs: JobRunner = jobs or InProcessJobRunner()
        # With Redis the evaluations go to council worker processes (jobs.py, EvaluationJobs).
        self.queue: JobQueue | None = job_queue(settings, {}) if uses_workers(settings) else None
        self._clock = clock
        self._progress: dict[str, Progress] = {}

    def harness(self, actor: RunActor | None) -> EvaluationHarness:
        return EvaluationHarness(
            runs=self.runs,
            store=self.store,
            evaluations=self.evaluations,
            settings=self.settings,
            actor=actor,
            simulated=self.simulated,
        )

    async def start(self, plan: EvaluationPlan, *, actor: RunActor | None) -> Evaluation:
        evaluation = await self.harness(actor).create(plan)
        if self.queue is not None:
            return await self._enqueue(evaluation.id)
        self._launch(evaluation.id, actor)
        return evaluation

    async def _enqueue(self, evaluation_id: str) -> Evaluation:
        await self.evaluations.queue(evaluation_id)
        queue = self.queue
        assert queue is not None
        try:
            await queue.enqueue(EvaluationJobs.KIND, evaluation_id)
        except StoreError as exc:  # the queue is down: it will not run, and says so
            await self.evaluations.set_status(evaluation_id, "failed", error=str(exc))
            raise
        return await self.evaluations.get(evaluation_id)

    async def resume(self, evaluation_id: str, *, viewer: Viewer, actor: RunActor | None) -> None:
        evaluation = await self.get(evaluation_id, viewer=viewer)
        if evaluation.status == "complete":
            raise ConflictError(f"evaluation {evaluation_id} is complete")
        if self.jobs.running(evaluation_id):
            raise ConflictError(f"evaluation {evaluation_id} is already running")
        # Taken here, before the job starts: a 409 while another live instance runs it, and
        # shown as running at once.
        await self.evaluations.claim(
            evaluation_id,
            worker_id=self.runs.worker_id,
            lease=self.settings.instances.lease,
            now=self._clock(),
        )
        if self.queue is not None:
            await self._enqueue(evaluation_id)
            return
        self._launch(evaluation_id, actor)

    def _launch(self, evaluation_id: str, actor: RunActor | None) -> None:
        harness = self.harness(actor)

        def seen(progress: Progress) -> None:
            self._progress[evaluation_id] = progress

        async def work() -> None:
            try:
                await harness.run(evaluation_id, progress=seen)
            except (CouncilError, EvaluationInterrupted) as exc:  # its status says so already
                log.info("evaluation %s stopped: %s", evaluation_id, exc)

        self.jobs.submit(evaluation_id, work)

    async def get(self, evaluation_id: str, *, viewer: Viewer) -> Evaluation:
        evaluation = await self.evaluations.get(evaluation_id)
        if not viewer.sees_all and evaluation.user_id != viewer.user_id:
            raise NotFoundError(f"evaluation {evaluation_id} does not exist")
        return evaluation

    async def list(self, *, viewer: Viewer) -> list[Evaluation]:
        return await self.evaluations.list(user_id=None if viewer.sees_all else viewer.user_id)

    def active(self, evaluation: Evaluation) -> bool:
        """Whether its job is still to end: in this process, or (Redis) on a worker."""
        if self.queue is not None:
            return evaluation.status in QUEUED_OR_ACTIVE
        return self.jobs.running(evaluation.id)

    async def progress(self, evaluation: Evaluation) -> dict[str, Any]:
        live = self._progress.get(evaluation.id)
        if live is not None and self.jobs.running(evaluation.id):
            return {**live.as_dict(), "running": True}
        tasks = await self.evaluations.tasks(evaluation.id)
        done = sum(1 for t in tasks.values() if t.status in ("done", "failed"))
        return {
            "done": done,
            "total": planned_calls(evaluation),
            "failed": sum(1 for t in tasks.values() if t.status == "failed"),
            "reused": sum(1 for t in tasks.values() if (t.result or {}).get("reused")),
            "running": self.active(evaluation),
        }

    async def wait(self, evaluation_id: str, *, timeout: float) -> None:
        """Until the evaluation's job ends, or ``timeout`` seconds (a long poll)."""
        if self.queue is not None:  # run by a worker: read from the database
            loop = asyncio.get_running_loop()
            deadline = loop.time() + timeout
            while (await self.evaluations.get(evaluation_id)).status in QUEUED_OR_ACTIVE:
                if loop.time() >= deadline:
                    return
                await asyncio.sleep(min(POLL_SECONDS, deadline - loop.time()))
            return
        try:
            await asyncio.wait_for(self.jobs.wait(evaluation_id), timeout)
        except TimeoutError:
            pass

    async def aclose(self) -> None:
        await self.jobs.aclose()
        if self.queue is not None:
            await self.queue.aclose()
