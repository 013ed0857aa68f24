"""The three stages and the title, each a function from inputs to ``CallRecord`` s.

Stages know nothing of HTTP or storage: they call models through ``ModelCaller`` and report
progress through ``StageEvents``. Stage 2 labels answers with a seeded shuffle (so "Response A"
is no particular model) and shows every reviewer its own order of the answers, balanced so each
answer takes each place as evenly as the reviewers allow (``ordering``); labels stay fixed across
reviewers, so a label means one model in every review, in the stored map and in the Chairman's
prompt. Reading the reviews (parse, repair turn, votes) is ``review_reading``.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from llmcouncil.council import prompts, review_reading
from llmcouncil.council.aggregation import AggregateResult, aggregate_rankings
from llmcouncil.council.ordering import presentation_orders
from llmcouncil.council.prompt_safety import nonce_for
from llmcouncil.council.ranking import ParseStatus, response_labels
from llmcouncil.council.spec import CouncilSpec
from llmcouncil.council.stage_calls import call_one, gather_stage, reasoning_for
from llmcouncil.council.stage_events import StageEvents
from llmcouncil.council.synthesis import StructureFilter
from llmcouncil.documents.vision import ModelHistories
from llmcouncil.providers.base import ChatMessage
from llmcouncil.records import CallRecord, Stage
from llmcouncil.resilience.calls import CallPlan, ModelCaller


@dataclass(frozen=True, slots=True)
class Reviews:
    records: list[CallRecord]
    label_to_model: dict[str, str]
    aggregate: AggregateResult | None


async def collect_answers(
    caller: ModelCaller,
    events: StageEvents,
    *,
    spec: CouncilSpec,
    question: str,
    history: list[ChatMessage],
    histories: ModelHistories | None = None,
) -> list[CallRecord]:
    """``histories``: the members sent a history of their own (``ModelHistories``: images, a
    larger share of the documents)."""
    system = spec.system_prompts.get("stage1", "")
    messages = prompts.answer_messages(question=question, history=history, system=system)
    plans = []
    for i, member in enumerate(spec.members):
        reasoning, max_tokens = reasoning_for(spec, stage="answers", model=member)
        fallbacks: Sequence[str] = spec.fallbacks.get(member, ())
        sent = messages
        if histories is not None and member in histories.readers:
            own = histories.for_model(member, history)
            sent = prompts.answer_messages(question=question, history=own, system=system)
            fallbacks = histories.fallbacks(member, fallbacks)
        plans.append(
            CallPlan(
                stage=Stage.ANSWERS,
                model=member,
                watched=events.watched,
                messages=sent,
                position=i,
                fallbacks=fallbacks,
                temperature=spec.temperature,
                max_tokens=max_tokens,
                preset=spec.preset,
                reasoning=reasoning,
            )
        )
    return await gather_stage(caller, plans, events, preset=spec.preset)


# Self-MoA's samples spread over this range of temperatures (one model, k varied answers).
SAMPLE_TEMPERATURES = (0.4, 1.1)


def sample_name(model: str, index: int) -> str:
    return f"{model}#{index + 1}"


async def collect_samples(
    caller: ModelCaller,
    events: StageEvents,
    *,
    spec: CouncilSpec,
    question: str,
    history: list[ChatMessage],
    seed: int,
    histories: ModelHistories | None = None,
) -> list[CallRecord]:
    """``self-moa``: one model answers ``spec.samples`` times, each with its own temperature
    and seed; each answer is named ``model#i`` so the stages after treat them as members."""
    model = spec.sample_model or spec.members[0]
    fallbacks: Sequence[str] = spec.fallbacks.get(model, ())
    if histories is not None:
        history = histories.for_model(model, history)
        fallbacks = histories.fallbacks(model, fallbacks)
    messages = prompts.answer_messages(
        question=question, history=history, system=spec.system_prompts.get("stage1", "")
    )
    low, high = SAMPLE_TEMPERATURES
    count = spec.samples
    reasoning, max_tokens = reasoning_for(spec, stage="answers", model=model)
    plans = []
    for i in range(count):
        temperature = round(low + (high - low) * i / max(1, count - 1), 2)
        plans.append(
            CallPlan(
                stage=Stage.ANSWERS,
                model=model,
                watched=events.watched,
                messages=messages,
                position=i,
                fallbacks=fallbacks,
                temperature=temperature,
                max_tokens=max_tokens,
                preset=spec.preset,
                seed=seed + i,
                reasoning=reasoning,
                details={
                    "sample_name": sample_name(model, i),
                    "sample_model": model,
                    "sample_temperature": temperature,
                },
            )
        )
    return await gather_stage(caller, plans, events, preset=spec.preset)


