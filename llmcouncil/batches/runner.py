"""Running a batch: the job behind ``POST /api/batches`` and ``council batch``.

A batch's job may be delivered more than once (a worker that died is swept, a server that
restarted enqueues its unfinished batches again), and it runs once all the same:

* the batch is *claimed* in the database for this instance (``BatchStore.claim``); another
  instance takes it over only once this one's heartbeat is older than the lease, and a second
  delivery to a live instance's batch waits for it to end instead of running beside it;
* each question is a run of the ordinary run machinery (``RunService``: gate, budgets, usage,
  audit, privacy) in a conversation of its own, written to the item before the run starts,
  with an idempotency key per item; a taken-over item finds its run and resumes it after its
  last stored stage (or reads it back when it had finished), so a finished call is not made
  again.

A run refused for the asker's budget (402) stops the batch: the questions not started are
skipped and the batch ends ``budget_exhausted``. A cancel (any instance) is seen before the
next question starts.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

from llmcouncil.batches.repository import ACTIVE, Batch, BatchItem, BatchStore, ItemResult
from llmcouncil.config import Settings
from llmcouncil.council.governance import RunActor
from llmcouncil.council.runs import RunHandle, RunService
from llmcouncil.errors import (
    BudgetExceededError,
    ConflictError,
    CouncilError,
    NotFoundError,
    OverloadedError,
    StoreError,
)
from llmcouncil.evaluation.execution import RunExecutor, RunOutcome, RunRequest
from llmcouncil.store.repository import Store
from llmcouncil.store.tables import utcnow

log = logging.getLogger(__name__)

SOURCE = "batch"
# A question refused for capacity or the asker's rate limit (429) waits its Retry-After (at
# most 30 s) and is asked again: a rate limit paces a batch rather than failing its questions.
OVERLOAD_RETRIES = 120
Sleep = Callable[[float], Awaitable[None]]


def actor_of(stored: dict[str, object] | None) -> RunActor | None:
    if stored is None:
        return None
    return RunActor(**{k: (str(v) if v is not None else None) for k, v in stored.items()})


def item_key(batch_id: str, position: int) -> str:
    return f"batch:{batch_id}:{position}"


@dataclass(slots=True)
class _Stop:
    budget: str | None = None


@dataclass(slots=True)
class _Slot:
    """The deliveries of one batch's job to this process, run one after the other."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0


