"""What stage 2 makes of its reviews: the parse, one repair turn, the votes, the chairman's view.

Each review is parsed once (``read_review``) and what the parser found is kept in the call's
details, so a stored review renders and resumes without being parsed again. A review whose
ranking cannot be read is asked for once more (``repair_reviews``): a short follow-up turn to the
model that wrote it, with its own reply in the history, through the same ``ModelCaller`` (retries,
breakers, usage). A second failure is final. Self-votes are attributed to the model that really
answered, after any fallback in stage 1 or stage 2 (``author``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from llmcouncil.council import prompts
from llmcouncil.council.aggregation import AggregateResult, ReviewerRanking
from llmcouncil.council.prompt_safety import model_names
from llmcouncil.council.ranking import ParsedRanking, ParseStatus, parse_ranking
from llmcouncil.council.ranking_summary import RankingSummary
from llmcouncil.records import CallRecord
from llmcouncil.resilience.call_plan import CallPlan
from llmcouncil.resilience.calls import ModelCaller

COUNTED = (ParseStatus.OK.value, ParseStatus.PARTIAL.value)
# A stored row from before votes were recorded: its status says how it would have counted.
_VOTE_OF_STATUS = {ParseStatus.OK.value: "full", ParseStatus.PARTIAL.value: "partial"}


def author(record: CallRecord) -> str:
    """The configured model that really wrote ``record``: the member itself, or the fallback (or
    hedge) that answered for it. The upstream's own name for it may carry a version suffix, so
    it is not what identifies the author."""
    if record.fallback_from and record.answered_by:
        return record.answered_by
    return record.model


def author_names(record: CallRecord) -> list[str]:
    """Every name by which ``record``'s author might sign its text, to be masked."""
    return list(dict.fromkeys([*model_names(record.model), *model_names(record.answered_by)]))


def read_review(record: CallRecord, labels: Sequence[str]) -> ParsedRanking:
    parsed = parse_ranking(record.text, labels)
    _keep(record.details, parsed)
    if parsed.source == "json" and parsed.tiers and parsed.conflict is None:
        record.text = _readable_review(parsed.reasoning or "", parsed.tiers)
    return parsed


def _keep(details: dict[str, Any], parsed: ParsedRanking) -> None:
    details.update(
        parsed_ranking=parsed.ranking,
        parsed_tiers=[list(tier) for tier in parsed.tiers],
        parse_status=str(parsed.status),
        parse_reason=parsed.reason,
        parse_conflict=parsed.conflict,
        parse_issues=list(parsed.issues),
        parse_source=parsed.source,
    )


def _readable_review(reasoning: str, tiers: Sequence[Sequence[str]]) -> str:
    """A JSON review rendered as the original's text, so every client can show it."""
    lines = "\n".join(f"{place}. {' = '.join(tier)}" for place, tier in enumerate(tiers, start=1))
    return f"{reasoning.strip()}\n\nFINAL RANKING:\n{lines}".strip()


async def repair_reviews(
    caller: ModelCaller,
    failed: Sequence[tuple[CallRecord, CallPlan, ParsedRanking]],
    *,
    labels: Sequence[str],
) -> None:
    """Ask each reviewer whose ranking failed to parse once more, all at once."""
    await asyncio.gather(
        *(
            _repair(caller, record, plan=plan, first=first, labels=labels)
            for record, plan, first in failed
        )
    )


