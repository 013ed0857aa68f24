"""Starting, joining, retrying and cancelling runs; the one place that owns run tasks.

A run executes as its own task, detached from the request that started it, and publishes to a
``RunChannel``. A request streams by listening to the channel; a second request with the same
Idempotency-Key joins the same channel (or gets the stored result) instead of starting a second
council. When the last listener of a stream goes away, the run is cancelled, or left to finish in
the background when ``on_disconnect = "continue"``.

Every new or retried run first takes a slot from the ``AdmissionGate``: past the bounded queue
it is refused with ``OverloadedError`` (HTTP 429 with Retry-After) before anything is stored.
The run's task carries a ``late_sink`` (a context variable) through which a stage hands over
members it stopped waiting for but keeps running (``stragglers.late = "keep"``); they are stored
as late when they end, even after the run has finished.

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
import dataclasses
import logging
import secrets
import uuid
from collections.abc import AsyncGenerator, Awaitable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from llmcouncil.config import Settings
from llmcouncil.council.events import CouncilEvent, RunChannel
from llmcouncil.council.governance import OpenGate, RunActor, RunGate, current_actor
from llmcouncil.council.pipeline import CouncilPipeline, RunContext
from llmcouncil.council.prompts import history_messages
from llmcouncil.council.results import RUN_RUNNING, CallRecord
from llmcouncil.council.spec import CouncilSpec, resolve_council
from llmcouncil.council.transcript import replay_events
from llmcouncil.errors import (
    ConflictError,
    ContentTooLargeError,
    NotFoundError,
    ValidationFailedError,
)
from llmcouncil.privacy.policy import PrivacyGuard, preset_policy
from llmcouncil.privacy.restore import StreamRestorer
from llmcouncil.privacy.vault import PiiVault
from llmcouncil.resilience.call_plan import stream_tokens as stream_tokens_var
from llmcouncil.resilience.limits import AdmissionGate
from llmcouncil.resilience.stragglers import late_sink
from llmcouncil.store.repository import DEFAULT_TITLE, Store
from llmcouncil.store.tables import ConversationRow

log = logging.getLogger(__name__)

_TITLE_CHARS = 80
_ALL_TURNS = 2**31 - 1  # history(before_seq=…) of a conversation's every stored turn


class RunObserver(Protocol):
    def run_started(
        self, ctx: RunContext, channel: RunChannel, context: contextvars.Context
    ) -> None: ...


@dataclass(slots=True)
class RunHandle:
    run_id: str
    conversation_id: str
    channel: RunChannel
    task: asyncio.Task[None] | None  # None: the run had already ended; the channel replays it
    vault: PiiVault | None = None  # placeholders to restore in what this handle yields
    notices: tuple[str, ...] = ()  # from the run gate, e.g. a soft budget exceeded

    async def events(self) -> AsyncGenerator[CouncilEvent, None]:
        if self.vault is None or not len(self.vault):
            async for event in self.channel.listen():
                yield event
            return
        restorer = StreamRestorer(self.vault)  # one per listener: it buffers partial deltas
        async for event in self.channel.listen():
            for restored in restorer.feed(event):
                yield restored

    async def wait(self) -> None:
        if self.task is not None:
            await asyncio.shield(self.task)


class RunService:
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
    ) -> RunHandle:
        """``system_prompt`` (an API client's own) is added to the stage-1 and stage-3 prompts.

        ``stream_tokens=False``: the caller only waits for the result, so upstream calls are
        made without streaming and no ``model_delta`` events are sent (much less work per call).
        """
        previous = stream_tokens_var.set(stream_tokens)  # the run's task copies this context
        try:
            return await self._start(
                conversation_id=conversation_id,
                content=content,
                idempotency_key=idempotency_key,
                system_prompt=system_prompt,
                actor=actor,
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
    ) -> RunHandle:
        content = self.validate_content(content)
        actor = actor or current_actor.get()
        if not idempotency_key:
            return await self._start_new(conversation_id, content, None, system_prompt, actor)
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
                    conversation_id, content, idempotency_key, system_prompt, actor
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
    ) -> RunHandle:
        """A new conversation holding ``history`` ((question, answer) pairs), then a run.

        The turns are stored as finished, client-supplied runs, so the stored conversation reads
        as the client's dialogue and follow-ups (in the web UI too) carry it as history.
        """
        content = self.validate_content(content)
        actor = actor or current_actor.get()
        spec = resolve_council(self._settings, preset=preset)  # an unknown preset stores nothing
        conversation = await self._store.create_conversation(
            preset=preset, user_id=actor.user_id if actor else None
        )
        try:
            # The client's turns and the title are redacted before they are stored; the run then
            # protects the question and system prompt itself, with the same vault.
            turn = await self.privacy.protect(
                conversation_id=conversation.id,
                vault_token=None,
                question=content,
                history=history,
                system_prompt=system_prompt,
                policy=preset_policy(self._settings, spec.preset),
            )
            history = turn.history
            if turn.sealed is not None:
                await self._store.save_vault(conversation.id, turn.sealed)
            await self._store.set_title(conversation.id, _title(history, turn.question))
            if history:
                turns = [(question, _seeded_final(answer)) for question, answer in history]
                await self._store.seed_history(conversation.id, turns)
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
    ) -> RunHandle:
        await self.admission.enter()
        try:
            return await self._create(
                conversation_id, content, idempotency_key, system_prompt, actor
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
    ) -> RunHandle:
        conversation = await self._store.get_conversation(conversation_id)
        spec = resolve_council(
            self._settings,
            preset=conversation.preset,
            members=conversation.members,
            chairman=conversation.chairman,
        )
        admission = await self.gate.admit(actor, spec)  # may refuse: nothing is stored yet
        try:
            return await self._write_ahead(
                conversation, spec, content, idempotency_key, system_prompt, actor, admission
            )
        except BaseException:
            await asyncio.shield(self.gate.release(admission))
            raise

    async def _write_ahead(
        self,
        conversation: ConversationRow,
        spec: CouncilSpec,
        content: str,
        idempotency_key: str | None,
        system_prompt: str | None,
        actor: RunActor | None,
        admission: object,
    ) -> RunHandle:
        conversation_id = conversation.id
        async with self.privacy.writing(conversation_id):
            stored = await self._store.get_conversation(conversation_id)  # the vault as of now
            turn = await self.privacy.protect(
                conversation_id=conversation_id,
                vault_token=stored.pii_vault,
                question=content,
                history=await self._store.history(conversation_id, before_seq=_ALL_TURNS),
                system_prompt=system_prompt,
                policy=preset_policy(self._settings, spec.preset),
            )
            if turn.system_prompt:
                spec = _with_client_system_prompt(spec, turn.system_prompt)
            run, message = await self._store.start_run(
                conversation_id=conversation_id,
                content=turn.question,
                idempotency_key=idempotency_key,
                council=spec.as_dict(),
                seed=secrets.randbelow(2**31),
                simulated=self._simulated,
                worker_id=self.worker_id,
                pii_vault=turn.sealed,
                privacy=turn.summary,
                user_id=actor.user_id if actor else None,
                api_key_id=actor.api_key_id if actor else None,
            )
        ctx = RunContext(
            run_id=run.id,
            conversation_id=conversation_id,
            message_id=message.id,
            question=turn.question,
            spec=spec,
            seed=run.seed,
            history=history_messages(
                turn.history, max_chars=self._settings.limits.max_history_chars
            ),
            make_title=message.seq == 1 and conversation.title == DEFAULT_TITLE,
            simulated=self._simulated,
            privacy=turn.summary,
        )
        return self._launch(ctx, vault=turn.vault, admission=admission)

    async def retry(
        self, *, conversation_id: str, run_id: str, actor: RunActor | None = None
    ) -> RunHandle:
        actor = actor or current_actor.get()
        detail = await self._store.get_run(run_id)
        if detail.run.conversation_id != conversation_id:
            raise NotFoundError(f"run {run_id} does not exist")
        if run_id in self._active:
            raise ConflictError(f"run {run_id} is still running")
        if detail.run.council.get("seeded"):
            raise ConflictError(f"run {run_id} holds a turn an API client supplied; it never ran")
        await self.admission.enter()
        try:
            admission = await self.gate.admit(actor, CouncilSpec.from_dict(detail.run.council))
        except BaseException:
            self.admission.leave()
            raise
        try:
            return await self._resume(conversation_id, run_id, admission)
        except BaseException:
            self.admission.leave()
            await asyncio.shield(self.gate.release(admission))
            raise

    async def _resume(self, conversation_id: str, run_id: str, admission: object) -> RunHandle:
        # Checked before the run is reset, so a refusal leaves it as it was.
        stored = await self._store.get_run(run_id)
        message = await self._store.get_message(stored.run.message_id)
        async with self.privacy.writing(conversation_id):
            conversation = await self._store.get_conversation(conversation_id)
            turn = await self.privacy.protect(
                conversation_id=conversation_id,
                vault_token=conversation.pii_vault,
                question=message.content,
                history=await self._store.history(conversation_id, before_seq=message.seq),
                policy=preset_policy(self._settings, stored.run.council.get("preset")),
            )
            if turn.sealed is not None:
                await self._store.save_vault(conversation_id, turn.sealed)
        run = await self._store.reset_for_retry(run_id, worker_id=self.worker_id)
        detail = await self._store.get_run(run_id)
        ctx = RunContext(
            run_id=run.id,
            conversation_id=conversation_id,
            message_id=message.id,
            question=turn.question,
            spec=CouncilSpec.from_dict(run.council),
            seed=run.seed,
            history=history_messages(
                turn.history, max_chars=self._settings.limits.max_history_chars
            ),
            make_title=message.seq == 1 and conversation.title == DEFAULT_TITLE,
            simulated=self._simulated,
            resume=detail,
            privacy=run.privacy,
        )
        return self._launch(ctx, vault=turn.vault, admission=admission)

    def _launch(
        self, ctx: RunContext, *, vault: PiiVault | None = None, admission: object = None
    ) -> RunHandle:
        """Start the run's task; it holds an admission slot until it ends."""
        channel = RunChannel()
        context = contextvars.copy_context()
        run_id = ctx.run_id
        context.run(late_sink.set, lambda pending: self._keep_late(run_id, pending))
        for observer in self._observers:
            observer.run_started(ctx, channel, context)
        task = asyncio.create_task(
            self._execute(ctx, channel, admission), name=f"run-{run_id}", context=context
        )
        handle = RunHandle(
            run_id=run_id,
            conversation_id=ctx.conversation_id,
            channel=channel,
            task=task,
            vault=vault,
            notices=tuple(getattr(admission, "warnings", ())),
        )
        self._active[run_id] = handle
        started = asyncio.get_running_loop().time()

        def ended(_task: asyncio.Task[None]) -> None:
            self._active.pop(run_id, None)
            self.admission.observe_run(asyncio.get_running_loop().time() - started)
            self.admission.leave()

        task.add_done_callback(ended)
        return handle

    async def _execute(self, ctx: RunContext, channel: RunChannel, admission: object) -> None:
        try:
            await self._pipeline.execute(ctx, channel)
        finally:
            # Usage, budget and audit are settled whatever the outcome, cancellation included.
            await asyncio.shield(self.gate.finished(admission, ctx.run_id))

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
        return RunHandle(
            run_id=run_id,
            conversation_id=conversation_id,
            channel=channel,
            task=None,
            vault=detail.vault,
        )

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

    async def settle_late(self) -> None:
        """Wait until every kept late call has ended and been stored."""
        while self._late:
            await asyncio.gather(*self._late, return_exceptions=True)

    async def shutdown(self) -> None:
        tasks = [h.task for h in self._active.values() if h.task is not None]
        tasks += list(self._late)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._pipeline.aclose()


def _with_client_system_prompt(spec: CouncilSpec, system_prompt: str) -> CouncilSpec:
    """The members answer, and the Chairman writes, under the client's instructions too."""
    prompts = dict(spec.system_prompts)
    for stage in ("stage1", "stage3"):
        prompts[stage] = "\n\n".join(p for p in (prompts.get(stage, ""), system_prompt) if p)
    return dataclasses.replace(spec, system_prompts=prompts)


def _seeded_final(answer: str) -> dict[str, Any]:
    """A client-supplied answer in the stage-3 shape, marked so no one takes it for a synthesis."""
    return {
        "model": None,
        "response": answer,
        "degraded": False,
        "degraded_reason": None,
        "seeded": True,
        "answered_by": None,
        "fallback_from": None,
        "fallback_reason": None,
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0, "cost": None},
        "latency_ms": None,
        "ttft_ms": None,
        "finish_reason": None,
        "simulated": False,
    }


def _title(history: Sequence[tuple[str, str]], content: str) -> str:
    first = " ".join((history[0][0] if history else content).split())
    return first if len(first) <= _TITLE_CHARS else first[: _TITLE_CHARS - 1].rstrip() + "…"
