"""How one stage's calls go out and come back: each call through ``ModelCaller`` with its
events, the stage's calls together under the straggler policy (quorum, then a grace period),
a late call recorded as such (or kept running and stored when it ends), and the effort and
output budget of each call from the council's reasoning settings.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from llmcouncil.council.spec import CouncilSpec
from llmcouncil.council.stage_events import StageEvents
from llmcouncil.errors import ModelFailure
from llmcouncil.providers.base import ReasoningRequest
from llmcouncil.records import CallRecord
from llmcouncil.resilience.calls import CallPlan, ModelCaller
from llmcouncil.resilience.stragglers import StageCut, gather_with_quorum, late_sink


def name_of(plan: CallPlan) -> str:
    """What the council calls this call's author: its model, or a self-moa sample's name."""
    name = plan.details.get("sample_name")
    return plan.model if name is None else str(name)


async def call_one(caller: ModelCaller, plan: CallPlan, events: StageEvents) -> CallRecord:
    name = name_of(plan)
    listeners = events.listeners(stage=plan.stage, model=name)
    record = await caller.call(plan, listeners)
    record.model = name
    events.finished(record)
    return record


def reasoning_for(
    spec: CouncilSpec, *, stage: str, model: str
) -> tuple[ReasoningRequest | None, int | None]:
    """The effort / thinking budget and the output budget of one call: the stage's settings,
    then the model's over them; the output budget defaults to the preset's ``max_tokens``."""
    if not spec.reasoning:
        return None, spec.max_tokens
    base = dict(spec.reasoning.get(stage) or {})
    over = (spec.reasoning.get("models") or {}).get(model) or {}
    base.update({k: v for k, v in over.items() if v is not None})
    effort, budget = base.get("effort"), base.get("max_reasoning_tokens")
    request = ReasoningRequest(effort=effort, max_tokens=budget) if effort or budget else None
    return request, base.get("max_output_tokens") or spec.max_tokens


async def gather_stage(
    caller: ModelCaller, plans: Sequence[CallPlan], events: StageEvents, *, preset: str | None
) -> list[CallRecord]:
    """The stage's calls together, under the straggler policy (quorum, then a grace period).

    A late call is cancelled and recorded as a ``late`` failure; with ``late = "keep"`` (and a
    run to store it in) it runs on, and is stored as late, outside the stage, when it ends.
    """
    policy = caller.policies.stragglers(preset)
    sink = late_sink.get() if policy.late == "keep" else None
    outcome = await gather_with_quorum(
        [call_one(caller, p, events) for p in plans],
        policy=policy,
        ok=lambda r: r.ok,
        keep_late=sink is not None,
    )
    records: list[CallRecord] = []
    running = {late.index: late.task for late in outcome.late}
    for index, (plan, result) in enumerate(zip(plans, outcome.results, strict=True)):
        if result is not None:
            records.append(result)
            continue
        cut = outcome.cut
        reason = cut.describe() if cut is not None else "no answer before the stage closed"
        task = running.get(index)
        kept = sink is not None and task is not None
        record = late_record(plan, reason=f"{reason}; {'kept running' if kept else 'cancelled'}")
        events.late(record, kept=kept)
        if sink is not None and task is not None:
            sink(settle_late(task, plan=plan, cut=cut))
        else:
            records.append(record)
    return records


def late_record(plan: CallPlan, *, reason: str, text: str = "") -> CallRecord:
    return CallRecord(
        stage=plan.stage,
        model=name_of(plan),
        ok=False,
        position=plan.position,
        text=text,
        failure=ModelFailure(model=name_of(plan), kind="late", message=reason),
        details={**plan.details, "late": True},
    )


async def settle_late(
    task: asyncio.Future[CallRecord], *, plan: CallPlan, cut: StageCut | None
) -> CallRecord:
    """A kept late call's record, once it ends: stored as late, never part of the stage."""
    loop = asyncio.get_running_loop()
    closed_at = loop.time()
    record = await task  # cancelled at shutdown: then nothing is stored
    after = loop.time() - closed_at
    where = f"{cut.describe()}; " if cut is not None else ""
    outcome = "answered" if record.ok else "failed"
    late = late_record(
        plan, reason=f"{where}{outcome} {after:.1f} s after the stage closed", text=record.text
    )
    late.answered_by = record.answered_by
    late.usage = record.usage
    late.latency_ms = record.latency_ms
    late.ttft_ms = record.ttft_ms
    late.simulated = record.simulated
    late.details.update(record.details, late=True, late_ok=record.ok)
    return late
