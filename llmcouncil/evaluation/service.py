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
from llmcouncil.errors import ConflictError, CouncilError, NotFoundError
from llmcouncil.evaluation.harness import (
    EvaluationHarness,
    EvaluationInterrupted,
    EvaluationPlan,
    Progress,
    planned_calls,
)
from llmcouncil.evaluation.jobs import InProcessJobRunner, JobRunner
from llmcouncil.evaluation.repository import Evaluation, EvaluationStore
from llmcouncil.store.repository import Store
from llmcouncil.store.tables import utcnow

log = logging.getLogger(__name__)


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
        self._launch(evaluation.id, actor)
        return evaluation

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
            "running": self.jobs.running(evaluation.id),
        }

    async def wait(self, evaluation_id: str, *, timeout: float) -> None:
        """Until the evaluation's job ends, or ``timeout`` seconds (a long poll)."""
        try:
            await asyncio.wait_for(self.jobs.wait(evaluation_id), timeout)
        except TimeoutError:
            pass

    async def aclose(self) -> None:
        await self.jobs.aclose()
