"""Batches as a server (or the command line) sees them: submitted, watched, cancelled, read.

One ``BatchService`` per process. It checks a batch before anything is stored (questions,
preset, mode), writes it, and hands its id to the job queue (``jobs/``): with Redis the job
goes to ``council worker`` processes; without, it runs in this process. Every start enqueues
the unfinished batches again (``recover``), so a stopped process's batches go on. Progress is read
from the database, so any instance shows any batch's. A batch belongs to the person who
submitted it (its runs are theirs); others see a 404, administrators see all.
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict, dataclass

from llmcouncil.batches.repository import ACTIVE, Batch, BatchDraft, BatchItem, BatchStore
from llmcouncil.batches.runner import BatchRunner
from llmcouncil.config import Settings
from llmcouncil.council.governance import RunActor
from llmcouncil.council.runs import RunService
from llmcouncil.council.spec import CouncilSpec, resolve_council
from llmcouncil.errors import ConflictError, NotFoundError, StoreError, ValidationFailedError
from llmcouncil.jobs.deployment import job_queue
from llmcouncil.jobs.queue import InProcessJobQueue, JobQueue
from llmcouncil.store.repository import Store

KIND = "batch"
MAX_QUESTIONS = 1000
MAX_CONCURRENCY = 16
POLL_SECONDS = 0.5  # a long poll's reads of a batch another process runs


@dataclass(frozen=True, slots=True)
class Viewer:
    user_id: str | None  # None: local single-user mode
    sees_all: bool


@dataclass(frozen=True, slots=True)
class BatchPlan:
    questions: list[str]
    name: str = "batch"
    preset: str | None = None
    mode: str | None = None
    concurrency: int = 2


class BatchService:
    def __init__(
        self,
        *,
        runs: RunService,
        store: Store,
        settings: Settings,
        queue: JobQueue | None = None,
    ) -> None:
        self.runs = runs
        self.settings = settings
        self.batches = BatchStore(store.engine)
        self.runner = BatchRunner(runs=runs, store=store, batches=self.batches, settings=settings)
        self.queue: JobQueue = queue or job_queue(settings, {KIND: self.runner.run})

    def check(self, plan: BatchPlan) -> CouncilSpec:
        """Every problem of the plan as one 422, before anything is stored."""
        if not plan.questions:
            raise ValidationFailedError("a batch needs at least one question")
        if len(plan.questions) > MAX_QUESTIONS:
            raise ValidationFailedError(
                f"{len(plan.questions)} questions; a batch holds at most {MAX_QUESTIONS}"
            )
        if not 1 <= plan.concurrency <= MAX_CONCURRENCY:
            raise ValidationFailedError(f"concurrency must be 1-{MAX_CONCURRENCY}")
        for number, question in enumerate(plan.questions, start=1):
            if not question.strip():
                raise ValidationFailedError(f"question {number} is empty")
            try:
                self.runs.validate_content(question)
            except ValidationFailedError as exc:
                raise type(exc)(f"question {number}: {exc}") from exc
        try:
            return resolve_council(self.settings, preset=plan.preset, mode=plan.mode)
        except NotFoundError as exc:  # an unknown preset is a bad request here, not a 404
            raise ValidationFailedError(str(exc)) from exc

    async def submit(self, plan: BatchPlan, *, actor: RunActor | None) -> Batch:
        self.check(plan)
        batch = await self.batches.create(
            BatchDraft(
                user_id=actor.user_id if actor else None,
                actor=asdict(actor) if actor else None,
                name=plan.name,
                preset=plan.preset,
                mode=plan.mode,
                concurrency=plan.concurrency,
                questions=list(plan.questions),
            )
        )
        try:
            await self.queue.enqueue(KIND, batch.id)
        except StoreError as exc:  # the queue is down: the batch will not run, and says so
            await self.batches.finish(batch.id, "failed", error=str(exc))
            raise
        return batch

    async def recover(self) -> int:
        """At start-up, every unfinished batch is enqueued again. In-process: the batches a
        stopped process left run here. With Redis a job still waiting or running makes this a
        no-op, and a job Redis lost (a restart without persistence) is queued anew; either
        way the batch's claim lets only one instance run it."""
        unfinished = await self.batches.unfinished()
        for batch_id in unfinished:
            await self.queue.enqueue(KIND, batch_id)
        return len(unfinished)

    async def get(self, batch_id: str, *, viewer: Viewer) -> Batch:
        batch = await self.batches.get(batch_id)
        if not viewer.sees_all and batch.user_id != viewer.user_id:
            raise NotFoundError(f"batch {batch_id} does not exist")
        return batch

    async def visible(self, *, viewer: Viewer) -> list[Batch]:
        return await self.batches.of_user(user_id=None if viewer.sees_all else viewer.user_id)

    async def counts(self, batches: list[Batch]) -> dict[str, dict[str, int]]:
        return await self.batches.counts([b.id for b in batches])

    async def items(self, batch: Batch) -> list[BatchItem]:
        return await self.batches.items(batch.id)

    async def cancel(self, batch_id: str, *, viewer: Viewer) -> Batch:
        """Questions not started are skipped; those running finish (they are paid for)."""
        batch = await self.get(batch_id, viewer=viewer)
        if not await self.batches.finish(batch_id, "cancelled", error="cancelled"):
            raise ConflictError(f"batch {batch_id} is {batch.status}; only a live one is cancelled")
        await self.batches.skip_rest(batch_id, reason="cancelled")
        return await self.batches.get(batch_id)

    async def wait(self, batch_id: str, *, timeout: float) -> None:
        """Until the batch has ended, or ``timeout`` seconds (a long poll)."""
        if isinstance(self.queue, InProcessJobQueue):
            try:
                await asyncio.wait_for(self.queue.wait(KIND, batch_id), timeout)
            except TimeoutError:
                pass
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while (await self.batches.get(batch_id)).status in ACTIVE:
            left = deadline - loop.time()
            if left <= 0:
                return
            await asyncio.sleep(min(POLL_SECONDS, left))

    async def aclose(self) -> None:
        await self.queue.aclose()
