"""Metrics from what runs emit: a tap on each run's channel, and the run's ``CallRecord`` s.

Stage and council timings, the time to the Chairman's first token, retries, fallbacks, hedges,
late calls and redactions (the privacy guard's counts in ``run_start``) come from the events as
they happen. Per-call figures (latency, time to first token, tokens, cost, every failed attempt
by kind, and how each stage-2 review was read: ``parse_status`` and the ``repair`` turn in its
details) come from the records, which the pipeline adds to the run's context before it announces
a stage complete; the tap reads the new ones then. Nothing here is called by the pipeline: it
only listens. ``VoteMetrics`` counts people's votes, told by the feedback service.
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Callable
from typing import Any

from llmcouncil.council.events import CouncilEvent, EventType, RunChannel
from llmcouncil.council.pipeline import RunContext
from llmcouncil.feedback.service import Ballot, vote_kinds
from llmcouncil.observability.metrics import STAGE_NAMES, CouncilMetrics
from llmcouncil.records import CallRecord, Stage

_STAGE_OF = {
    EventType.STAGE1_START: 1,
    EventType.STAGE2_START: 2,
    EventType.STAGE3_START: 3,
    EventType.STAGE1_COMPLETE: 1,
    EventType.STAGE2_COMPLETE: 2,
    EventType.STAGE3_COMPLETE: 3,
}
_STARTS = {EventType.STAGE1_START, EventType.STAGE2_START, EventType.STAGE3_START}


def served_by(record: CallRecord) -> str:
    """The configured model that produced the record: the member, or the fallback that answered.

    ``answered_by`` of the member itself is the upstream's own id (possibly dated): not a label.
    """
    if record.ok and record.fallback_from is not None and record.answered_by:
        return record.answered_by
    return record.model


class RunMetrics:
    """A run observer that counts into ``CouncilMetrics``."""

    def __init__(self, metrics: CouncilMetrics, *, clock: Callable[[], float] = time.monotonic):
        self._metrics = metrics
        self._clock = clock

    def run_started(
        self, ctx: RunContext, channel: RunChannel, context: contextvars.Context
    ) -> None:
        del context
        channel.tap(_RunTally(self._metrics, ctx, self._clock))


class VoteMetrics:
    """A vote observer that counts each vote cast or changed by what it says."""

    def __init__(self, metrics: CouncilMetrics) -> None:
        self._metrics = metrics

    def vote_cast(self, ballot: Ballot) -> None:
        for kind in vote_kinds(ballot):
            self._metrics.votes.labels(kind).inc()


class _RunTally:
    def __init__(self, metrics: CouncilMetrics, ctx: RunContext, clock: Callable[[], float]):
        self._m = metrics
        self._ctx = ctx
        self._clock = clock
        self._started = clock()
        self._stage_started: dict[int, float] = {}
        self._counted = 0  # records of ctx.records already counted
        self._first_token = False
        self._degraded = False
        self._preset = ctx.spec.preset or "custom"
        # A retried run's stored records were counted when they were made.
        self._stored = {id(call) for call in ctx.resume.calls} if ctx.resume else set()

    def __call__(self, event: CouncilEvent) -> None:
        kind, fields = event.type, event.fields
        if kind is EventType.MODEL_DELTA:  # the hot path: one per token
            if not self._first_token and fields.get("stage") == 3:
                self._first_token = True
                self._m.council_first_token.labels(self._preset).observe(self._since())
            return
        if kind is EventType.RUN_START:
            self._redactions(fields.get("privacy"))
        elif kind in _STARTS:
            self._stage_started[_STAGE_OF[kind]] = self._clock()
        elif kind in _STAGE_OF:
            self._stage_complete(_STAGE_OF[kind], fields)
        elif kind is EventType.TITLE_COMPLETE:
            self._count_records()
        elif kind is EventType.MODEL_RETRY:
            model = str(fields.get("candidate") or fields.get("model"))
            self._m.retries.labels(model, str(fields.get("kind"))).inc()
        elif kind is EventType.MODEL_FALLBACK:
            self._m.fallbacks.labels(str(fields.get("model")), str(fields.get("fallback"))).inc()
        elif kind is EventType.MODEL_HEDGE:
            self._m.hedges.labels(str(fields.get("model"))).inc()
        elif kind is EventType.MODEL_LATE:
            stage = STAGE_NAMES.get(int(fields.get("stage") or 0), "unknown")
            self._m.late_calls.labels(str(fields.get("model")), stage).inc()
        elif kind is EventType.COMPLETE:
            self._finish("degraded" if self._degraded else "complete")
        elif kind is EventType.ERROR:
            self._finish("cancelled" if fields.get("code") == "cancelled" else "failed")

    def _redactions(self, privacy: Any) -> None:
        if self._ctx.resume is not None:  # a retried run: counted when it first ran
            return
        counts = privacy.get("redactions") if isinstance(privacy, dict) else None
        for entity, n in (counts or {}).items():
            if isinstance(n, int) and n > 0:
                self._m.redactions.labels(str(entity)).inc(n)

    def _since(self, start: float | None = None) -> float:
        return max(0.0, self._clock() - (self._started if start is None else start))

    def _stage_complete(self, stage: int, fields: dict[str, Any]) -> None:
        started = self._stage_started.pop(stage, None)
        if started is not None:
            self._m.stage_seconds.labels(STAGE_NAMES[stage]).observe(self._since(started))
        if stage == 3:
            data = fields.get("data")
            self._degraded = isinstance(data, dict) and bool(data.get("degraded"))
        self._count_records()

    def _finish(self, outcome: str) -> None:
        self._count_records()
        self._m.councils.labels(self._preset, outcome).inc()
        self._m.council_seconds.labels(self._preset, outcome).observe(self._since())

    def _count_records(self) -> None:
        records = self._ctx.records
        for record in records[self._counted :]:
            self._count(record)
        self._counted = len(records)

    def _count(self, record: CallRecord) -> None:
        m = self._m
        stage = STAGE_NAMES.get(record.stage, "unknown")
        model = served_by(record)
        attempts = record.details.get("failed_attempts") or []
        for attempt in attempts:
            if isinstance(attempt, dict):
                m.upstream_errors.labels(str(attempt.get("model")), str(attempt.get("kind"))).inc()
        if not record.ok:
            kind = record.failure.kind if record.failure else "internal"
            if not attempts and kind != "late":  # failed before any upstream attempt
                m.upstream_errors.labels(record.model, kind).inc()
            m.calls.labels(record.model, stage, "late" if kind == "late" else "failed").inc()
            return
        m.calls.labels(model, stage, "fallback" if record.fallback_from else "ok").inc()
        if record.stage == Stage.REVIEWS and id(record) not in self._stored:
            self._review_parse(record)
        if record.latency_ms is not None:
            m.call_seconds.labels(model, stage).observe(record.latency_ms / 1000)
        if record.ttft_ms is not None:
            m.call_first_token.labels(model, stage).observe(record.ttft_ms / 1000)
        usage = record.usage
        if usage.prompt_tokens:
            m.tokens.labels(model, "input").inc(usage.prompt_tokens)
        if usage.completion_tokens:
            m.tokens.labels(model, "output").inc(usage.completion_tokens)
        if usage.cost:
            m.cost.labels(model).inc(usage.cost)

    def _review_parse(self, record: CallRecord) -> None:
        status = record.details.get("parse_status")
        if status not in ("ok", "partial", "failed"):
            status = "failed"  # unread, or a status older versions wrote: not counted
        repair = record.details.get("repair")
        repaired = isinstance(repair, dict) and bool(repair.get("asked"))
        self._m.review_parses.labels(status, "true" if repaired else "false").inc()
