"""Combine the reviewers' parsed rankings into a leaderboard and say how far they agree.

Positions are averaged like the original prototype (``as_original`` is its list, to the digit),
with a reviewer's vote for its own answer left out by default; the agreement statistics
(Kendall's W, mean pairwise tau, self-preference) are computed in ``agreement``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, TypedDict

from llmcouncil.council.agreement import Agreement, kendall_w, mean_pairwise_tau, self_preference
from llmcouncil.council.spec import CouncilSpec


@dataclass(frozen=True)
class ReviewerRanking:
    reviewer: str  # model id
    ranking: list[str]  # parsed labels, best first
    own_label: str | None  # the reviewer's own answer; None when it had none in the set


@dataclass(frozen=True)
class AggregateRow:
    model: str
    label: str
    average_rank: float | None  # rounded to 2 places like the original; None when never ranked
    rankings_count: int
    first_place_votes: int
    self_rank_average: float | None  # where this model put its own answer when reviewing


class OriginalRow(TypedDict):
    model: str
    average_rank: float
    rankings_count: int


@dataclass(frozen=True)
class AggregateResult:
    rows: list[AggregateRow]  # best first; never-ranked models last
    # How far the reviewers agreed: worked out when first asked for, since the chairman's
    # prompt needs only the rows, and the request should not wait for these statistics.
    measure_agreement: Callable[[], Agreement] = field(repr=False, compare=False)

    @functools.cached_property
    def agreement(self) -> Agreement:
        return self.measure_agreement()

    @property
    def self_preference(self) -> float | None:
        return self.agreement.self_preference

    def as_original(self) -> list[OriginalRow]:
        """The prototype's ``aggregate_rankings`` list, which existing clients read."""
        return [
            OriginalRow(
                model=row.model, average_rank=row.average_rank, rankings_count=row.rankings_count
            )
            for row in self.rows
            if row.average_rank is not None
        ]

    def as_dict(self) -> dict[str, Any]:
        return {"rows": [asdict(row) for row in self.rows], "agreement": asdict(self.agreement)}


def aggregate_rankings(
    reviews: Sequence[ReviewerRanking],
    label_to_model: Mapping[str, str],
    *,
    exclude_self_votes: bool = True,
) -> AggregateResult:
    """Average position of each answer across reviewers, lower is better.

    Excluding self-votes drops a reviewer's own label and renumbers the rest from 1, so a reviewer
    that puts itself first does not push every other answer down a place. Labels outside
    ``label_to_model`` are ignored, and a repeated label keeps its first position.
    """
    labels = list(label_to_model)
    rankings = [_known_once(review.ranking, label_to_model) for review in reviews]
    given: dict[str, list[int]] = {label: [] for label in labels}
    to_self: dict[str, list[int]] = {label: [] for label in labels}
    first_places = dict.fromkeys(labels, 0)
    for review, ranking in zip(reviews, rankings, strict=True):
        own = review.own_label
        if own is not None and own in ranking:
            to_self[own].append(ranking.index(own) + 1)
        counted = [label for label in ranking if not (exclude_self_votes and label == own)]
        for position, label in enumerate(counted, start=1):
            given[label].append(position)
        if counted:
            first_places[counted[0]] += 1
    rows = [
        AggregateRow(
            model=label_to_model[label],
            label=label,
            average_rank=_average(given[label]),
            rankings_count=len(given[label]),
            first_place_votes=first_places[label],
            self_rank_average=_average(to_self[label]),
        )
        for label in labels
    ]
    rows.sort(key=lambda row: (row.average_rank is None, row.average_rank or 0.0, row.model))
    return AggregateResult(
        rows, functools.partial(_agreement, reviews, rankings, labels, exclude_self_votes)
    )


def _agreement(
    reviews: Sequence[ReviewerRanking],
    rankings: list[list[str]],
    labels: list[str],
    excluded: bool,
) -> Agreement:
    # Reviewers that named nothing would only dilute W; labels nobody ranked carry no order.
    voting = [
        (ranking, review.own_label)
        for review, ranking in zip(reviews, rankings, strict=True)
        if ranking
    ]
    named = [ranking for ranking, _ in voting]
    ranked = [label for label in labels if any(label in ranking for ranking in named)]
    return Agreement(
        kendall_w=kendall_w(named, ranked),
        mean_pairwise_tau=mean_pairwise_tau(named),
        reviewers=len(voting),
        self_votes_excluded=excluded,
        self_preference=self_preference(named, [own for _, own in voting]),
    )


def _known_once(ranking: Sequence[str], label_to_model: Mapping[str, str]) -> list[str]:
    return list(dict.fromkeys(label for label in ranking if label in label_to_model))


def _average(values: list[int]) -> float | None:
    # round(float) exactly as the prototype did, so as_original() matches it to the digit.
    return round(sum(values) / len(values), 2) if values else None


def ranking_metadata(
    *,
    spec: CouncilSpec,
    seed: int,
    label_to_model: dict[str, str],
    aggregate: AggregateResult | None,
    skipped_reason: str | None,
) -> dict[str, Any]:
    details = aggregate.as_dict() if aggregate is not None else {}
    return {
        "label_to_model": label_to_model,
        "aggregate_rankings": aggregate.as_original() if aggregate is not None else [],
        "aggregate": details.get("rows", []),
        "agreement": details.get("agreement"),
        "self_votes_excluded": spec.exclude_self_votes,
        "ranking_skipped": skipped_reason is not None,
        "ranking_skipped_reason": skipped_reason,
        "seed": seed,
        "preset": spec.preset,
        "members": spec.members,
        "chairman": spec.chairman,
    }
