"""The runs this process executes: launched, found by id, joined by a twin request, cancelled.

``LiveRuns.launch`` starts a prepared run's task (``RunSettler.run``, council/run_settle.py) with
its own ``RunChannel`` and ``contextvars.Context``, after telling every ``RunObserver`` of it, and
keeps its ``RunHandle`` until the task ends. The run holds its capacity slot until it is stored
(its settlement is not a council any more), or until its task ends, e.g. cancelled before it
began.

A request with an Idempotency-Key goes through ``start_or_join``: a twin of a request being
started in this process right now waits for the same handle; one whose run is already stored
joins it (the live run, or a replay of one that has ended), and only a new key starts a run.
A run executing in another process is not joined here: that is a conflict (409).

When the last listener of a run's stream goes away (``released``), the run is cancelled, or left
to finish in the background when ``on_disconnect = "continue"``.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Awaitable, Callable, Sequence

from llmcouncil.config import Settings
from llmcouncil.council.events import RunChannel
from llmcouncil.council.governance import RunActor, RunTicket
from llmcouncil.council.run_handle import RunHandle, RunObserver
from llmcouncil.council.run_settle import RunSettler
from llmcouncil.council.write_ahead import PreparedRun
from llmcouncil.errors import ConflictError, NotFoundError
from llmcouncil.records import RunStatus
from llmcouncil.resilience.limits import CapacitySlot
from llmcouncil.resilience.stragglers import late_sink
from llmcouncil.store.records import RunDetail
from llmcouncil.store.repository import Store

log = logging.getLogger(__name__)


class LiveRuns:
    def __init__(
        self,
        *,
        store: Store,
        settlement: RunSettler,
        settings: Settings,
        observers: Sequence[RunObserver] = (),
    ) -> None:
        self._store = store
        self._settlement = settlement
        self._settings = settings
        self._observers = list(observers)
        self._active: dict[str, RunHandle] = {}
        self._starting: dict[tuple[str, str], asyncio.Future[RunHandle]] = {}

    def __contains__(self, run_id: str) -> bool:
        return run_id in self._active

    @property
    def count(self) -> int:
        return len(self._active)

    def all(self) -> list[RunHandle]:
        return list(self._active.values())

    def get(self, run_id: str) -> RunHandle | None:
        return self._active.get(run_id)

    async def until_settled_if_ended(self, run_id: str) -> None:
        """A run that has ended and whose settlement alone was left: until its task ends."""
        ending = self._active.get(run_id)
        if ending is not None and ending.stored.done() and ending.task is not None:
            await asyncio.wait({ending.task})

    async def start_or_join(
        self, *, conversation_id: str, key: str, start: Callable[[], Awaitable[RunHandle]]
    ) -> RunHandle:
        """The run this Idempotency-Key names, started once (``start``): a twin request joins it."""
        slot = (conversation_id, key)
        starting = self._starting.get(slot)
        if starting is not None:  # the same key is being started in this process right now
            return await asyncio.shield(starting)
        future: asyncio.Future[RunHandle] = asyncio.get_running_loop().create_future()
        self._starting[slot] = future  # before any await, so a concurrent twin finds it
        try:
            existing = await self._store.find_run_by_key(conversation_id, key)
            if existing is not None:
                handle = await self._join(existing.id)
            else:
                handle = await start()
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # waiters re-raise it; nobody waiting is fine too
            raise
        finally:
            self._starting.pop(slot, None)
        future.set_result(handle)
        return handle

    async def _join(self, run_id: str) -> RunHandle:
        """The live run, or a replay of one that has ended."""
        active = self._active.get(run_id)
        if active is not None:
            return active
        detail = await self._store.get_run(run_id)
        if detail.run.status == RunStatus.RUNNING:
            raise ConflictError(
                f"run {run_id} with this Idempotency-Key is in progress in another process"
            )
        return RunHandle.replayed(detail)

    def launch(
        self,
        prepared: PreparedRun,
        *,
        slot: CapacitySlot,
        ticket: RunTicket,
        actor: RunActor | None,
        stream_tokens: bool,
    ) -> RunHandle:
        """Start the run's task; it holds its capacity slot until the run is stored."""
        ctx = prepared.ctx
        ctx.stream_tokens = stream_tokens
        run_id = ctx.run_id
        settlement = self._settlement
        channel = RunChannel()
        context = contextvars.copy_context()
        context.run(late_sink.set, lambda pending: settlement.keep_late(run_id, pending))
        for observer in self._observers:
            observer.run_started(ctx, channel, context)
        stored: asyncio.Future[RunDetail] = asyncio.get_running_loop().create_future()
        task = asyncio.create_task(
            settlement.run(
                ctx,
                channel,
                ticket=ticket,
                stored=stored,
                owner=actor.user_id if actor else None,
            ),
            name=f"run-{run_id}",
            context=context,
        )
        handle = RunHandle(
            run_id=run_id,
            conversation_id=ctx.conversation_id,
            channel=channel,
            task=task,
            vault=prepared.vault,
            notices=ticket.notices,
            stored=stored,
            handover=ctx.handover,
        )
        self._active[run_id] = handle

        # The slot is given back once the run is stored (its settlement is not a council any
        # more), or when the task ends, e.g. cancelled before it began.
        def ended(_task: asyncio.Task[None]) -> None:
            self._active.pop(run_id, None)
            slot.release()

        stored.add_done_callback(lambda _stored: slot.release())
        task.add_done_callback(ended)
        return handle

    async def cancel(self, *, conversation_id: str, run_id: str) -> bool:
        handle = self._active.get(run_id)
        if handle is None or handle.conversation_id != conversation_id:
            detail = await self._store.get_run(run_id)
            if detail.run.conversation_id != conversation_id:
                raise NotFoundError(f"run {run_id} does not exist")
            return False
        if handle.task is not None:
            handle.task.cancel()
            await asyncio.gather(handle.task, return_exceptions=True)
        return True

    def released(self, handle: RunHandle) -> None:
        """A streaming listener went away; cancel the run if nobody else is listening."""
        if handle.task is None or handle.task.done() or handle.channel.listeners > 0:
            return
        if self._settings.on_disconnect == "cancel":
            log.info("client disconnected; cancelling run %s", handle.run_id)
            handle.task.cancel()

    async def cancel_all(self) -> None:
        """Cancel every run this process executes, and wait until their tasks have ended."""
        tasks = [h.task for h in self._active.values() if h.task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