async def _repair(
    caller: ModelCaller,
    record: CallRecord,
    *,
    plan: CallPlan,
    first: ParsedRanking,
    labels: Sequence[str],
) -> None:
    messages = prompts.repair_messages(
        asked=plan.messages, reply=record.text, labels=labels, reason=first.reason
    )
    ask = CallPlan(
        stage=plan.stage,
        model=author(record),  # the model that answered, not its configured stand-in
        # Its tokens are not watched: the review's own tokens were, and these would read as more.
        watched=False,
        messages=messages,
        position=plan.position,
        temperature=plan.temperature,
        max_tokens=plan.max_tokens,
        preset=plan.preset,
    )
    reply = await caller.call(ask)
    record.usage = record.usage + reply.usage
    repair: dict[str, Any] = {"asked": True, "reply": reply.text, "model": ask.model}
    if reply.details.get("reasoning"):
        repair["reasoning"] = reply.details["reasoning"]
    if not reply.ok:
        failure = reply.failure.message if reply.failure else "no reply"
        repair.update(status=ParseStatus.FAILED.value, reason=f"the repair call failed: {failure}")
        record.details["parse_reason"] = _joined(first.reason, repair["reason"])
        record.details["repair"] = repair
        return
    second = parse_ranking(reply.text, labels)
    repair.update(status=str(second.status), reason=second.reason)
    record.details["repair"] = repair
    if str(second.status) in COUNTED:
        _keep(record.details, second)
        record.details["parse_issues"] = [
            f"first reply had no readable ranking ({first.reason or 'no reason given'}); "
            "the ranking is from the reply when asked again",
            *second.issues,
        ]
    else:
        record.details["parse_reason"] = _joined(
            first.reason, f"asked again: {second.reason or 'still no readable ranking'}"
        )


def _joined(*parts: str | None) -> str:
    return "; ".join(part for part in parts if part)


def reviewer_rankings(
    records: Sequence[CallRecord],
    *,
    answers: Sequence[CallRecord],
    label_to_model: Mapping[str, str],
) -> list[ReviewerRanking]:
    """The parsed reviews as votes, each with the label its writer wrote (if any), which is also
    kept in the review's details."""
    by_member = {a.model: a for a in answers}
    label_by_author: dict[str, str] = {}
    for label, member in label_to_model.items():
        if member in by_member:
            label_by_author.setdefault(author(by_member[member]), label)
    rankings = []
    for record in records:
        if not record.ok:
            continue
        details = record.details
        writer = author(record)
        own = label_by_author.get(writer)
        details["own_label"] = own
        rankings.append(
            ReviewerRanking(
                reviewer=record.model,
                answered_by=writer,
                tiers=tuple(tuple(tier) for tier in details.get("parsed_tiers", [])),
                status=str(details.get("parse_status")),
                own_label=own,
            )
        )
    return rankings


def record_votes(records: Sequence[CallRecord], aggregate: AggregateResult | None) -> None:
    """Each review's vote as the aggregate used it, kept in its details (stored and shown)."""
    votes = {vote.reviewer: vote for vote in aggregate.votes} if aggregate is not None else {}
    for record in records:
        vote = votes.get(record.model)
        if record.ok and vote is not None:
            record.details["vote"] = {"counted": vote.counted, "note": vote.note}


def vote_of(details: Mapping[str, Any]) -> str:
    """ "full", "partial" or "none"; rows stored before votes were recorded go by their status."""
    vote = details.get("vote")
    if isinstance(vote, Mapping):
        return str(vote.get("counted") or "none")
    return _VOTE_OF_STATUS.get(str(details.get("parse_status")), "none")


def chair_reviews(records: Sequence[CallRecord], *, mask: bool) -> list[prompts.ChairReview]:
    """The reviews the Chairman reads: only those whose vote counted, with how it counted."""
    shown = []
    for record in records:
        if not record.ok:
            continue
        vote = vote_of(record.details)
        if vote not in ("full", "partial"):
            continue
        text = record.text
        repair = record.details.get("repair")
        if isinstance(repair, Mapping) and repair.get("status") in COUNTED:
            text = f"{text}\n\nAsked again for its ranking alone, the reviewer replied:\n" + str(
                repair.get("reply", "")
            )
        quoted = prompts.quote(text, names=author_names(record), mask=mask)
        shown.append(prompts.ChairReview(quoted, vote))
    return shown


@dataclass(frozen=True, slots=True)
class AggregateView:
    """What the Chairman is told of the aggregate: its order (best first) and whether the top
    of it is settled."""

    order: list[str]
    no_clear_winner: bool

    @classmethod
    def of(cls, aggregate: AggregateResult | None) -> AggregateView:
        if aggregate is None:
            return cls([], False)
        ranked = [row.label for row in aggregate.rows if row.strength is not None]
        return cls(ranked, aggregate.no_clear_winner)

    @classmethod
    def stored(cls, summary: RankingSummary) -> AggregateView:
        """From a stored run's summary; a run stored before strengths orders by mean rank."""
        return cls([row.label for row in summary.ranked()], summary.no_clear_winner)
