"""Part of ``RunService`` (a base): what happens once a run has ended.

The run is read back once (for whoever waits for its answer, then for the gate's settlement:
ledger, budget, audit record); ``settled`` lets readers of usage and audit, and a user's next
admission, wait for runs still settling. The run's task carries a ``late_sink`` (a context
variable) through which a stage hands over members it stopped waiting for but keeps running
(``stragglers.late = "keep"``); they are stored as late when they end, even after the run has
finished, and settled again. A repeated Idempotency-Key joins a live run, or replays an ended one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable

from llmcouncil.council.events import CouncilEvent, EventType, RunChannel
from llmcouncil.council.governance import RunGate
from llmcouncil.council.pipeline import CouncilPipeline, RunContext
from llmcouncil.council.run_handle import RunHandle
from llmcouncil.council.stage_writes import before_thread_work
from llmcouncil.council.transcript import replay_events
from llmcouncil.errors import ConflictError, StorageError
from llmcouncil.records import CallRecord, RunStatus
from llmcouncil.store.records import RunDetail
from llmcouncil.store.repository import Store

log = logging.getLogger(__name__)


# Turns of the event loop a waiting request takes to send the answer once the run is stored:
# one for its task to wake, one for the response's body (uvicorn's send completes in its step).
_TURNS_TO_ANSWER = 2


class RunSettlement:
    """The attributes below are set by ``RunService``'s constructor."""

    _store: Store
    _pipeline: CouncilPipeline
    gate: RunGate
    _late: set[asyncio.Task[None]]
    _active: dict[str, RunHandle]
    # Runs that have ended and are being settled: run id → (owner, done when settled).
    _settling: dict[str, tuple[str | None, asyncio.Future[None]]]

    async def _execute(
        self,
        ctx: RunContext,
        channel: RunChannel,
        admission: object,
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
            await asyncio.shield(self._settle(ctx, admission, stored, owner))

    async def _settle(
        self,
        ctx: RunContext,
        admission: object,
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
                broken = storage_failure_of(detail)
                if broken is not None:
                    raise broken
            except Exception as exc:
                stored.set_exception(exc)
                stored.exception()  # nobody waiting for it is fine too
            else:
                stored.set_result(detail)
                # The answer leaves before settlement's writes take the database thread;
                # readers who must see the settlement wait for ``settled``.
                await before_thread_work(_TURNS_TO_ANSWER)
            try:
                await self.gate.finished(admission, ctx.run_id, detail)
            except Exception:  # the run's task must end cleanly; nobody awaits it
                log.exception("could not settle run %s", ctx.run_id)
        finally:
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

    def _keep_late(self, run_id: str, pending: Awaitable[CallRecord]) -> None:
        async def store_when_done() -> None:
            record = await pending
            # stage=0 records the call without moving the run's stages_done (as the title does).
            await self._store.record_stage(run_id, stage=0, calls=[record])
            await self.gate.late(run_id)

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

    async def _join(self, run_id: str, conversation_id: str) -> RunHandle:
        active = self._active.get(run_id)
        if active is not None:
            return active
        detail = await self._store.get_run(run_id)
        if detail.run.status == RunStatus.RUNNING:
            raise ConflictError(
                f"run {run_id} with this Idempotency-Key is in progress in another process"
            )
        channel = RunChannel()
        for event in replay_events(detail):
            channel.emit(event)
        handle = RunHandle(
            run_id=run_id,
            conversation_id=conversation_id,
            channel=channel,
            task=None,
            vault=detail.vault,
        )
        handle.stored.set_result(detail)
        return handle


def storage_failure_of(detail: RunDetail) -> StorageError | None:
    """The storage failure that ended this run, if one did: its client gets a 503, not the run.

    A run still ``running`` once its task has ended is one whose end the database refused.
    """
    error = detail.run.error or {}
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
