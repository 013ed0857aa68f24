"""Starting, joining, retrying and cancelling runs; the one place that owns run tasks.

A run executes as its own task, detached from the request that started it, and publishes to a
``RunChannel``. A request streams by listening to the channel; a second request with the same
Idempotency-Key joins the same channel (or gets the stored result) instead of starting a second
council. When the last listener of a stream goes away, the run is cancelled, or left to finish in
the background when ``on_disconnect = "continue"``.

Every new or retried run first takes a slot from the ``AdmissionGate``: past the bounded queue
it is refused with ``OverloadedError`` (HTTP 429 with Retry-After) before anything is stored.
What follows a run's end (read-back, settlement, late members, joining an ended run) is in
``run_settlement.py``.

Observers (logging context, metrics, tracing) are told of every run this process launches, with
its channel and the ``contextvars.Context`` its task will run in, before the task starts.
API clients that keep their own history (``/v1/chat/completions``) start with
``open_conversation``: a new conversation seeded with their earlier turns, then a run.

Privacy: before anything is stored or sent, ``PrivacyGuard.protect`` applies the preset's
``pii_policy`` to the question, the history and a client's system prompt, under a per-conversation
lock; the run, the stored message and the prompts of every stage only hold placeholders. A
handle restores the originals in the events it yields (``StreamRestorer``).
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import uuid
from collections.abc import Sequence

from llmcouncil.config import Settings
from llmcouncil.council.events import RunChannel
from llmcouncil.council.governance import (
    MayWrite,
    OpenGate,
    RunActor,
    RunGate,
    check_may_write,
    current_actor,
)
from llmcouncil.council.pipeline import CouncilPipeline, RunContext
from llmcouncil.council.run_handle import RunHandle, RunObserver
from llmcouncil.council.run_preparation import ALL_TURNS, RunPreparation
from llmcouncil.council.run_settlement import RunSettlement
from llmcouncil.council.seeded_turns import seed_conversation
from llmcouncil.council.spec import CouncilSpec, resolve_council
from llmcouncil.errors import (
    ConflictError,
    ContentTooLargeError,
    NotFoundError,
    ValidationFailedError,
)
from llmcouncil.privacy.policy import PrivacyGuard, preset_policy
from llmcouncil.privacy.vault import PiiVault
from llmcouncil.resilience.call_plan import stream_tokens as stream_tokens_var
from llmcouncil.resilience.limits import AdmissionGate
from llmcouncil.resilience.stragglers import late_sink
from llmcouncil.store.records import RunDetail
from llmcouncil.store.repository import Store

__all__ = ["RunHandle", "RunObserver", "RunService"]

log = logging.getLogger(__name__)


class RunService(RunPreparation, RunSettlement):
    def __init__(
        self,
        *,
        store: Store,
        pipeline: CouncilPipeline,
        settings: Settings,
        simulated: bool,
        admission: AdmissionGate | None = None,
        observers: Sequence[RunObserver] = (),
        privacy: PrivacyGuard | None = None,
        gate: RunGate | None = None,
    ) -> None:
        self.gate: RunGate = gate or OpenGate()
        self.privacy = privacy or PrivacyGuard.in_memory(settings)
        self._observers = list(observers)
        self._store = store
        self._pipeline = pipeline
        self._settings = settings
        self._simulated = simulated
        self.admission = admission or AdmissionGate(settings.resilience.capacity)
        self._late: set[asyncio.Task[None]] = set()
        self._active: dict[str, RunHandle] = {}
        self._starting: dict[tuple[str, str], asyncio.Future[RunHandle]] = {}
        self._retrying: set[str] = set()  # runs being reset for a retry, before their launch
        # Runs that have ended and are being settled: run id → (owner, done when settled).
        self._settling: dict[str, tuple[str | None, asyncio.Future[None]]] = {}
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
        system_prompt: str | None = None,
        actor: RunActor | None = None,
        stream_tokens: bool = True,
        may_write: MayWrite | None = None,
    ) -> RunHandle:
        """``system_prompt`` (an API client's own) is added to the stage-1 and stage-3 prompts.

        ``stream_tokens=False``: the caller only waits for the result, so no ``model_delta``
        events are sent (upstream calls still stream, for their first-token deadlines).
        ``may_write``: whether the caller may add to a conversation owned by the given user;
        applied to the conversation as read for the run (the same read, under the privacy
        lock), and a conversation the caller may not change does not exist for it.
        """
        previous = stream_tokens_var.set(stream_tokens)  # the run's task copies this context
        try:
            return await self._start(
                conversation_id=conversation_id,
                content=content,
                idempotency_key=idempotency_key,
                system_prompt=system_prompt,
                actor=actor,
                may_write=may_write,
            )
        finally:
            stream_tokens_var.reset(previous)

    async def _start(
        self,
        *,
        conversation_id: str,
        content: str,
        idempotency_key: str | None,
        system_prompt: str | None,
        actor: RunActor | None,
        may_write: MayWrite | None,
    ) -> RunHandle:
        content = self.validate_content(content)
        actor = actor or current_actor.get()
        if not idempotency_key:
            return await self._start_new(
                conversation_id, content, None, system_prompt, actor, may_write
            )
        if may_write is not None:  # before a run of the conversation can be joined by its key
            check_may_write(may_write, await self._store.get_conversation(conversation_id))
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
                handle = await self._start_new(
                    conversation_id, content, idempotency_key, system_prompt, actor, may_write
                )
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # waiters re-raise it; nobody waiting is fine too
            raise
        finally:
            self._starting.pop(slot, None)
        future.set_result(handle)
        return handle

    async def open_conversation(
        self,
        *,
        content: str,
        preset: str | None = None,
        history: Sequence[tuple[str, str]] = (),
        system_prompt: str | None = None,
        actor: RunActor | None = None,
        stream_tokens: bool = True,
        source: str = "v1",
    ) -> RunHandle:
        """A new conversation holding ``history`` ((question, answer) pairs), then a run.

        The turns are stored as finished, client-supplied runs, so the stored conversation reads
        as the client's dialogue and follow-ups (in the web UI too) carry it as history.
        """
        content = self.validate_content(content)
        actor = actor or current_actor.get()
        spec = resolve_council(self._settings, preset=preset)  # an unknown preset stores nothing
        conversation = await self._store.create_conversation(
            preset=preset, user_id=actor.user_id if actor else None, source=source
        )
        try:
            await seed_conversation(
                store=self._store,
                privacy=self.privacy,
                conversation_id=conversation.id,
                content=content,
                history=history,
                system_prompt=system_prompt,
                policy=preset_policy(self._settings, spec.preset),
            )
            return await self.start(
                conversation_id=conversation.id,
                content=content,
                system_prompt=system_prompt,
                actor=actor,
                stream_tokens=stream_tokens,
            )
        except BaseException:
            await asyncio.shield(self._store.delete_conversation(conversation.id))
            raise

    async def _start_new(
        self,
        conversation_id: str,
        content: str,
        idempotency_key: str | None,
        system_prompt: str | None = None,
        actor: RunActor | None = None,
        may_write: MayWrite | None = None,
    ) -> RunHandle:
        await self.admission.enter()
        try:
            return await self._create(
                conversation_id, content, idempotency_key, system_prompt, actor, may_write
            )
        except BaseException:
            self.admission.leave()
            raise

    async def _create(
        self,
        conversation_id: str,
        content: str,
        idempotency_key: str | None,
        system_prompt: str | None,
        actor: RunActor | None,
        may_write: MayWrite | None,
    ) -> RunHandle:
        # One read of the conversation (its vault as of now, under the lock) and its history.
        async with self.privacy.writing(conversation_id):
            conversation, history = await self._store.conversation_with_history(
                conversation_id, before_seq=ALL_TURNS
            )
            if may_write is not None:
                check_may_write(may_write, conversation)
            spec = resolve_council(
                self._settings,
                preset=conversation.preset,
                members=conversation.members,
                chairman=conversation.chairman,
            )
            if actor is not None and actor.user_id is not None:
                await self.settled(actor.user_id)  # budgets see this user's earlier runs
            admission = await self.gate.admit(actor, spec)  # may refuse: nothing is stored yet
            try:
                ctx, vault = await self._write_ahead(
                    conversation,
                    history,
                    spec=spec,
                    content=content,
                    idempotency_key=idempotency_key,
                    system_prompt=system_prompt,
                    actor=actor,
                )
                owner = actor.user_id if actor else None
                return self._launch(ctx, vault=vault, admission=admission, owner=owner)
            except BaseException:
                await asyncio.shield(self.gate.release(admission))
                raise

    async def retry(
        self, *, conversation_id: str, run_id: str, actor: RunActor | None = None
    ) -> RunHandle:
        actor = actor or current_actor.get()
        detail = await self._store.get_run(run_id)
        if detail.run.conversation_id != conversation_id:
            raise NotFoundError(f"run {run_id} does not exist")
        ending = self._active.get(run_id)
        if ending is not None and ending.stored.done() and ending.task is not None:
            await asyncio.wait({ending.task})  # it has ended; only its settlement was left
        if run_id in self._active or run_id in self._retrying:
            raise ConflictError(f"run {run_id} is still running")
        if detail.run.council.get("seeded"):
            raise ConflictError(f"run {run_id} holds a turn an API client supplied; it never ran")
        self._retrying.add(run_id)
        try:
            await self.admission.enter()
            try:
                if actor is not None and actor.user_id is not None:
                    await self.settled(actor.user_id)
                spec = CouncilSpec.from_dict(detail.run.council)
                admission = await self.gate.admit(actor, spec)
            except BaseException:
                self.admission.leave()
                raise
            try:
                # Not executing here (checked above): a row this process left ``running``
                # because the database failed under it is not live, and may be reset.
                ctx, vault = await self._prepare_retry(conversation_id, run_id)
                owner = actor.user_id if actor else None
                return self._launch(ctx, vault=vault, admission=admission, owner=owner)
            except BaseException:
                self.admission.leave()
                await asyncio.shield(self.gate.release(admission))
                raise
        finally:
            self._retrying.discard(run_id)

    def _launch(
        self,
        ctx: RunContext,
        *,
        vault: PiiVault | None = None,
        admission: object = None,
        owner: str | None = None,
    ) -> RunHandle:
        """Start the run's task; it holds an admission slot until the run is stored."""
        channel = RunChannel()
        context = contextvars.copy_context()
        run_id = ctx.run_id
        context.run(late_sink.set, lambda pending: self._keep_late(run_id, pending))
        for observer in self._observers:
            observer.run_started(ctx, channel, context)
        stored: asyncio.Future[RunDetail] = asyncio.get_running_loop().create_future()
        task = asyncio.create_task(
            self._execute(ctx, channel, admission, stored, owner),
            name=f"run-{run_id}",
            context=context,
        )
        handle = RunHandle(
            run_id=run_id,
            conversation_id=ctx.conversation_id,
            channel=channel,
            task=task,
            vault=vault,
            notices=tuple(getattr(admission, "warnings", ())),
            stored=stored,
        )
        self._active[run_id] = handle
        started = asyncio.get_running_loop().time()
        released = False

        def answered(_done: object) -> None:
            # The slot is given back once the run is stored (its settlement is not a council
            # any more), or when the task ends, e.g. cancelled before it began.
            nonlocal released
            if released:
                return
            released = True
            self.admission.observe_run(asyncio.get_running_loop().time() - started)
            self.admission.leave()

        def ended(done: asyncio.Task[None]) -> None:
            self._active.pop(run_id, None)
            answered(done)

        stored.add_done_callback(answered)
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

    async def shutdown(self) -> None:
        tasks = [h.task for h in self._active.values() if h.task is not None]
        tasks += list(self._late)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._pipeline.aclose()
