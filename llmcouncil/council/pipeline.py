"""Runs the three stages of one run, writing each to the store as it completes and emitting events.

A retried run resumes after its last completed stage: the stored stage-1 answers (and reviews)
are reused, not asked for again.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from llmcouncil.config import Settings
from llmcouncil.council.aggregation import ranking_metadata
from llmcouncil.council.events import CouncilEvent, EventType, RunChannel
from llmcouncil.council.review_reading import AggregateView
from llmcouncil.council.spec import CouncilSpec
from llmcouncil.council.stage_items import stage1_item, stage2_item
from llmcouncil.council.stage_writes import (
    announce_when_stored,
    await_write,
    behind_write,
    set_when_done,
)
from llmcouncil.council.stages import (
    Reviews,
    StageEvents,
    collect_answers,
    collect_reviews,
    make_title,
    synthesize,
)
from llmcouncil.errors import CouncilError, CouncilFailedError, ModelFailure
from llmcouncil.providers.base import ChatMessage
from llmcouncil.records import CallRecord, FinalAnswer, RunStatus, Stage, usage_total
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
    # What the privacy guard did before this run: {"policy", "redactions": {entity: count}}.
    # ``question`` and ``history`` above are already redacted.
    privacy: dict[str, Any] | None = None
    # The run as stored, when the write that completed it read it back in the same job.
    stored: RunDetail | None = None
    # Whether anyone watches the tokens (``model_delta``); False for a caller that only waits
    # for the result. Its calls still stream upstream, for their first-token deadlines.
    stream_tokens: bool = True


# After stage 3 a run waits this long for its title; a slower title is stored when it comes,
# without holding the finished council.
TITLE_GRACE_SECONDS = 1.0
# A finished title waits at most this long for stage 1's write before it is written itself.
TITLE_WRITE_GRACE_SECONDS = 0.05


class CouncilPipeline:
    def __init__(self, *, store: Store, caller: ModelCaller, settings: Settings) -> None:
        self._store = store
        self._caller = caller
        self._settings = settings
        self._background: set[asyncio.Task[None]] = set()

    def _detach(self, task: asyncio.Task[None]) -> None:
        self._background.add(task)

        def done(finished: asyncio.Task[None]) -> None:
            self._background.discard(finished)
            if not finished.cancelled() and finished.exception() is not None:
                log.error("late title failed: %s", finished.exception())

        task.add_done_callback(done)

    async def aclose(self) -> None:
        """Cancel titles still running in the background (server shutdown)."""
        tasks = list(self._background)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def execute(self, ctx: RunContext, channel: RunChannel) -> None:
        emit = channel.emit
        events = StageEvents(emit, show_tokens=ctx.stream_tokens)
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
                    "simulated": ctx.simulated,
                    "privacy": ctx.privacy,
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
                    ctx, events, emit, title_task=title_task, answers_stored=answers_stored
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
        except asyncio.CancelledError:
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

    async def _finish_quietly(self, run_id: str, status: str, error: dict[str, Any]) -> None:
        try:
            await self._store.finish_run(run_id, status=status, error=error)
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
            async with asyncio.timeout(TITLE_WRITE_GRACE_SECONDS):
                await after.wait()
        await self._store.record_title(
            ctx.run_id, conversation_id=ctx.conversation_id, call=record, title=title
        )
        emit(CouncilEvent(EventType.TITLE_COMPLETE, {"data": {"title": title}}))

    async def _write_reviews(
        self,
        ctx: RunContext,
        *,
        records: list[CallRecord],
        label_to_model: dict[str, str],
        metadata: dict[str, Any],
        describe: Callable[[], dict[str, Any]],
    ) -> None:
        metadata.update(describe())
        await self._store.record_stage(
            ctx.run_id,
            stage=Stage.REVIEWS,
            calls=records,
            label_to_model=label_to_model,
            meta=metadata,
        )

    async def _stages(
        self,
        ctx: RunContext,
        events: StageEvents,
        emit: Any,
        *,
        title_task: asyncio.Task[None] | None,
        answers_stored: asyncio.Event,
    ) -> bool:
        """Run the stages; True when the last stage's write also completed the run.

        That is the case when nothing else is left to wait for (no title, or a title already
        stored): then stage 3 and ``complete`` are one transaction instead of two.
        """
        spec = ctx.spec
        done = ctx.resume.run.stages_done if ctx.resume else 0
        stored = ctx.resume.calls if ctx.resume else []

        emit(CouncilEvent(EventType.STAGE1_START))
        write: Awaitable[object] | None = None  # the previous stage's, not yet awaited
        if done >= Stage.ANSWERS:
            answers = [c for c in stored if c.stage == Stage.ANSWERS]
        else:
            answers = await collect_answers(
                self._caller, events, spec=spec, question=ctx.question, history=ctx.history
            )
            write = set_when_done(
                self._store.record_stage(ctx.run_id, stage=Stage.ANSWERS, calls=answers),
                answers_stored,
            )
        ctx.records += answers
        ok = [a for a in answers if a.ok]
        announce = [
            CouncilEvent(
                EventType.STAGE1_COMPLETE,
                {
                    "data": [stage1_item(a) for a in ok],
                    "errors": [a.error_item() for a in answers if not a.ok],
                },
            ),
            CouncilEvent(EventType.STAGE2_START),
        ]
        if not ok:
            await await_write(write)
            emit(announce[0])
            failures = [
                a.failure or ModelFailure(a.model, "internal", "no answer") for a in answers
            ]
            raise CouncilFailedError("every council member failed", failures=failures)

        records: list[CallRecord] = []
        if done >= Stage.REVIEWS and ctx.resume is not None:
            await announce_when_stored(write, announce, events=events)
            records = [c for c in stored if c.stage == Stage.REVIEWS]
            metadata = dict(ctx.resume.run.meta or {})
            label_map = dict(metadata.get("label_to_model") or {})
            view = AggregateView.stored(metadata)
        else:
            skipped = "only one answer survived stage 1" if len(ok) < 2 else None
            reviews: Reviews | None = None
            if skipped is None:
                reviews = await behind_write(
                    write,
                    announce,
                    events=events,
                    next_stage=lambda stage_events: collect_reviews(
                        self._caller,
                        stage_events,
                        spec=spec,
                        question=ctx.question,
                        history=ctx.history,
                        answers=ok,
                        seed=ctx.seed,
                    ),
                )
                records = reviews.records
            else:
                await announce_when_stored(write, announce, events=events)
            label_map = reviews.label_to_model if reviews else {"Response A": ok[0].model}
            aggregate = reviews.aggregate if reviews else None
            view = AggregateView.of(aggregate)
            # The chairman needs only the aggregate's order and the votes: the rest of the stage's
            # metadata (the agreement statistics above all) is worked out once its request has
            # left, by the write, and announced with the stage as stored.
            metadata = {}
            write = self._write_reviews(
                ctx,
                records=records,
                label_to_model=label_map,
                metadata=metadata,
                describe=functools.partial(
                    ranking_metadata,
                    spec=spec,
                    seed=ctx.seed,
                    label_to_model=label_map,
                    aggregate=aggregate,
                    skipped_reason=skipped
                    or ("every reviewer failed" if reviews and aggregate is None else None),
                ),
            )
        ctx.records += records
        announce = [
            CouncilEvent(
                EventType.STAGE2_COMPLETE,
                {
                    "data": [stage2_item(r) for r in records if r.ok],
                    "metadata": metadata,  # filled by the write, before it is announced
                    "errors": [r.error_item() for r in records if not r.ok],
                },
            ),
            CouncilEvent(EventType.STAGE3_START),
        ]
        chair = await behind_write(
            write,
            announce,
            events=events,
            next_stage=lambda stage_events: synthesize(
                self._caller,
                stage_events,
                spec=spec,
                question=ctx.question,
                history=ctx.history,
                answers=ok,
                label_to_model=label_map,
                reviews=records,
                aggregate=view,
                seed=ctx.seed,
            ),
        )
        ctx.records.append(chair)
        if chair.ok:
            final = FinalAnswer.synthesis(chair).as_dict()
        else:
            reason = (
                f"every chairman failed: "
                f"{chair.failure.message if chair.failure else 'no reason given'}"
            )
            final = FinalAnswer.degraded_to(_top_answer(ok, metadata), reason=reason).as_dict()
        finish = title_task is None or (
            title_task.done() and not title_task.cancelled() and title_task.exception() is None
        )
        ctx.stored = await self._store.record_stage(
            ctx.run_id,
            stage=3,
            calls=[chair],
            final=final,
            finish=RunStatus.COMPLETE if finish else None,
            read_back=finish,
        )
        emit(
            CouncilEvent(
                EventType.STAGE3_COMPLETE,
                {
                    "data": final,
                    "errors": [] if chair.ok else [chair.error_item()],
                },
            )
        )
        return finish


def _top_answer(answers: list[CallRecord], metadata: dict[str, Any]) -> CallRecord | None:
    rows = metadata.get("aggregate") or metadata.get("aggregate_rankings") or []
    ranked = [row["model"] for row in rows]
    by_model = {a.model: a for a in answers}
    for model in ranked:
        if model in by_model:
            return by_model[model]
    return answers[0] if answers else None
