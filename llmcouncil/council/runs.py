"""Starting, joining, retrying and cancelling runs; the one place that owns run tasks.

A run executes as its own task, detached from the request that started it, and publishes to a
``RunChannel``. A request streams by listening to the channel; a second request with the same
Idempotency-Key joins the same channel (or gets the stored result) instead of starting a second
council. When the last listener of a stream goes away, the run is cancelled, or left to finish in
the background when ``on_disconnect = "continue"``.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import uuid
from collections.abc import AsyncGenerator
from dataclasses import dataclass

from llmcouncil.config import Settings
from llmcouncil.council.events import CouncilEvent, RunChannel
from llmcouncil.council.pipeline import CouncilPipeline, RunContext
from llmcouncil.council.prompts import history_messages
from llmcouncil.council.results import RUN_RUNNING
from llmcouncil.council.spec import CouncilSpec, resolve_council
from llmcouncil.council.transcript import replay_events
from llmcouncil.errors import (
    ConflictError,
    ContentTooLargeError,
    NotFoundError,
    ValidationFailedError,
)
from llmcouncil.store.repository import DEFAULT_TITLE, Store

log = logging.getLogger(__name__)


@dataclass(slots=True)
class RunHandle:
    run_id: str
    conversation_id: str
    channel: RunChannel
    task: asyncio.Task[None] | None  # None: the run had already ended; the channel replays it

    async def events(self) -> AsyncGenerator[CouncilEvent, None]:
        async for event in self.channel.listen():
            yield event

    async def wait(self) -> None:
        if self.task is not None:
            await asyncio.shield(self.task)


class RunService:
    def __init__(
        self, *, store: Store, pipeline: CouncilPipeline, settings: Settings, simulated: bool
    ) -> None:
        self._store = store
        self._pipeline = pipeline
        self._settings = settings
        self._simulated = simulated
        self._active: dict[str, RunHandle] = {}
        self._starting: dict[tuple[str, str], asyncio.Future[RunHandle]] = {}
        self.worker_id = uuid.uuid4().hex

    @property
    def active_runs(self) -> int:
        return len(self._active)

    def active(self, run_id: str) -> RunHandle | None:
        """The live handle of a run executing in this process, if any."""
        return self._active.get(run_id)

    def validate_content(self, content: str) -> str:
        if not content.strip():
            raise ValidationFailedError("content is empty")
        limit = self._settings.limits.max_content_chars
        if len(content) > limit:
            raise ContentTooLargeError(
                f"content has {len(content)} characters; the limit is {limit}"
            )
        return content

    async def start(
        self,
        *,
        conversation_id: str,
        content: str,
        idempotency_key: str | None = None,
    ) -> RunHandle:
        content = self.validate_content(content)
        if not idempotency_key:
            return await self._start_new(conversation_id, content, None)
        slot = (conversation_id, idempotency_key)
        starting = self._starting.get(slot)
        if starting is not None:  # the same key is being started in this process right now
            return await asyncio.shield(starting)
        future: asyncio.Future[RunHandle] = asyncio.get_running_loop().create_future()
        self._starting[slot] = future  # before any await, so a concurrent twin finds it
        try:
            existing = await self._store.find_run_by_key(conversation_id, idempotency_key)
            if existing is not None:
                handle = await self._join(existing.id, conversation_id)
            else:
                handle = await self._start_new(conversation_id, content, idempotency_key)
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # waiters re-raise it; nobody waiting is fine too
            raise
        finally:
            self._starting.pop(slot, None)
        future.set_result(handle)
        return handle

    async def _start_new(
        self, conversation_id: str, content: str, idempotency_key: str | None
    ) -> RunHandle:
        conversation = await self._store.get_conversation(conversation_id)
        spec = resolve_council(
            self._settings,
            preset=conversation.preset,
            members=conversation.members,
            chairman=conversation.chairman,
        )
        run, message = await self._store.start_run(
            conversation_id=conversation_id,
            content=content,
            idempotency_key=idempotency_key,
            council=spec.as_dict(),
            seed=secrets.randbelow(2**31),
            simulated=self._simulated,
            worker_id=self.worker_id,
        )
        history = await self._store.history(conversation_id, before_seq=message.seq)
        ctx = RunContext(
            run_id=run.id,
            conversation_id=conversation_id,
            message_id=message.id,
            question=content,
            spec=spec,
            seed=run.seed,
            history=history_messages(history, max_chars=self._settings.limits.max_history_chars),
            make_title=message.seq == 1 and conversation.title == DEFAULT_TITLE,
            simulated=self._simulated,
        )
        return self._launch(ctx)

    async def retry(self, *, conversation_id: str, run_id: str) -> RunHandle:
        detail = await self._store.get_run(run_id)
        if detail.run.conversation_id != conversation_id:
            raise NotFoundError(f"run {run_id} does not exist")
        if run_id in self._active:
            raise ConflictError(f"run {run_id} is still running")
        run = await self._store.reset_for_retry(run_id, worker_id=self.worker_id)
        detail = await self._store.get_run(run_id)
        message = await self._store.get_message(run.message_id)
        conversation = await self._store.get_conversation(conversation_id)
        history = await self._store.history(conversation_id, before_seq=message.seq)
        ctx = RunContext(
            run_id=run.id,
            conversation_id=conversation_id,
            message_id=message.id,
            question=message.content,
            spec=CouncilSpec.from_dict(run.council),
            seed=run.seed,
            history=history_messages(history, max_chars=self._settings.limits.max_history_chars),
            make_title=message.seq == 1 and conversation.title == DEFAULT_TITLE,
            simulated=self._simulated,
            resume=detail,
        )
        return self._launch(ctx)

    def _launch(self, ctx: RunContext) -> RunHandle:
        channel = RunChannel()
        task = asyncio.create_task(self._pipeline.execute(ctx, channel), name=f"run-{ctx.run_id}")
        handle = RunHandle(
            run_id=ctx.run_id, conversation_id=ctx.conversation_id, channel=channel, task=task
        )
        self._active[ctx.run_id] = handle
        task.add_done_callback(lambda _t: self._active.pop(ctx.run_id, None))
        return handle

    async def _join(self, run_id: str, conversation_id: str) -> RunHandle:
        active = self._active.get(run_id)
        if active is not None:
            return active
        detail = await self._store.get_run(run_id)
        if detail.run.status == RUN_RUNNING:
            raise ConflictError(
                f"run {run_id} with this Idempotency-Key is in progress in another process"
            )
        channel = RunChannel()
        for event in replay_events(detail):
            channel.emit(event)
        return RunHandle(run_id=run_id, conversation_id=conversation_id, channel=channel, task=None)

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

    async def shutdown(self) -> None:
        tasks = [h.task for h in self._active.values() if h.task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
