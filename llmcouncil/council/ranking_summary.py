"""What a run's review stage concluded, as one typed record: ``RankingSummary``.

It is worked out once the reviews are in (``ranking_summary``), stored with the run as JSON (the
``metadata`` column, in the shape docs/API.md gives a run's ``metadata``), and read back with
``RankingSummary.stored``, which accepts every shape a release has stored: a run stored before
Bradley–Terry strengths has rows without them, one stored before the votes were listed has no
votes. Everything that reads a run's ranking (resuming a run, the chairman's view, the select
mode's note, votes, analytics, the transcript) reads this record, never the JSON.

Reading the stored JSON back into the nested dataclasses is pydantic's ``TypeAdapter``: the
validation and coercion a hand-written reader would repeat field by field.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import TypeAdapter, ValidationError

from llmcouncil.council.aggregation import AggregateResult, AggregateRow, VoteUse
from llmcouncil.council.agreement import Agreement
from llmcouncil.council.spec import CouncilSpec
from llmcouncil.council.strength import BOOTSTRAP_ROUNDS, CONFIDENCE

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class OriginalAggregate:
    """A row of the prototype's ``aggregate_rankings``, which existing clients read."""

    model: str
    average_rank: float
    rankings_count: int


@dataclass(frozen=True, slots=True)
class AggregationMethod:
    method: str = "bradley_terry"
    bootstrap_rounds: int = BOOTSTRAP_ROUNDS
    confidence: float = CONFIDENCE
    counted_reviewers: int = 0
    reviewer_weights: dict[str, float] = field(default_factory=dict)  # those other than 1


@dataclass(frozen=True, slots=True)
class EarlyStop:
    """Why a run ended before its review (identical short answers)."""

    kind: str  # "unanimous" or "unchanged" (a revision round changed no answer)
    reason: str
    round: int | None = None  # the revision round, for "unchanged"

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind, "reason": self.reason}
        if self.round is not None:
            data["round"] = self.round
        return data


@dataclass(frozen=True, slots=True)
class RankingSummary:
    label_to_model: dict[str, str] = field(default_factory=dict)
    aggregate: list[AggregateRow] = field(default_factory=list)  # best first
    aggregate_rankings: list[OriginalAggregate] = field(default_factory=list)
    agreement: Agreement | None = None
    no_clear_winner: bool = True
    winner_label: str | None = None
    winner_note: str | None = None
    aggregation: AggregationMethod = field(default_factory=AggregationMethod)
    votes: list[VoteUse] = field(default_factory=list)
    self_votes_excluded: bool | None = None
    ranking_skipped_reason: str | None = None
    seed: int | None = None
    preset: str | None = None
    members: list[str] = field(default_factory=list)
    chairman: str | None = None
    mode: str | None = None  # set for every mode but classic
    early_stop: EarlyStop | None = None

    @property
    def ranking_skipped(self) -> bool:
        return self.ranking_skipped_reason is not None

    @property
    def has_strengths(self) -> bool:
        """Whether the leaderboard is a Bradley–Terry fit (runs stored before it are not)."""
        return any(row.strength is not None for row in self.aggregate)

    def ranked(self) -> list[AggregateRow]:
        """The rows that were ranked, best first: by strength, or by mean rank for a run
        stored before strengths."""
        if self.has_strengths:
            return [row for row in self.aggregate if row.strength is not None]
        return [row for row in self.aggregate if row.average_rank is not None]

    def ranked_models(self) -> list[str]:
        """The members best first, from the leaderboard (or the prototype's list)."""
        if self.aggregate:
            return [row.model for row in self.aggregate]
        return [row.model for row in self.aggregate_rankings]

    def row_of(self, *, model: str) -> AggregateRow | None:
        return next((row for row in self.aggregate if row.model == model), None)

    def as_json(self) -> dict[str, Any]:
        """The stored and sent form (docs/API.md's ``metadata``)."""
        data = {
            **_adapter().dump_python(self, mode="json"),
            "ranking_skipped": self.ranking_skipped,
        }
        if self.mode is None:
            del data["mode"]
        if self.early_stop is None:
            del data["early_stop"]
        else:
            data["early_stop"] = self.early_stop.as_json()
        return data

    @classmethod
    def stored(cls, data: Mapping[str, Any] | None) -> RankingSummary | None:
        """A stored run's summary; None for a run whose review has not been stored. A stored
        value no release wrote is logged and read as no summary, never raised to a reader."""
        if not data:
            return None
        try:
            return _adapter().validate_python(dict(data))
        except ValidationError as exc:
            log.error("a run's stored ranking could not be read: %s", exc)
            return None


@functools.cache
def _adapter() -> TypeAdapter[RankingSummary]:
    return TypeAdapter(RankingSummary)


def ranking_summary(
    *,
    spec: CouncilSpec,
    seed: int,
    label_to_model: dict[str, str],
    aggregate: AggregateResult | None,
    skipped_reason: str | None,
    early_stop: EarlyStop | None = None,
) -> RankingSummary:
    """What the review stage concluded; ``aggregate`` None when nothing could be ranked."""
    mode = spec.mode if spec.mode != "classic" else None
    common: dict[str, Any] = {
        "label_to_model": label_to_model,
        "self_votes_excluded": spec.exclude_self_votes,
        "ranking_skipped_reason": skipped_reason,
        "seed": seed,
        "preset": spec.preset,
        "members": list(spec.members),
        "chairman": spec.chairman,
        "mode": mode,
        "early_stop": early_stop,
    }
    if aggregate is None:
        return RankingSummary(winner_note=skipped_reason, **common)
    return RankingSummary(
        aggregate=list(aggregate.rows),
        aggregate_rankings=[OriginalAggregate(**row) for row in aggregate.as_original()],
        agreement=aggregate.agreement,
        no_clear_winner=aggregate.no_clear_winner,
        winner_label=aggregate.winner,
        winner_note=aggregate.winner_note,
        aggregation=AggregationMethod(
            bootstrap_rounds=aggregate.bootstrap_rounds,
            counted_reviewers=aggregate.counted_reviewers,
            reviewer_weights=dict(aggregate.weights),
        ),
        votes=list(aggregate.votes),
        **common,
    )


__all__ = [
    "AggregationMethod",
    "EarlyStop",
    "OriginalAggregate",
    "RankingSummary",
    "ranking_summary",
]
