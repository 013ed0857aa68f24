"""Runs one run: its title beside the stages of its mode, then its end, emitting events.

The stages are the mode's steps (``council/modes.py`` over ``council/steps.py``), each written
to the store as it completes while the next one's calls are on their way (``StageWriter``). A
retried run resumes after its last completed stage (or revision round): what is stored is
reused, not asked for again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from typing import Any

from llmcouncil.config import Settings
from llmcouncil.council.events import CouncilEvent, EventType, RunChannel
from llmcouncil.council.handover import HandoverSignal, RunHandedOver, hand_over
from llmcouncil.council.modes import mode_steps
from llmcouncil.council.spec import CouncilSpec
from llmcouncil.council.stage_events import StageEvents
from llmcouncil.council.stage_writes import StageWriter
from llmcouncil.council.stages import make_title
from llmcouncil.council.steps import StageSteps
from llmcouncil.documents.vision import ModelHistories
from llmcouncil.errors import CouncilError, CouncilFailedError, RunSupersededError
from llmcouncil.privacy.policy import PrivacySummary
from llmcouncil.providers.base import ChatMessage
from llmcouncil.records import CallRecord, RunStatus, usage_total
from llmcouncil.resilience.calls import ModelCaller
from llmcouncil.store.repository import RunDetail, Store

log = logging.getLogger(__name__)


@dataclass(slots=True)
class RunContext:
    run_id: str
    conversation_id: str
    message_id: str
    question: str
    spec: CouncilSpec
    seed: int
    history: list[ChatMessage]
    make_title: bool
    simulated: bool
    resume: RunDetail | None = None
    records: list[CallRecord] = field(default_factory=list)
    # What the privacy guard did before this run.
    # ``question`` and ``history`` above are already redacted.
    privacy: PrivacySummary | None = None
    # The run as stored, when the write that completed it read it back in the same job.
    stored: RunDetail | None = None
    # Whether anyone watches the tokens (``model_delta``); False for a caller that only waits
    # for the result. Its calls still stream upstream, for their first-token deadlines.
    stream_tokens: bool = True
    # The histories of the models sent one of their own (images, a larger share of the
    # documents; None: none).
    histories: ModelHistories | None = None
    # Set by a draining instance: hand the run to another one (council/handover.py).
    handover: HandoverSignal = field(default_factory=HandoverSignal)


# After stage 3 a run waits this long for its title; a slower title is stored when it comes,
# without holding the finished council.
TITLE_GRACE_SECONDS = 1.0
# A finished title waits at most this long for stage 1's write before it is written itself.
TITLE_WRITE_GRACE_SECONDS = 0.05


class CouncilPipeline:
    def __init__(
        self,
        *,
        store: Store,
        caller: ModelCaller,
        settings: Settings,
        title_write_grace: float | None = TITLE_WRITE_GRACE_SECONDS,
    ) -> None:
        self._store = store
        self._caller = caller
        self._settings = settings
        # None: a finished title always waits for stage 1's write (tests that pin the order).
        self._title_write_grace = title_write_grace
        self._background: set[asyncio.Task[None]] = set()

    def _detach(self, task: asyncio.Task[None]) -> None:
        self._background.add(task)

        def done(finished: asyncio.Task[None]) -> None:
            self._background.discard(finished)
            if not finished.cancelled() and finished.exception() is not None:
                log.error("late title failed: %s", finished.exception())

        task.add_done_callback(done)

    @property
    def caller(self) -> ModelCaller:
        return self._caller

    async def aclose(self) -> None:
        """Cancel titles still running in the background (server shutdown)."""
        tasks = list(self._background)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def execute(self, ctx: RunContext, channel: RunChannel) -> None:
        emit = channel.emit
        events = StageEvents(emit, watched=ctx.stream_tokens)
        spec = ctx.spec
        emit(
            CouncilEvent(
                EventType.RUN_START,
                {
                    "run_id": ctx.run_id,
                    "conversation_id": ctx.conversation_id,
                    "message_id": ctx.message_id,
                    "members": spec.members,
                    "chairman": spec.chairman,
                    "preset": spec.preset,
                    "mode": spec.mode,
                    "simulated": ctx.simulated,
                    "privacy": ctx.privacy.as_json() if ctx.privacy else None,
                },
            )
        )
        answers_stored = asyncio.Event()  # stage 1 written (or no longer to be waited for)
        title_task = (
            asyncio.create_task(self._title(ctx, emit, after=answers_stored))
            if ctx.make_title
            else None
        )
        try:
            try:
                finished = await self._stages(
                    ctx, events, title_task=title_task, answers_stored=answers_stored
                )
            finally:
                answers_stored.set()
            if title_task is not None and not finished:
                await asyncio.wait({title_task}, timeout=TITLE_GRACE_SECONDS)
                if title_task.done():
                    title_task.result()
                else:
                    self._detach(title_task)
                    title_task = None
            if not finished:
                await self._store.finish_run(ctx.run_id, status=RunStatus.COMPLETE)
            emit(
                CouncilEvent(
                    EventType.COMPLETE,
                    {
                        "run_id": ctx.run_id,
                        "status": RunStatus.COMPLETE,
                        "usage": usage_total(ctx.records).as_dict(),
                    },
                )
            )
        except RunHandedOver:  # at a stage boundary, the finished stage stored
            await self._hand_over(ctx, emit)
        except asyncio.CancelledError:
            if ctx.handover.on_cancel:  # stopped mid-stage by a drain: its stored stages kept
                await asyncio.shield(self._hand_over(ctx, emit))
                raise
            error: dict[str, Any] = {"code": "cancelled", "message": "the run was cancelled"}
            await asyncio.shield(self._finish_quietly(ctx.run_id, RunStatus.CANCELLED, error))
            emit(CouncilEvent(EventType.ERROR, {**error, "run_id": ctx.run_id}))
            raise
        except CouncilFailedError as exc:
            error = {
                "code": exc.code,
                "message": exc.message,
                "failures": [f.as_dict() for f in exc.failures],
            }
            await self._finish_quietly(ctx.run_id, RunStatus.FAILED, error)
            emit(CouncilEvent(EventType.ERROR, {**error, "run_id": ctx.run_id}))
        except CouncilError as exc:
            error = {"code": exc.code, "message": exc.message}
            await self._finish_quietly(ctx.run_id, RunStatus.FAILED, error)
            emit(CouncilEvent(EventType.ERROR, {**error, "run_id": ctx.run_id}))
        except Exception as exc:
            log.exception("run %s failed unexpectedly", ctx.run_id)
            error = {"code": "internal_error", "message": f"{type(exc).__name__}: {exc}"}
            await self._finish_quietly(ctx.run_id, RunStatus.FAILED, error)
            emit(CouncilEvent(EventType.ERROR, {**error, "run_id": ctx.run_id}))
        finally:
            if title_task is not None:
                title_task.cancel()  # no-op once done
                self._detach(title_task)  # a failed title is logged, never left unretrieved

    async def _hand_over(self, ctx: RunContext, emit: Any) -> None:
        if not await hand_over(
            self._store, run_id=ctx.run_id, conversation_id=ctx.conversation_id, emit=emit
        ):  # the database refused: stopped as a cancelled run would be
            error = {"code": "cancelled", "message": "the run was stopped with its server"}
            await self._finish_quietly(ctx.run_id, RunStatus.CANCELLED, error)
            emit(CouncilEvent(EventType.ERROR, {**error, "run_id": ctx.run_id}))

    async def _finish_quietly(self, run_id: str, status: str, error: dict[str, Any]) -> None:
        try:
            await self._store.finish_run(run_id, status=status, error=error)
        except RunSupersededError:  # its end is the execution's that took it over
            log.warning("run %s goes on in another instance; this execution stopped", run_id)
        except CouncilError:
            log.exception("could not record the end of run %s", run_id)

    async def _title(self, ctx: RunContext, emit: Any, *, after: asyncio.Event) -> None:
        record = await make_title(
            self._caller,
            spec=ctx.spec,
            question=ctx.question,
            max_chars=self._settings.limits.max_title_chars,
        )
        title = str(record.details["title"])
        ctx.records.append(record)
        # The title's call is short and often ends just before the members' calls. Its write is
        # not urgent, so when stage 1 ends within the grace it waits for the stage's write:
        # written at once, its Python on the writer thread would compete with the handling of
        # the members' answers and the sending of the reviews (docs/PERFORMANCE.md).
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self._title_write_grace):
                await after.wait()
        await self._store.record_title(
            ctx.run_id, conversation_id=ctx.conversation_id, call=record, title=title
        )
        emit(CouncilEvent(EventType.TITLE_COMPLETE, {"data": {"title": title}}))

    async def _stages(
        self,
        ctx: RunContext,
        events: StageEvents,
        *,
        title_task: asyncio.Task[None] | None,
        answers_stored: asyncio.Event,
    ) -> bool:
        """Run the mode's steps; True when the last stage's write also completed the run."""
        steps = StageSteps(
            store=self._store,
            caller=self._caller,
            ctx=ctx,
            writer=StageWriter(events, handover=ctx.handover),
            answers_stored=answers_stored,
            title_task=title_task,
        )
        return await mode_steps(ctx.spec.mode)(steps)
