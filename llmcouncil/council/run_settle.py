"""Where a run is settled: what happens once its stages have ended, whatever the outcome.

``RunSettler.run`` is the body of a run's task: the pipeline, then settlement. Settlement reads
the run back once (for whoever waits for its answer: ``stored``), then hands it to the gate
(ledger, budget, audit record: ``RunGate.finished``) and to the observers registered for settled
runs (``after_settle``: analytics and the like, each told once, its failures logged). ``settled``
lets readers of usage and audit, and a user's next admission, wait for runs still settling.

A stage hands over members it stopped waiting for but keeps running (``stragglers.late =
"keep"``) through ``keep_late``; they are stored as late when they end, even after the run has
finished, and settled again (``RunGate.late``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Sequence
from typing import Protocol

from llmcouncil.council.events import CouncilEvent, EventType, RunChannel
from llmcouncil.council.governance import RunGate, RunTicket
from llmcouncil.council.handover import handover_error
from llmcouncil.council.pipeline import CouncilPipeline, RunContext
from llmcouncil.council.stage_writes import after_answer_leaves
from llmcouncil.errors import HandedOverError, StorageError
from llmcouncil.records import CallRecord, RunStatus
from llmcouncil.store.records import RunDetail
from llmcouncil.store.repository import Store

log = logging.getLogger(__name__)


class SettledObserver(Protocol):
    """Told once of every run this process settles, after the gate (``detail`` is None when
    the run could not be read back)."""

    async def run_settled(self, run_id: str, detail: RunDetail | None) -> None: ...


class RunSettler:
    def __init__(
        self,
        *,
        store: Store,
        pipeline: CouncilPipeline,
        gate: RunGate,
        after_settle: Sequence[SettledObserver] = (),
    ) -> None:
        self._store = store
        self._pipeline = pipeline
        self._gate = gate
        self.after_settle = list(after_settle)  # after a run settles, these are called
        self._late: set[asyncio.Task[None]] = set()
        # Runs that have ended and are being settled: run id → (owner, done when settled).
        self._settling: dict[str, tuple[str | None, asyncio.Future[None]]] = {}

    async def run(
        self,
        ctx: RunContext,
        channel: RunChannel,
        *,
        ticket: RunTicket,
        stored: asyncio.Future[RunDetail],
        owner: str | None,
    ) -> None:
        """The run's task: the pipeline, then settlement; it never ends with an exception."""
        try:
            await self._pipeline.execute(ctx, channel)
        except Exception as exc:  # the pipeline ends its runs itself: this is the last guard
            log.exception("run %s broke outside the pipeline's handling", ctx.run_id)
            _end_stream(
                channel,
                run_id=ctx.run_id,
                code="internal_error",
                message=f"{type(exc).__name__}: {exc}",
            )
        finally:
            # A listener never waits for an event that will not come (no-op once ended).
            _end_stream(
                channel,
                run_id=ctx.run_id,
                code="interrupted",
                message="the run ended without a result",
            )
            # Usage, budget and audit are settled whatever the outcome, cancellation included.
            await asyncio.shield(self._settle(ctx, ticket=ticket, stored=stored, owner=owner))

    async def _settle(
        self,
        ctx: RunContext,
        *,
        ticket: RunTicket,
        stored: asyncio.Future[RunDetail],
        owner: str | None,
    ) -> None:
        """Read the run back once: for whoever waits for its result, then for the gate."""
        settling = asyncio.get_running_loop().create_future()
        self._settling[ctx.run_id] = (owner, settling)
        detail: RunDetail | None = None
        try:
            try:
                # Read back with the write that completed the run, or now (a run that failed,
                # was cancelled, or finished once its title was stored).
                detail = ctx.stored or await self._store.get_run(ctx.run_id)
                lost = self._store.fence.lost(ctx.run_id, attempt=detail.run.attempts)
                broken = lost or storage_failure_of(detail)
                if broken is not None:
                    raise broken
            except Exception as exc:
                stored.set_exception(exc)
                stored.exception()  # nobody waiting for it is fine too
            else:
                stored.set_result(detail)
                # The answer leaves before settlement's writes take the database thread;
                # readers who must see the settlement wait for ``settled``.
                await after_answer_leaves()
            if detail is not None and self._store.fence.lost(
                ctx.run_id, attempt=detail.run.attempts
            ):
                return  # the instance that took the run over settles it
            try:
                await self._gate.finished(ticket.grant, ctx.run_id, detail)
            except Exception:  # the run's task must end cleanly; nobody awaits it
                log.exception("could not settle run %s", ctx.run_id)
            for observer in self.after_settle:
                try:
                    await observer.run_settled(ctx.run_id, detail)
                except Exception:
                    log.exception("an observer of settled runs failed on run %s", ctx.run_id)
        finally:
            self._store.fence.release(ctx.run_id)  # this execution is over, whoever ended it
            del self._settling[ctx.run_id]
            settling.set_result(None)

    async def settled(self, user_id: str | None = None) -> None:
        """Until the runs that have ended are settled (usage, budgets, audit): those of
        ``user_id`` when given, else everybody's. Readers of usage and audit, and a user's next
        admission, wait for this, so they see the runs whose answers were already given."""
        pending = [
            waiter
            for owner, waiter in self._settling.values()
            if user_id is None or owner == user_id
        ]
        if pending:
            await asyncio.wait(pending)

    def keep_late(self, run_id: str, pending: Awaitable[CallRecord]) -> None:
        """Store a kept late call as late when it ends, and settle the run again."""

        async def store_when_done() -> None:
            record = await pending
            # stage=0 records the call without moving the run's stages_done (as the title does).
            await self._store.record_stage(run_id, stage=0, calls=[record])
            await self._gate.late(run_id)

        task = asyncio.create_task(store_when_done(), name=f"late-{run_id}")
        self._late.add(task)
        task.add_done_callback(self._late_done)

    def _late_done(self, task: asyncio.Task[None]) -> None:
        self._late.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("could not store a late answer: %s", task.exception())

    async def settle_late(self) -> None:
        """Wait until every kept late call has ended and been stored."""
        while self._late:
            await asyncio.gather(*self._late, return_exceptions=True)

    async def aclose(self) -> None:
        """Cancel kept late calls (server shutdown)."""
        tasks = list(self._late)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def storage_failure_of(detail: RunDetail) -> StorageError | HandedOverError | None:
    """The storage failure that ended this run, if one did: its client gets a 503, not the run.
    A run handed to another instance (council/handover.py) is a 503 ``handed_over`` too.

    A run still ``running`` once its task has ended is one whose end the database refused.
    """
    error = detail.run.error or {}
    handed_over = handover_error(error, detail.run.id)
    if handed_over is not None and detail.run.status == RunStatus.RUNNING:
        return handed_over
    if error.get("code") == StorageError.code:
        return StorageError(str(error.get("message") or "storage unavailable"))
    if detail.run.status == RunStatus.RUNNING:
        return StorageError("storage unavailable: the end of the run could not be stored")
    return None


def _end_stream(channel: RunChannel, *, run_id: str, code: str, message: str) -> None:
    if not channel.closed:
        channel.emit(
            CouncilEvent(EventType.ERROR, {"code": code, "message": message, "run_id": run_id})
        )
