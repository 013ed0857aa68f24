"""The shared steps every deliberation mode is made of, over one run.

A step runs one stage (answers, a revision round, the reviews, the chairman, or a final answer
without a chairman), resumes it from the store when a retried run already holds it, writes it
through the run's ``StageWriter`` (so the next step's calls leave while it is written) and
announces it. The modes (``council/modes.py``) are short sequences of these steps.

Revision rounds are stored as stage-1 calls whose details hold ``round`` (1, 2, …); a round is
written in one transaction when it ends, so a retry after a crash mid-round reruns only that
round. A member whose revision failed keeps its previous answer.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from llmcouncil.council.events import CouncilEvent, EventType
from llmcouncil.council.final_answer import FinalAnswer
from llmcouncil.council.ranking_summary import EarlyStop, RankingSummary, ranking_summary
from llmcouncil.council.review_reading import AggregateView
from llmcouncil.council.stage_items import stage1_item, stage2_item
from llmcouncil.council.stage_writes import StageWriter, set_when_done
from llmcouncil.council.stages import (
    Reviews,
    collect_answers,
    collect_reviews,
    collect_revisions,
    collect_samples,
    synthesize,
)
from llmcouncil.council.synthesis import (
    final_synthesis,
    review_summary,
)
from llmcouncil.errors import CouncilFailedError, ModelFailure
from llmcouncil.records import CallRecord, RunStatus, Stage
from llmcouncil.resilience.calls import ModelCaller
from llmcouncil.store.repository import Store

if TYPE_CHECKING:
    from llmcouncil.council.pipeline import RunContext

# A "short" answer, for the early stop on unanimity: a number, a choice, a word or two.
SHORT_ANSWER_CHARS = 40


@dataclass(frozen=True, slots=True)
class ReviewOutcome:
    """The review stage's calls and what they concluded. ``view`` is what the chairman is told,
    known at once; ``summary`` (the leaderboard with its agreement statistics) is worked out
    when first asked for, by the stage's write once the chairman's request has left."""

    records: list[CallRecord]
    label_to_model: dict[str, str]
    view: AggregateView
    describe: Callable[[], RankingSummary]  # memoised: the same summary every time

    @property
    def summary(self) -> RankingSummary:
        return self.describe()


def round_of(record: CallRecord) -> int:
    return int(record.details.get("round", 0))


def normalised(text: str) -> str:
    return " ".join(text.split()).strip().rstrip(".").lower()


class StageSteps:
    """The steps of one run; a mode calls them in its order."""

    def __init__(
        self,
        *,
        store: Store,
        caller: ModelCaller,
        ctx: RunContext,
        writer: StageWriter,
        answers_stored: asyncio.Event,
        title_task: asyncio.Task[None] | None,
    ) -> None:
        self._store = store
        self._caller = caller
        self.ctx = ctx
        self.spec = ctx.spec
        self.writer = writer
        self._answers_stored = answers_stored
        self._title_task = title_task
        resume = ctx.resume
        self._done = resume.run.stages_done if resume else 0
        self._stored = resume.calls if resume else []
        self.early_stop: EarlyStop | None = None

    def emit(self, event: CouncilEvent) -> None:
        self.writer.events.emit(event)

    # --- stage 1 ------------------------------------------------------------------------------

    async def answers(self, *, samples: bool = False) -> list[CallRecord]:
        """Stage 1 (``samples``: self-moa's k answers of one model); the answers that succeeded.

        Raises ``CouncilFailedError`` when none did, once the stage is stored."""
        ctx, spec = self.ctx, self.spec
        self.emit(CouncilEvent(EventType.STAGE1_START))
        write = None
        if self._done >= Stage.ANSWERS:
            answers = [c for c in self._stored if c.stage == Stage.ANSWERS and round_of(c) == 0]
        else:
            if samples:
                answers = await collect_samples(
                    self._caller,
                    self.writer.events,
                    spec=spec,
                    question=ctx.question,
                    history=ctx.history,
                    seed=ctx.seed,
                    histories=ctx.histories,
                )
            else:
                answers = await collect_answers(
                    self._caller,
                    self.writer.events,
                    spec=spec,
                    question=ctx.question,
                    history=ctx.history,
                    histories=ctx.histories,
                )
            write = set_when_done(
                self._store.record_stage(ctx.run_id, stage=Stage.ANSWERS, calls=answers),
                self._answers_stored,
            )
        ctx.records += answers
        ok = [a for a in answers if a.ok]
        done = CouncilEvent(
            EventType.STAGE1_COMPLETE,
            {
                "data": [stage1_item(a) for a in ok],
                "errors": [a.error_item() for a in answers if not a.ok],
            },
        )
        self.writer.begin(write, done=[done])
        if not ok:
            await self.writer.settle()
            failures = [
                a.failure or ModelFailure(a.model, "internal", "no answer") for a in answers
            ]
            raise CouncilFailedError("every council member failed", failures=failures)
        return ok

    async def revise(self, current: list[CallRecord], *, round_number: int) -> list[CallRecord]:
        """One revision round over ``current``; the answers after it (a failed revision keeps
        the member's previous answer)."""
        ctx = self.ctx
        start = CouncilEvent(EventType.REVISION_START, {"round": round_number})
        stored = [
            c for c in self._stored if c.stage == Stage.ANSWERS and round_of(c) == round_number
        ]
        write = None
        if stored and self._done >= Stage.ANSWERS:
            await self.writer.settle([start])
            records = stored
        else:
            records = await self.writer.behind(
                [start],
                lambda events: collect_revisions(
                    self._caller,
                    events.tagged(round=round_number),
                    spec=self.spec,
                    question=ctx.question,
                    history=ctx.history,
                    current=current,
                    round_number=round_number,
                    seed=ctx.seed,
                    histories=ctx.histories,
                ),
            )
            write = self._store.record_stage(ctx.run_id, stage=Stage.ANSWERS, calls=records)
        ctx.records += records
        revised_by = {r.model: r for r in records if r.ok}
        revised = [revised_by.get(a.model, a) for a in current]
        changed = sum(
            1
            for old, new in zip(current, revised, strict=True)
            if normalised(old.text) != normalised(new.text)
        )
        done = CouncilEvent(
            EventType.REVISION_COMPLETE,
            {
                "round": round_number,
                "data": [{**stage1_item(a), "round": round_of(a)} for a in revised],
                "errors": [r.error_item() for r in records if not r.ok],
                "changed": changed,
            },
        )
        self.writer.begin(write, done=[done])
        if changed == 0 and self.spec.early_stop:
            self.early_stop = EarlyStop(
                kind="unchanged",
                round=round_number,
                reason=f"no answer changed in revision round {round_number}",
            )
        return revised

    # --- stage 2 ------------------------------------------------------------------------------

    def unanimous(self, ok: Sequence[CallRecord]) -> bool:
        """Early stop: every member (two or more) gave the same short answer."""
        if not self.spec.early_stop or len(ok) < 2:
            return False
        texts = {normalised(a.text) for a in ok}
        return len(texts) == 1 and len(next(iter(texts))) <= SHORT_ANSWER_CHARS

    async def review(
        self, ok: list[CallRecord], *, reviewers: Sequence[str] | None = None
    ) -> ReviewOutcome:
        ctx, spec = self.ctx, self.spec
        start = CouncilEvent(EventType.STAGE2_START)
        records: list[CallRecord] = []
        write = None
        if self._done >= Stage.REVIEWS and ctx.resume is not None:
            await self.writer.settle([start])
            records = [c for c in self._stored if c.stage == Stage.REVIEWS]
            stored = RankingSummary.stored(ctx.resume.run.meta) or RankingSummary()
            label_map = dict(ctx.resume.run.label_to_model or stored.label_to_model)
            view = AggregateView.stored(stored)
            outcome = ReviewOutcome(records, label_map, view, describe=lambda: stored)
        else:
            skipped = "only one answer survived stage 1" if len(ok) < 2 else None
            reviews: Reviews | None = None
            if skipped is None:
                reviews = await self.writer.behind(
                    [start],
                    lambda events: collect_reviews(
                        self._caller,
                        events,
                        spec=spec,
                        question=ctx.question,
                        history=ctx.history,
                        answers=ok,
                        seed=ctx.seed,
                        reviewers=reviewers,
                    ),
                )
                records = reviews.records
            else:
                await self.writer.settle([start])
            label_map = reviews.label_to_model if reviews else {"Response A": ok[0].model}
            aggregate = reviews.aggregate if reviews else None
            # The chairman needs only the aggregate's order and the votes: the rest of the
            # summary (the agreement statistics above all) is worked out once its request has
            # left, by the write, and announced with the stage as stored.
            describe = functools.cache(
                functools.partial(
                    ranking_summary,
                    spec=spec,
                    seed=ctx.seed,
                    label_to_model=label_map,
                    aggregate=aggregate,
                    skipped_reason=skipped
                    or ("every reviewer failed" if reviews and aggregate is None else None),
                    early_stop=self.early_stop,
                )
            )
            outcome = ReviewOutcome(records, label_map, AggregateView.of(aggregate), describe)
            write = self._write_reviews(outcome)
        ctx.records += records
        self.writer.begin(
            write,
            done=lambda: [
                CouncilEvent(
                    EventType.STAGE2_COMPLETE,
                    {
                        "data": [stage2_item(r) for r in records if r.ok],
                        "metadata": outcome.summary.as_json(),
                        "errors": [r.error_item() for r in records if not r.ok],
                    },
                )
            ],
        )
        return outcome

    async def _write_reviews(self, outcome: ReviewOutcome) -> None:
        await self._store.record_stage(
            self.ctx.run_id,
            stage=Stage.REVIEWS,
            calls=outcome.records,
            label_to_model=outcome.label_to_model,
            meta=outcome.summary.as_json(),
        )

    # --- stage 3 ------------------------------------------------------------------------------

    async def synthesis(self, ok: list[CallRecord], review: ReviewOutcome) -> bool:
        """The chairman's synthesis (or the top answer, degraded, when every chairman failed)."""
        ctx = self.ctx
        chair = await self.writer.behind(
            [CouncilEvent(EventType.STAGE3_START)],
            lambda events: synthesize(
                self._caller,
                events,
                spec=self.spec,
                question=ctx.question,
                history=ctx.history,
                answers=ok,
                label_to_model=review.label_to_model,
                reviews=review.records,
                aggregate=review.view,
                seed=ctx.seed,
                histories=ctx.histories,
            ),
        )
        ctx.records.append(chair)
        if chair.ok and not self.spec.structured_synthesis:
            final = FinalAnswer.synthesis(chair)
        elif chair.ok:
            final = final_synthesis(chair, label_to_model=review.label_to_model)
        else:
            reason = (
                f"every chairman failed: "
                f"{chair.failure.message if chair.failure else 'no reason given'}"
            )
            final = FinalAnswer.degraded_to(top_answer(ok, review.summary), reason=reason)
        return await self.finish(final, calls=[chair], errors=[] if chair.ok else [chair])

    async def select(self, ok: list[CallRecord], review: ReviewOutcome) -> bool:
        """``select``: the top-ranked answer verbatim, with the review's summary; no chairman."""
        await self.writer.settle([CouncilEvent(EventType.STAGE3_START)])
        best = top_answer(ok, review.summary) or ok[0]
        label = next((lb for lb, m in review.label_to_model.items() if m == best.model), None)
        final = FinalAnswer.selected(
            best, label=label, summary=review_summary(review.summary, model=best.model)
        )
        return await self.finish(final, calls=[], errors=[])

    async def side_by_side(self, ok: list[CallRecord]) -> bool:
        """``answers``: the members' answers are the result; nothing is reviewed."""
        await self.writer.settle()
        return await self.finish(FinalAnswer.side_by_side(ok), calls=[], errors=[])

    async def unanimous_answer(self, ok: list[CallRecord]) -> bool:
        """Early stop: the one answer every member gave, without review or chairman."""
        await self.writer.settle()
        self.early_stop = EarlyStop(
            kind="unanimous",
            reason=f"all {len(ok)} members gave the same short answer; the review was skipped",
        )
        return await self.finish(FinalAnswer.unanimous(ok[0], members=len(ok)), calls=[], errors=[])

    async def finish(
        self, answer: FinalAnswer, *, calls: list[CallRecord], errors: list[CallRecord]
    ) -> bool:
        """Store the final answer; True when that write also completed the run.

        That is the case when nothing else is left to wait for (no title, or a title already
        stored): then stage 3 and ``complete`` are one transaction instead of two."""
        title = self._title_task
        finish = title is None or (
            title.done() and not title.cancelled() and title.exception() is None
        )
        final = answer.as_dict()
        if self.early_stop is not None:
            final["early_stop"] = self.early_stop.as_json()
        self.ctx.stored = await self._store.record_stage(
            self.ctx.run_id,
            stage=Stage.FINAL,
            calls=calls,
            final=final,
            finish=RunStatus.COMPLETE if finish else None,
            read_back=finish,
        )
        self.emit(
            CouncilEvent(
                EventType.STAGE3_COMPLETE,
                {"data": final, "errors": [c.error_item() for c in errors]},
            )
        )
        return finish

    def without_self_votes(self) -> StageSteps:
        """Self-moa: every answer is the same model's, so no vote is anyone's own."""
        self.spec = dataclasses.replace(self.spec, exclude_self_votes=False)
        return self


def top_answer(answers: list[CallRecord], summary: RankingSummary) -> CallRecord | None:
    by_model = {a.model: a for a in answers}
    for model in summary.ranked_models():
        if model in by_model:
            return by_model[model]
    return answers[0] if answers else None
