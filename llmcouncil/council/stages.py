"""The three stages and the title, each a function from inputs to ``CallRecord`` s.

Stages know nothing of HTTP or storage: they call models through ``ModelCaller`` and report
progress through ``StageEvents``. Stage 2 labels answers with a seeded shuffle (so "Response A"
is no particular model) and shows every reviewer its own seeded order of the answers, so no answer
always comes first; labels stay fixed across reviewers, so a label means one model in every
review, in the stored map and in the Chairman's prompt.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from llmcouncil.council import prompts
from llmcouncil.council.events import CouncilEvent, EventType
from llmcouncil.council.ranking import (
    AggregateResult,
    ReviewerRanking,
    aggregate_rankings,
    parse_ranking,
    response_labels,
)
from llmcouncil.council.results import (
    STAGE_ANSWERS,
    STAGE_FINAL,
    STAGE_REVIEWS,
    STAGE_TITLE,
    CallRecord,
)
from llmcouncil.council.spec import CouncilSpec
from llmcouncil.providers.base import ChatMessage
from llmcouncil.resilience.calls import CallListeners, CallPlan, ModelCaller


class StageEvents:
    """Turns a call's progress into ``model_*`` events on the run's channel."""

    def __init__(self, emit: Any) -> None:
        self._emit = emit

    def listeners(self, *, stage: int, model: str, stream: bool = True) -> CallListeners:
        def delta(text: str) -> None:
            self._emit(
                CouncilEvent(EventType.MODEL_DELTA, {"stage": stage, "model": model, "text": text})
            )

        def fallback(to: str, reason: str) -> None:
            self._emit(
                CouncilEvent(
                    EventType.MODEL_FALLBACK,
                    {"stage": stage, "model": model, "fallback": to, "reason": reason},
                )
            )

        def reset() -> None:
            self._emit(CouncilEvent(EventType.MODEL_RESET, {"stage": stage, "model": model}))

        return CallListeners(
            on_delta=delta if stream else None, on_fallback=fallback, on_reset=reset
        )

    def finished(self, record: CallRecord) -> None:
        if record.ok:
            self._emit(
                CouncilEvent(
                    EventType.MODEL_COMPLETE,
                    {
                        "stage": record.stage,
                        "model": record.model,
                        "answered_by": record.answered_by,
                        "usage": record.usage.as_dict(),
                        "latency_ms": record.latency_ms,
                        "ttft_ms": record.ttft_ms,
                        "fallback_from": record.fallback_from,
                        "fallback_reason": record.fallback_reason,
                    },
                )
            )
        else:
            self._emit(CouncilEvent(EventType.MODEL_ERROR, record.error_item()))


@dataclass(frozen=True, slots=True)
class Reviews:
    records: list[CallRecord]
    label_to_model: dict[str, str]
    aggregate: AggregateResult | None


async def _call(
    caller: ModelCaller, plan: CallPlan, events: StageEvents, *, stream: bool = True
) -> CallRecord:
    record = await caller.call(
        plan, events.listeners(stage=plan.stage, model=plan.model, stream=stream)
    )
    events.finished(record)
    return record


async def collect_answers(
    caller: ModelCaller,
    events: StageEvents,
    *,
    spec: CouncilSpec,
    question: str,
    history: list[ChatMessage],
) -> list[CallRecord]:
    messages = prompts.answer_messages(
        question=question, history=history, system=spec.system_prompts.get("stage1", "")
    )
    plans = [
        CallPlan(
            stage=STAGE_ANSWERS,
            model=member,
            messages=messages,
            position=i,
            fallbacks=spec.fallbacks.get(member, ()),
            temperature=spec.temperature,
            max_tokens=spec.max_tokens,
        )
        for i, member in enumerate(spec.members)
    ]
    return list(await asyncio.gather(*(_call(caller, p, events) for p in plans)))


def assign_labels(answers: Sequence[CallRecord], *, seed: int) -> dict[str, str]:
    """Seeded label → member map over the successful answers."""
    members = [a.model for a in answers]
    random.Random(seed).shuffle(members)
    return dict(zip(response_labels(len(members)), members, strict=True))


def presentation_order(labels: Sequence[str], *, seed: int, reviewer: str) -> list[str]:
    order = list(labels)
    random.Random(f"{seed}:{reviewer}").shuffle(order)
    return order


async def collect_reviews(
    caller: ModelCaller,
    events: StageEvents,
    *,
    spec: CouncilSpec,
    question: str,
    history: list[ChatMessage],
    answers: Sequence[CallRecord],
    seed: int,
) -> Reviews:
    label_to_model = assign_labels(answers, seed=seed)
    text_by_member = {a.model: a.text for a in answers}
    model_to_label = {model: label for label, model in label_to_model.items()}
    structured = spec.structured_rankings
    plans = []
    for i, reviewer in enumerate(a.model for a in answers):
        order = presentation_order(list(label_to_model), seed=seed, reviewer=reviewer)
        shown = [(label, text_by_member[label_to_model[label]]) for label in order]
        plans.append(
            CallPlan(
                stage=STAGE_REVIEWS,
                model=reviewer,
                position=i,
                messages=prompts.ranking_messages(
                    question=question,
                    history=history,
                    answers=shown,
                    structured=structured,
                    system=spec.system_prompts.get("stage2", ""),
                ),
                fallbacks=spec.fallbacks.get(reviewer, ()),
                temperature=spec.temperature,
                max_tokens=spec.max_tokens,
                json_schema=prompts.RANKING_SCHEMA if structured else None,
                details={"presentation_order": order, "own_label": model_to_label.get(reviewer)},
            )
        )
    records = list(await asyncio.gather(*(_call(caller, p, events) for p in plans)))
    labels = list(label_to_model)
    for record in records:
        if record.ok:
            parsed = parse_ranking(record.text, labels)
            record.details.update(
                parsed_ranking=parsed.ranking,
                parse_status=str(parsed.status),
                parse_issues=parsed.issues,
                parse_source=parsed.source,
            )
            if parsed.source == "json" and parsed.ranking:
                record.text = _readable_review(record.text, parsed.ranking)
    reviews = [
        ReviewerRanking(
            reviewer=r.model,
            ranking=list(r.details.get("parsed_ranking", [])),
            own_label=r.details.get("own_label"),
        )
        for r in records
        if r.ok
    ]
    aggregate = (
        aggregate_rankings(reviews, label_to_model, exclude_self_votes=spec.exclude_self_votes)
        if reviews
        else None
    )
    return Reviews(records=records, label_to_model=label_to_model, aggregate=aggregate)


def _readable_review(raw: str, ranking: list[str]) -> str:
    """A JSON review rendered as the original's text, so every client can show it."""
    reasoning = ""
    try:
        start, end = raw.index("{"), raw.rindex("}") + 1
        data = json.loads(raw[start:end])
        reasoning = str(data.get("reasoning", "")) if isinstance(data, dict) else ""
    except ValueError:
        reasoning = ""
    lines = "\n".join(f"{i}. {label}" for i, label in enumerate(ranking, start=1))
    return f"{reasoning.strip()}\n\nFINAL RANKING:\n{lines}".strip()