async def collect_revisions(
    caller: ModelCaller,
    events: StageEvents,
    *,
    spec: CouncilSpec,
    question: str,
    history: list[ChatMessage],
    current: Sequence[CallRecord],
    round_number: int,
    seed: int,
    histories: ModelHistories | None = None,
) -> list[CallRecord]:
    """``revise``: each member sees its own last answer and the others', anonymised (labels
    shuffled per round), and answers again. Its record carries ``round`` in its details."""
    mask = spec.mask_self_identification
    label_of = assign_labels(current, seed=seed + round_number)
    by_label = dict(label_of)
    by_member = {a.model: a for a in current}
    quoted = {
        m: prompts.quote(a.text, names=review_reading.author_names(a), mask=mask)
        for m, a in by_member.items()
    }
    nonce = nonce_for(seed + round_number, "revision")
    plans = []
    for answer in current:
        model = answer.model
        call_model = str(answer.details.get("sample_model") or model)
        reasoning, max_tokens = reasoning_for(spec, stage="answers", model=call_model)
        details: dict[str, Any] = {"round": round_number}
        if answer.details.get("sample_name") is not None:
            details.update(sample_name=model, sample_model=call_model)
        fallbacks: Sequence[str] = spec.fallbacks.get(call_model, ())
        sent = history
        if histories is not None:
            sent = histories.for_model(call_model, history)
            fallbacks = histories.fallbacks(call_model, fallbacks)
        plans.append(
            CallPlan(
                stage=Stage.ANSWERS,
                model=call_model,
                watched=events.watched,
                messages=prompts.revision_messages(
                    question=question,
                    history=sent,
                    own=quoted[model],
                    others=[(label, quoted[m]) for label, m in by_label.items() if m != model],
                    round_number=round_number,
                    nonce=nonce,
                    system=spec.system_prompts.get("stage1", ""),
                ),
                position=answer.position,
                fallbacks=fallbacks,
                temperature=spec.temperature,
                max_tokens=max_tokens,
                preset=spec.preset,
                reasoning=reasoning,
                details=details,
            )
        )
    return await gather_stage(caller, plans, events, preset=spec.preset)


def assign_labels(answers: Sequence[CallRecord], *, seed: int) -> dict[str, str]:
    """Seeded label → member map over the successful answers."""
    members = [a.model for a in answers]
    random.Random(seed).shuffle(members)
    return dict(zip(response_labels(len(members)), members, strict=True))


async def collect_reviews(
    caller: ModelCaller,
    events: StageEvents,
    *,
    spec: CouncilSpec,
    question: str,
    history: list[ChatMessage],
    answers: Sequence[CallRecord],
    seed: int,
    reviewers: Sequence[str] | None = None,
) -> Reviews:
    """``reviewers``: who reviews (default: the members who answered)."""
    label_to_model = assign_labels(answers, seed=seed)
    labels = list(label_to_model)
    by_member = {a.model: a for a in answers}
    mask = spec.mask_self_identification
    # Each answer is made safe once, whichever reviewers see it.
    quoted = {
        label: prompts.quote(
            by_member[member].text, names=review_reading.author_names(by_member[member]), mask=mask
        )
        for label, member in label_to_model.items()
    }
    nonce = nonce_for(seed, "ranking")
    structured = spec.structured_rankings
    reviewers = list(dict.fromkeys(reviewers)) if reviewers else [a.model for a in answers]
    orders = presentation_orders(labels, reviewers, seed=seed)  # balanced across reviewers
    plans = []
    for i, reviewer in enumerate(reviewers):
        order = orders[reviewer]
        reasoning, max_tokens = reasoning_for(spec, stage="reviews", model=reviewer)
        plans.append(
            CallPlan(
                stage=Stage.REVIEWS,
                model=reviewer,
                watched=events.watched,
                position=i,
                messages=prompts.ranking_messages(
                    question=question,
                    history=history,
                    answers=[(label, quoted[label]) for label in order],
                    structured=structured,
                    nonce=nonce,
                    system=spec.system_prompts.get("stage2", ""),
                ),
                fallbacks=spec.fallbacks.get(reviewer, ()),
                temperature=spec.temperature,
                max_tokens=max_tokens,
                json_schema=prompts.RANKING_SCHEMA if structured else None,
                details={"presentation_order": order},
                preset=spec.preset,
                reasoning=reasoning,
            )
        )
    records = await gather_stage(caller, plans, events, preset=spec.preset)
    plan_of = {plan.position: plan for plan in plans}
    unread = []
    for record in records:
        if record.ok:
            parsed = review_reading.read_review(record, labels)
            if parsed.status == ParseStatus.FAILED:
                unread.append((record, plan_of[record.position], parsed))
    if unread:  # only then a repair turn: the usual stage has nothing more to wait for
        await review_reading.repair_reviews(caller, unread, labels=labels)
    reviews = review_reading.reviewer_rankings(
        records, answers=answers, label_to_model=label_to_model
    )
    aggregate = (
        aggregate_rankings(
            reviews,
            label_to_model,
            seed=seed,
            exclude_self_votes=spec.exclude_self_votes,
            weights=spec.reviewer_weights,
        )
        if reviews
        else None
    )
    review_reading.record_votes(records, aggregate)
    return Reviews(records=records, label_to_model=label_to_model, aggregate=aggregate)