class BatchRunner:
    def __init__(
        self,
        *,
        runs: RunService,
        store: Store,
        batches: BatchStore,
        settings: Settings,
        sleep: Sleep = asyncio.sleep,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.runs = runs
        self.store = store
        self.batches = batches
        self.settings = settings
        self.sleep = sleep  # between polls of another instance's batch or run; tests hand in theirs
        self.clock = clock
        self._running: dict[str, _Slot] = {}

    async def run(self, batch_id: str) -> None:
        """The batch's job: claim it, run its unfinished questions, record how it ended.

        A second delivery to this process waits for the first (the claim, by instance, would
        let it through)."""
        slot = self._running.setdefault(batch_id, _Slot())
        slot.users += 1
        try:
            async with slot.lock:
                await self._run(batch_id)
        finally:
            slot.users -= 1
            if slot.users == 0:
                del self._running[batch_id]

    async def _run(self, batch_id: str) -> None:
        try:
            batch = await self.batches.get(batch_id)
        except NotFoundError:
            return  # deleted while it waited
        if not await self._claim(batch):
            return
        stop = _Stop()
        try:
            await self._items(batch, stop)
        except Exception as exc:
            cause = _leaf(exc)  # the lanes' task group wraps what one of them raised
            if isinstance(cause, StoreError):
                raise cause from exc  # the database, not the batch: it stays running, retried
            log.exception("batch %s failed", batch_id)
            await self.batches.finish(batch_id, "failed", error=f"{type(cause).__name__}: {cause}")
            raise
        if stop.budget is not None:
            await self.batches.skip_rest(batch_id, reason=stop.budget)
            await self.batches.finish(batch_id, "budget_exhausted", error=stop.budget)
        elif (await self.batches.get(batch_id)).status in ACTIVE:
            await self.batches.finish(batch_id, "complete")

    async def _claim(self, batch: Batch) -> bool:
        """This instance's batch, once nobody else live runs it; False when it has ended."""
        while True:
            if batch.status not in ACTIVE:
                return False
            claimed = await self.batches.claim(
                batch.id,
                worker_id=self.runs.worker_id,
                lease=self.settings.instances.lease,
                now=self.clock(),
            )
            if claimed:
                return True
            log.info("batch %s is run by %s; waiting for it", batch.id, batch.worker_id)
            await self.sleep(self.settings.instances.heartbeat)
            batch = await self.batches.get(batch.id)

    async def _items(self, batch: Batch, stop: _Stop) -> None:
        todo = [i for i in await self.batches.items(batch.id) if i.status in ("pending", "running")]
        executor = RunExecutor(
            runs=self.runs,
            store=self.store,
            actor=actor_of(batch.actor),
            source=SOURCE,
            sleep=self.sleep,
        )

        async def lane() -> None:
            while todo and stop.budget is None:
                item = todo.pop(0)
                if (await self.batches.get(batch.id)).status not in ACTIVE:
                    return  # cancelled: its pending items were skipped by the cancel
                await self._item(executor, batch, item, stop)

        async with asyncio.TaskGroup() as group:
            for _ in range(max(1, min(batch.concurrency, len(todo)))):
                group.create_task(lane())

    async def _item(
        self, executor: RunExecutor, batch: Batch, item: BatchItem, stop: _Stop
    ) -> None:
        started = time.monotonic()
        try:
            outcome = await self._outcome(executor, batch, item, started=started)
        except StoreError:
            raise
        except BudgetExceededError as exc:
            stop.budget = str(exc)
            await self.batches.set_item(batch.id, item.position, status="skipped", error=str(exc))
            return
        except CouncilError as exc:  # refused by policy or rate, a run that could not start
            outcome = RunOutcome(ok=False, error=f"{type(exc).__name__}: {exc}")
        await self.batches.item_result(batch.id, item.position, _result(outcome))

    async def _outcome(
        self, executor: RunExecutor, batch: Batch, item: BatchItem, *, started: float
    ) -> RunOutcome:
        mode = batch.mode or "classic"  # how the answer is read; the run uses its own
        conversation_id = item.conversation_id
        if conversation_id is None:
            request = RunRequest(
                content=item.question,
                mode=mode,
                preset=batch.preset,
                title=f"{batch.name} #{item.position + 1}",
            )
            conversation_id = await executor.open(request)
            await self.batches.set_item(
                batch.id, item.position, status="running", conversation_id=conversation_id
            )
        run_id = item.run_id or await executor.latest_run(conversation_id)
        if run_id is None:
            handle = await self._start(executor.actor, batch, item, conversation_id)
            await self.batches.set_item(batch.id, item.position, run_id=handle.run_id)
            return await executor.finish(handle, mode=mode, started=started)
        if item.run_id is None:
            await self.batches.set_item(batch.id, item.position, run_id=run_id)
        return await self._resume(executor, run_id=run_id, conversation_id=conversation_id)

    async def _start(
        self, actor: RunActor | None, batch: Batch, item: BatchItem, conversation_id: str
    ) -> RunHandle:
        """The item's run (a capacity refusal waits its Retry-After and tries again)."""
        for attempt in range(OVERLOAD_RETRIES + 1):
            try:
                return await self.runs.start(
                    conversation_id=conversation_id,
                    content=item.question,
                    idempotency_key=item_key(batch.id, item.position),
                    actor=actor,
                    stream_tokens=False,
                    mode=batch.mode,
                )
            except OverloadedError as exc:
                if attempt == OVERLOAD_RETRIES:
                    raise
                await self.sleep(min(30.0, float(exc.retry_after or 1)))
        raise AssertionError("unreachable")

    async def _resume(
        self, executor: RunExecutor, *, run_id: str, conversation_id: str
    ) -> RunOutcome:
        """A run started before a crash: read back, or resumed once its instance is gone."""
        while True:
            try:
                outcome = await executor.resume(run_id, conversation_id=conversation_id)
            except ConflictError:  # its instance's heartbeat is still within the lease
                await self.sleep(self.settings.instances.heartbeat)
                continue
            if outcome is None:
                return RunOutcome(ok=False, error="the question's conversation was deleted")
            return outcome


def _leaf(exc: Exception) -> Exception:
    while isinstance(exc, ExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


def _result(outcome: RunOutcome) -> ItemResult:
    return ItemResult(
        ok=outcome.ok,
        answer=outcome.text if outcome.ok else None,
        error=outcome.error,
        cost=outcome.cost,
        prompt_tokens=outcome.prompt_tokens,
        completion_tokens=outcome.completion_tokens,
        calls=outcome.calls,
        latency_ms=outcome.latency_ms or None,
    )
