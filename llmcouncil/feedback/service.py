"""Casting, reading and withdrawing a person's vote on a run.

Who may vote is decided by the caller (the API's writable-conversation check, or the operator
at the command line); this checks what is voted on: the run has ended and has answers, every
label is one of its answers, a ranking names each answer once. Every vote cast, changed or
withdrawn is an audit record (without the comment's text, which stays with the vote). Observers
given at wiring time (the server's metrics) are told of each vote cast or changed; they sit in a
higher layer, so they are handed in rather than imported.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from sqlalchemy.ext.asyncio import AsyncEngine

from llmcouncil.audit.chain import Actor
from llmcouncil.audit.log import AuditLog
from llmcouncil.council.ranking_summary import RankingSummary
from llmcouncil.errors import ConflictError, NotFoundError, ValidationFailedError
from llmcouncil.feedback.repository import delete_vote, find_vote, save_vote
from llmcouncil.feedback.tables import VoteRow
from llmcouncil.records import RunStatus, Stage
from llmcouncil.store.records import RunDetail

log = logging.getLogger(__name__)

LOCAL_VOTER = "local"
Rating = Literal["up", "down"]
VoteKind = Literal["prefer", "rank", "rating_up", "rating_down", "wrong"]


@dataclass(frozen=True, slots=True)
class Ballot:
    """What a person says about a run (at least one of the fields)."""

    preferred_label: str | None = None
    ranking: list[str] | None = None
    blind: bool = True
    rating: Rating | None = None
    comment: str | None = None
    council_wrong: bool = False


def vote_kinds(ballot: Ballot) -> list[VoteKind]:
    """What a checked ballot says: a ranking (which also picks its first), else a pick; a rating;
    'the council got this wrong'."""
    kinds: list[VoteKind] = []
    if ballot.ranking is not None:
        kinds.append("rank")
    elif ballot.preferred_label is not None:
        kinds.append("prefer")
    if ballot.rating is not None:
        kinds.append("rating_up" if ballot.rating == "up" else "rating_down")
    if ballot.council_wrong:
        kinds.append("wrong")
    return kinds


class VoteObserver(Protocol):
    def vote_cast(self, ballot: Ballot) -> None:
        """A vote was saved (cast or changed); ``ballot`` is the checked one."""


@dataclass(frozen=True, slots=True)
class CouncilPlace:
    label: str
    model: str
    strength: float | None
    ci_low: float | None
    ci_high: float | None
    average_rank: float | None
    first_place_votes: int | None


@dataclass(frozen=True, slots=True)
class CouncilView:
    """How the council ranked the run's answers (best first)."""

    winner_label: str | None
    winner_model: str | None
    no_clear_winner: bool
    places: list[CouncilPlace] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class VoteView:
    vote: VoteRow
    council: CouncilView

    @property
    def agrees_with_council(self) -> bool | None:
        if self.vote.preferred_label is None or self.council.winner_label is None:
            return None
        return self.vote.preferred_label == self.council.winner_label


def voter_of(user_id: str | None) -> str:
    return user_id or LOCAL_VOTER


def answer_labels(detail: RunDetail) -> dict[str, str]:
    """Label → the model that wrote the answer, for the answers the run really has."""
    run = detail.run
    summary = RankingSummary.stored(run.meta)
    members = dict(run.label_to_model or (summary.label_to_model if summary else {}))
    answered = {c.model: c for c in detail.calls if c.stage == Stage.ANSWERS and c.ok}
    return {
        label: answered[member].answered_by or member
        for label, member in sorted(members.items())
        if member in answered
    }


def council_view(detail: RunDetail) -> CouncilView:
    summary = RankingSummary.stored(detail.run.meta) or RankingSummary()
    labels = answer_labels(detail)
    places = [
        CouncilPlace(
            label=row.label,
            model=labels.get(row.label, row.model),
            strength=row.strength,
            ci_low=row.ci_low,
            ci_high=row.ci_high,
            average_rank=row.average_rank,
            first_place_votes=row.first_place_votes,
        )
        for row in summary.aggregate
        if row.label in labels
    ]
    winner = summary.winner_label if summary.winner_label in labels else None
    return CouncilView(
        winner_label=winner,
        winner_model=labels.get(winner) if winner else None,
        no_clear_winner=summary.no_clear_winner,
        places=places,
    )