async def synthesize(
    caller: ModelCaller,
    events: StageEvents,
    *,
    spec: CouncilSpec,
    question: str,
    history: list[ChatMessage],
    answers: Sequence[CallRecord],
    label_to_model: dict[str, str],
    reviews: Sequence[CallRecord],
    aggregate: review_reading.AggregateView,
    seed: int,
    histories: ModelHistories | None = None,
) -> CallRecord:
    """The Chairman sees the answers and the reviews whose vote counted, each enclosed and
    neutralised, and the aggregate order; never a model's reasoning, never a model name.
    A chairman with a history of its own (``histories``: images, a larger share of the
    documents) is sent it."""
    fallbacks: Sequence[str] = spec.chairman_fallbacks
    if histories is not None:
        history = histories.for_model(spec.chairman, history)
        fallbacks = histories.fallbacks(spec.chairman, fallbacks)
    by_member = {a.model: a for a in answers}
    mask = spec.mask_self_identification
    labelled = [
        (
            label,
            prompts.quote(
                by_member[m].text, names=review_reading.author_names(by_member[m]), mask=mask
            ),
        )
        for label, m in sorted(label_to_model.items())
        if m in by_member
    ]
    messages = prompts.chairman_messages(
        question=question,
        history=history,
        answers=labelled,
        reviews=review_reading.chair_reviews(reviews, mask=mask),
        order=aggregate.order,
        no_clear_winner=aggregate.no_clear_winner,
        nonce=nonce_for(seed, "chairman"),
        system=spec.system_prompts.get("stage3", ""),
        structured=spec.structured_synthesis,
    )
    reasoning, max_tokens = reasoning_for(spec, stage="chairman", model=spec.chairman)
    plan = CallPlan(
        stage=Stage.FINAL,
        model=spec.chairman,
        watched=events.watched,
        messages=messages,
        fallbacks=fallbacks,
        temperature=spec.temperature,
        max_tokens=max_tokens,
        preset=spec.preset,
        deadline=caller.policies.chairman_deadline(spec.preset),
        reasoning=reasoning,
    )
    if events.watched and spec.structured_synthesis:  # shown apart, never streamed as text
        block = StructureFilter()
        events = events.filtered(block.feed, block.reset)
    return await call_one(caller, plan, events)


async def make_title(
    caller: ModelCaller,
    *,
    spec: CouncilSpec,
    question: str,
    max_chars: int,
) -> CallRecord:
    model = spec.title_model or spec.chairman
    fallbacks = [m for m in (spec.chairman,) if m != model]
    plan = CallPlan(
        stage=Stage.TITLE,
        model=model,
        watched=False,
        messages=prompts.title_messages(question),
        fallbacks=fallbacks,
        max_tokens=30,
        preset=spec.preset,
        total_timeout=caller.policies.title_timeout,  # a title never holds the run for long
    )
    record = await caller.call(plan)
    title = prompts.clean_title(record.text, max_chars=max_chars) if record.ok else ""
    record.details["title"] = title or prompts.fallback_title(question)
    return record
