"""Where a run is started: ``RunService`` starts, retries and continues runs.

A run executes as its own task, detached from the request that started it, and publishes to a
``RunChannel``. A request streams by listening to the channel; a second request with the same
Idempotency-Key joins the same channel (or gets the stored result) instead of starting a second
council. The runs executing in this process (launched, joined, cancelled, released when their
last listener goes away) are ``LiveRuns``, council/live_runs.py.

Starting a run, in order::

    async with capacity.slot() as slot:                 # past the queue: 429, nothing stored
        async with privacy.writing(conversation):       # the vault: compare-and-set, retried
            ...read the conversation and its history...
            async with admitted(gate, actor, spec) as ticket:   # policy, rate, budget
                prepared = await write_ahead(...)        # council/write_ahead.py
                return self._live.launch(prepared, ...)  # council/live_runs.py

The run's task (``RunSettler.run``, council/run_settle.py) runs the pipeline, then settles the
run; its capacity slot is given back as soon as the run is stored. Observers (logging context,
metrics, tracing) are told of every run this process launches, with its channel and the
``contextvars.Context`` its task will run in, before the task starts. API clients that keep their
own history (``/v1/chat/completions``) start with ``open_conversation``: a new conversation
seeded with their earlier turns, then a run.
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from llmcouncil.config import Settings
from llmcouncil.council.continuation import continue_answer
from llmcouncil.council.governance import (
    MayWrite,
    OpenGate,
    RunActor,
    RunGate,
    admitted,
    check_may_write,
    current_actor,
)
from llmcouncil.council.live_runs import LiveRuns
from llmcouncil.council.pipeline import CouncilPipeline
from llmcouncil.council.run_handle import RunHandle, RunObserver
from llmcouncil.council.run_settle import RunSettler, SettledObserver
from llmcouncil.council.seeded_turns import seed_conversation
from llmcouncil.council.spec import CouncilSpec, resolve_council
from llmcouncil.council.write_ahead import ALL_TURNS, RunSetting, reset_for_retry, write_ahead
from llmcouncil.errors import (
    ConflictError,
    ContentTooLargeError,
    NotFoundError,
    ValidationFailedError,
)
from llmcouncil.privacy.policy import PrivacyGuard, preset_policy
from llmcouncil.resilience.limits import AdmissionGate
from llmcouncil.storable import text_problem
from llmcouncil.store.repository import Store

__all__ = ["RunHandle", "RunObserver", "RunService", "SettledObserver"]


class RunService:
    def __init__(
        self,
        *,
        store: Store,
        pipeline: CouncilPipeline,
        settings: Settings,
        simulated: bool,
        capacity: AdmissionGate | None = None,
        observers: Sequence[RunObserver] = (),
        after_settle: Sequence[SettledObserver] = (),
        privacy: PrivacyGuard | None = None,
        gate: RunGate | None = None,
        reviewer_weights: Callable[[], Mapping[str, float]] | None = None,
    ) -> None:
        self.gate: RunGate = gate or OpenGate()
        # The leaderboard's reviewer weights for new runs (analytics/weighting.py), when on.
        self._reviewer_weights = reviewer_weights
        self.privacy = privacy or PrivacyGuard.in_memory(settings)
        self.capacity = capacity or AdmissionGate(settings.resilience.capacity)
        self.worker_id = uuid.uuid4().hex
        self.settlement = RunSettler(
            store=store, pipeline=pipeline, gate=self.gate, after_settle=after_settle
        )
        self._live = LiveRuns(
            store=store, settlement=self.settlement, settings=settings, observers=observers
        )
        self._store = store
        self._pipeline = pipeline
        self._settings = settings
        self._setting = RunSetting(
            store=store,
            privacy=self.privacy,
            settings=settings,
            simulated=simulated,
            worker_id=self.worker_id,
        )
        self._retrying: set[str] = set()  # runs being reset for a retry, before their launch

    @property
    def admission(self) -> AdmissionGate:
        """The council capacity (``capacity``), under the name health and metrics read."""
        return self.capacity

    @property
    def active_runs(self) -> int:
        return self._live.count

    def live(self) -> list[RunHandle]:
        """The runs executing in this process now."""
        return self._live.all()

    def active(self, run_id: str) -> RunHandle | None:
        """The live handle of a run executing in this process, if any."""
        return self._live.get(run_id)

    async def settled(self, user_id: str | None = None) -> None:
        """Until ended runs are settled (``RunSettler.settled``)."""
        await self.settlement.settled(user_id)

    async def settle_late(self) -> None:
        """Until every kept late call has ended and been stored."""
        await self.settlement.settle_late()

    def validate_content(self, content: str) -> str:
        if not content.strip():
            raise ValidationFailedError("content is empty")
        problem = text_problem(content)  # the CLI and files reach here without the API's guard
        if problem:
            raise ValidationFailedError(f"content {problem}")
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
        mode: str | None = None,
        rounds: int | None = None,
    ) -> RunHandle:
        """``system_prompt`` (an API client's own) is added to the stage-1 and stage-3 prompts.

        ``mode`` and ``rounds`` (revision rounds): this question's deliberation mode, in place
        of the preset's (council/modes.py); checked before anything is stored.

        ``stream_tokens=False``: the caller only waits for the result, so no ``model_delta``
        events are sent (upstream calls still stream, for their first-token deadlines).
        ``may_write``: whether the caller may add to a conversation owned by the given user;
        applied to the conversation as read for the run (the same read, under the privacy
        lock), and a conversation the caller may not change does not exist for it.
        """
        request = _NewRun(
            conversation_id=conversation_id,
            content=self.validate_content(content),
            idempotency_key=idempotency_key or None,
            system_prompt=system_prompt,
            actor=actor or current_actor.get(),
            stream_tokens=stream_tokens,
            may_write=may_write,
            mode=mode,
            rounds=rounds,
        )
        if request.idempotency_key is None:
            return await self._start_new(request)
        return await self._start_or_join(request, key=request.idempotency_key)

    async def _start_or_join(self, request: _NewRun, *, key: str) -> RunHandle:
        """The run this Idempotency-Key names, started once: a twin request joins it."""
        if request.may_write is not None:  # before a run of the conversation can be joined
            check_may_write(
                request.may_write, await self._store.get_conversation(request.conversation_id)
            )
        return await self._live.start_or_join(
            conversation_id=request.conversation_id,
            key=key,
            start=lambda: self._start_new(request),
        )

    async def _start_new(self, request: _NewRun) -> RunHandle:
        conversation_id = request.conversation_id
        async with self.capacity.slot() as slot:
            # One read of the conversation (its vault as of now, under the lock) and its history.
            async with self.privacy.writing(conversation_id):
                conversation, history = await self._store.conversation_with_history(
                    conversation_id, before_seq=ALL_TURNS
                )
                if request.may_write is not None:
                    check_may_write(request.may_write, conversation)
                spec = resolve_council(
                    self._settings,
                    preset=conversation.preset,
                    members=conversation.members,
                    chairman=conversation.chairman,
                    reasoning=conversation.reasoning,
                    mode=request.mode,
                    rounds=request.rounds,
                )
                if self._reviewer_weights is not None:
                    weights = dict(self._reviewer_weights())
                    if weights:
                        spec = dataclasses.replace(spec, reviewer_weights=weights)
                await self._settled_for(request.actor)  # budgets see this user's earlier runs
                async with admitted(self.gate, request.actor, spec) as ticket:
                    prepared = await write_ahead(
                        self._setting,
                        conversation=conversation,
                        history=history,
                        spec=spec,
                        content=request.content,
                        idempotency_key=request.idempotency_key,
                        system_prompt=request.system_prompt,
                        actor=request.actor,
                    )
                    return self._live.launch(
                        prepared,
                        slot=slot.hand_over(),
                        ticket=ticket.hand_over(),
                        actor=request.actor,
                        stream_tokens=request.stream_tokens,
                    )

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
        before_run: Callable[[str], Awaitable[None]] | None = None,
        mode: str | None = None,
        rounds: int | None = None,
    ) -> RunHandle:
        """A new conversation holding ``history`` ((question, answer) pairs), then a run.

        The turns are stored as finished, client-supplied runs, so the stored conversation reads
        as the client's dialogue and follow-ups (in the web UI too) carry it as history.
        ``before_run`` is given the new conversation's id once its turns are stored, before the
        run starts (a client's files are attached there); if it raises, nothing is kept.
        """
        content = self.validate_content(content)
        actor = actor or current_actor.get()
        # An unknown preset or mode stores nothing.
        spec = resolve_council(self._settings, preset=preset, mode=mode, rounds=rounds)
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
            if before_run is not None:
                await before_run(conversation.id)
            return await self.start(
                conversation_id=conversation.id,
                content=content,
                system_prompt=system_prompt,
                actor=actor,
                stream_tokens=stream_tokens,
                mode=mode,
                rounds=rounds,
            )
        except BaseException:
            await asyncio.shield(self._store.delete_conversation(conversation.id))
            raise

    async def continue_answer(
        self,
        *,
        conversation_id: str,
        run_id: str,
        stage: int,
        model: str,
        actor: RunActor | None = None,
    ) -> dict[str, Any]:
        """Ask ``model`` to finish its answer the output limit cut (council/continuation.py).

        The call is the run's owner's spend like any other: the gate admits it (policy, rate,
        budget) and records it in the usage ledger afterwards (``late``), failed or not.
        """
        actor = actor or current_actor.get()
        await self._live.until_settled_if_ended(run_id)
        if run_id in self._live:
            raise ConflictError(f"run {run_id} is still running")
        spec = CouncilSpec.from_dict((await self._store.get_run(run_id)).run.council or {})
        async with admitted(self.gate, actor, spec):
            try:
                return await continue_answer(
                    store=self._store,
                    caller=self._pipeline.caller,
                    conversation_id=conversation_id,
                    run_id=run_id,
                    stage=stage,
                    model=model,
                )
            finally:
                await asyncio.shield(self.gate.late(run_id))

    async def retry(
        self, *, conversation_id: str, run_id: str, actor: RunActor | None = None
    ) -> RunHandle:
        actor = actor or current_actor.get()
        detail = await self._store.get_run(run_id)
        if detail.run.conversation_id != conversation_id:
            raise NotFoundError(f"run {run_id} does not exist")
        await self._live.until_settled_if_ended(run_id)
        if run_id in self._live or run_id in self._retrying:
            raise ConflictError(f"run {run_id} is still running")
        if detail.run.council.get("seeded"):
            raise ConflictError(f"run {run_id} holds a turn an API client supplied; it never ran")
        self._retrying.add(run_id)
        try:
            async with self.capacity.slot() as slot:
                await self._settled_for(actor)
                spec = CouncilSpec.from_dict(detail.run.council)
                async with admitted(self.gate, actor, spec) as ticket:
                    # Not executing here (checked above): a row this process left ``running``
                    # because the database failed under it is not live, and may be reset.
                    prepared = await reset_for_retry(
                        self._setting, conversation_id=conversation_id, run_id=run_id
                    )
                    return self._live.launch(
                        prepared,
                        slot=slot.hand_over(),
                        ticket=ticket.hand_over(),
                        actor=actor,
                        stream_tokens=True,
                    )
        finally:
            self._retrying.discard(run_id)

    async def _settled_for(self, actor: RunActor | None) -> None:
        if actor is not None and actor.user_id is not None:
            await self.settlement.settled(actor.user_id)

    async def cancel(self, *, conversation_id: str, run_id: str) -> bool:
        return await self._live.cancel(conversation_id=conversation_id, run_id=run_id)

    def released(self, handle: RunHandle) -> None:
        """A streaming listener went away; cancel the run if nobody else is listening."""
        self._live.released(handle)

    async def shutdown(self) -> None:
        await self._live.cancel_all()
        await self.settlement.aclose()
        await self._pipeline.aclose()


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class _NewRun:
    """A request for a new run, as ``start`` checked it."""

    conversation_id: str
    content: str
    idempotency_key: str | None
    system_prompt: str | None
    actor: RunActor | None
    stream_tokens: bool
    may_write: MayWrite | None
    mode: str | None = None
    rounds: int | None = None