async def synthesize(
    caller: ModelCaller,
    events: StageEvents,
    *,
    spec: CouncilSpec,
    question: str,
    history: list[ChatMessage],
    answers: Sequence[CallRecord],
    label_to_model: dict[str, str],
    review_texts: Sequence[str],
    aggregate: Sequence[tuple[str, float]],
) -> CallRecord:
    """``aggregate`` is (label, average rank), best first."""
    text_by_member = {a.model: a.text for a in answers}
    labelled = [
        (label, text_by_member[m])
        for label, m in sorted(label_to_model.items())
        if m in text_by_member
    ]
    messages = prompts.chairman_messages(
        question=question,
        history=history,
        answers=labelled,
        reviews=review_texts,
        aggregate=aggregate,
        system=spec.system_prompts.get("stage3", ""),
    )
    plan = CallPlan(
        stage=STAGE_FINAL,
        model=spec.chairman,
        messages=messages,
        fallbacks=spec.chairman_fallbacks,
        temperature=spec.temperature,
        max_tokens=spec.max_tokens,
    )
    return await _call(caller, plan, events)


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
        stage=STAGE_TITLE,
        model=model,
        messages=prompts.title_messages(question),
        fallbacks=fallbacks,
        max_tokens=30,
    )
    record = await caller.call(plan)
    title = prompts.clean_title(record.text, max_chars=max_chars) if record.ok else ""
    record.details["title"] = title or prompts.fallback_title(question)
    return record