def check_ballot(ballot: Ballot, labels: dict[str, str]) -> Ballot:
    """The ballot with ``preferred_label`` set from a ranking; 422 for what cannot be read."""
    known = ", ".join(labels)

    def check(label: str) -> None:
        if label not in labels:
            raise ValidationFailedError(f"unknown label {label!r}: this run's answers are {known}")

    preferred = ballot.preferred_label
    if preferred is not None:
        check(preferred)
    if ballot.ranking is not None:
        for label in ballot.ranking:
            check(label)
        if len(set(ballot.ranking)) != len(ballot.ranking) or set(ballot.ranking) != set(labels):
            raise ValidationFailedError(f"a ranking names every answer once, best first: {known}")
        if preferred is not None and preferred != ballot.ranking[0]:
            raise ValidationFailedError(
                f"prefer {preferred!r} disagrees with the ranking, which puts "
                f"{ballot.ranking[0]!r} first"
            )
        preferred = ballot.ranking[0]
    if preferred is None and ballot.rating is None and not ballot.council_wrong:
        raise ValidationFailedError(
            "say something: a preferred answer, a ranking, a rating or 'the council got this wrong'"
        )
    return Ballot(
        preferred_label=preferred,
        ranking=ballot.ranking,
        blind=ballot.blind,
        rating=ballot.rating,
        comment=ballot.comment or None,
        council_wrong=ballot.council_wrong,
    )


class FeedbackService:
    def __init__(
        self,
        engine: AsyncEngine,
        *,
        audit: AuditLog | None,
        observers: Sequence[VoteObserver] = (),
    ) -> None:
        self._engine = engine
        self._audit = audit
        self._observers = tuple(observers)

    async def cast(
        self, detail: RunDetail, *, voter: str, user_id: str | None, ballot: Ballot, actor: Actor
    ) -> VoteView:
        run = detail.run
        if run.status == RunStatus.RUNNING:
            raise ConflictError(f"run {run.id} is still running: vote once it has ended")
        labels = answer_labels(detail)
        if not labels:
            raise ConflictError(
                f"run {run.id} has no answers to vote on: it ended ({run.status}) before any "
                "member answered"
            )
        checked = check_ballot(ballot, labels)
        view = council_view(detail)
        orders = {
            c.answered_by or c.model: list(c.details.get("presentation_order") or [])
            for c in detail.calls
            if c.stage == Stage.REVIEWS
        }
        values: dict[str, Any] = {
            "conversation_id": run.conversation_id,
            "user_id": user_id,
            "preferred_label": checked.preferred_label,
            "preferred_model": labels.get(checked.preferred_label or ""),
            "ranking": checked.ranking,
            "blind": checked.blind,
            "rating": checked.rating,
            "comment": checked.comment,
            "council_wrong": checked.council_wrong,
            "seed": run.seed,
            "presentation_orders": orders,
            "label_to_model": labels,
            "council_top_label": view.winner_label,
            "preset": (run.council or {}).get("preset"),
            "chairman": (run.council or {}).get("chairman"),
        }
        saved, replaced = await save_vote(self._engine, run_id=run.id, voter=voter, values=values)
        await self._record(
            "feedback.vote",
            actor=actor,
            run_id=run.id,
            details={
                "conversation_id": run.conversation_id,
                "changed": replaced,
                "preferred_label": checked.preferred_label,
                "ranking": checked.ranking,
                "blind": checked.blind,
                "rating": checked.rating,
                "council_wrong": checked.council_wrong,
                "comment": checked.comment is not None,
                "council_top_label": view.winner_label,
            },
        )
        self._tell(checked)
        return VoteView(vote=saved, council=view)

    def _tell(self, ballot: Ballot) -> None:
        for observer in self._observers:
            try:
                observer.vote_cast(ballot)
            except Exception:  # an observer (a metric) must never fail a saved vote
                log.exception("vote observer %r failed", observer)

    async def get(self, detail: RunDetail, *, voter: str) -> VoteView:
        found = await find_vote(self._engine, run_id=detail.run.id, voter=voter)
        if found is None:
            raise NotFoundError(f"you have not voted on run {detail.run.id}")
        return VoteView(vote=found, council=council_view(detail))

    async def withdraw(self, detail: RunDetail, *, voter: str, actor: Actor) -> None:
        if not await delete_vote(self._engine, run_id=detail.run.id, voter=voter):
            raise NotFoundError(f"you have not voted on run {detail.run.id}")
        await self._record(
            "feedback.vote_withdrawn",
            actor=actor,
            run_id=detail.run.id,
            details={"conversation_id": detail.run.conversation_id},
        )

    async def _record(
        self, action: str, *, actor: Actor, run_id: str, details: dict[str, Any]
    ) -> None:
        if self._audit is not None:
            await self._audit.record(action, actor=actor, target=run_id, details=details)
