"""Combine the reviewers' parsed rankings into a leaderboard, with its uncertainty.

Only trusted votes count: a ranking with status ``ok`` or ``partial``; ``failed``, the older
``no_header`` and anything else are reported as not counted, with the reason (``votes``). A
partial (top-k) vote counts for what it says and no more (``preferences``).

The leaderboard is a Bradley–Terry fit over the pairwise preferences the counted votes imply,
pairs with the reviewer's own answer left out by default, with a 95 % bootstrap interval over
reviewers (``strength``). Rows are sorted by strength; an exact tie is broken by a draw seeded
with the run's seed, never by a model's name. "No clear winner" means the top answer's interval
overlaps the second's, or fewer than two votes counted.

With reviewer weights (``weights``: the model that wrote a review → a factor; off unless the
deployment turns weighting on), a vote's pairwise preferences count times its weight in the fit
and its bootstrap; the mean position, first places and agreement stay one vote each.

The prototype's mean position stays as a column (``average_rank``, ``as_original``), computed
over the counted votes: a self-vote is struck out and the rest renumbered from 1, tied labels
share their mean position, and the labels a top-k vote leaves out share the positions left over.
The agreement statistics (``agreement``) are worked out when first asked for.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, TypedDict

from llmcouncil.council.agreement import Agreement, Vote, measure_agreement
from llmcouncil.council.preferences import (
    COUNTED_STATUSES,
    Tiers,
    clean_tiers,
    doubled_ranks,
    outcome,
    tier_index,
)
from llmcouncil.council.strength import (
    BOOTSTRAP_ROUNDS,
    Matrix,
    bootstrap_intervals,
    fit_log_strengths,
    with_prior,
)

Counted = Literal["full", "partial", "none"]


@dataclass(frozen=True)
class ReviewerRanking:
    reviewer: str  # the configured member that was asked to review
    answered_by: str  # the model that really wrote the review (after fallback)
    tiers: tuple[tuple[str, ...], ...]  # best first; a tier of several labels is a tie
    status: str  # the parse status; only "ok" and "partial" are counted
    own_label: str | None  # label of the answer written by `answered_by`, if any


@dataclass(frozen=True)
class VoteUse:
    reviewer: str
    counted: Counted
    note: str


@dataclass(frozen=True)
class AggregateRow:
    model: str
    label: str
    average_rank: float | None  # rounded to 2 places like the original; None when never ranked
    rankings_count: int
    first_place_votes: int = 0  # counted votes that put it in their first tier (shared or not)
    self_rank_average: float | None = None  # where its author put it when reviewing (counted)
    strength: float | None = None  # Bradley–Terry log-strength, mean 0 over the ranked answers
    ci_low: float | None = None  # 95 % bootstrap interval over reviewers
    ci_high: float | None = None
    wins: float = 0.0  # pairwise wins in the counted votes, a tie counting 0.5
    comparisons: int = 0


class OriginalRow(TypedDict):
    model: str
    average_rank: float
    rankings_count: int


@dataclass(frozen=True)
class AggregateResult:
    rows: list[AggregateRow]  # best first by strength; never-ranked answers last
    no_clear_winner: bool
    winner: str | None  # the top row's label; None when nothing was ranked
    winner_note: str  # one plain sentence on how clear the top is
    votes: list[VoteUse]  # one per review, in the order given
    # How far the reviewers agreed: worked out when first asked for, since the chairman's
    # prompt needs only the rows, and the request should not wait for these statistics.
    measure_agreement: Callable[[], Agreement] = field(repr=False, compare=False)
    bootstrap_rounds: int = BOOTSTRAP_ROUNDS
    weights: dict[str, float] = field(default_factory=dict)  # those applied, other than 1

    @functools.cached_property
    def agreement(self) -> Agreement:
        return self.measure_agreement()

    @property
    def self_preference(self) -> float | None:
        return self.agreement.self_preference

    @property
    def counted_reviewers(self) -> int:
        return sum(vote.counted != "none" for vote in self.votes)

    def as_original(self) -> list[OriginalRow]:
        """The prototype's ``aggregate_rankings`` list (best first), which existing clients read."""
        return [
            OriginalRow(
                model=row.model, average_rank=row.average_rank, rankings_count=row.rankings_count
            )
            for row in self.rows
            if row.average_rank is not None
        ]


@dataclass(frozen=True)
class _Counted:
    review: ReviewerRanking
    own: str | None
    tiers: Tiers  # what the leaderboard reads: the own label struck out when self-votes are
    universe: list[str]  # the labels this vote is about (every label but a struck-out own)
    full_tiers: Tiers  # what the agreement statistics read: the own label kept
    weight: float = 1.0  # what its preferences count for in the fit


def aggregate_rankings(
    reviews: Sequence[ReviewerRanking],
    label_to_model: Mapping[str, str],
    *,
    seed: int = 0,
    exclude_self_votes: bool = True,
    weights: Mapping[str, float] | None = None,
) -> AggregateResult:
    """The leaderboard of ``label_to_model``'s answers from ``reviews``; see the module docstring.

    Labels outside ``label_to_model`` are ignored, and a repeated label keeps its best place.
    ``weights`` (by the model that wrote the review) scale each counted vote's preferences.
    """
    labels = list(label_to_model)
    model_to_label = {model: label for label, model in label_to_model.items()}
    uses: list[VoteUse] = []
    counted: list[_Counted] = []
    for review in reviews:
        use, vote = _read_vote(
            review,
            labels,
            model_to_label=model_to_label,
            exclude_self=exclude_self_votes,
            weight=_weight(weights, review.answered_by),
        )
        uses.append(use)
        if vote is not None:
            counted.append(vote)
    rows = _rows(counted, labels, label_to_model=label_to_model, seed=seed)
    no_clear_winner, note = _verdict(rows, len(counted))
    votes = [Vote(c.review.reviewer, c.review.answered_by, c.full_tiers, c.own) for c in counted]
    return AggregateResult(
        rows=rows,
        no_clear_winner=no_clear_winner,
        winner=rows[0].label if rows and rows[0].strength is not None else None,
        winner_note=note,
        votes=uses,
        measure_agreement=functools.partial(
            measure_agreement, votes, labels, self_votes_excluded=exclude_self_votes
        ),
        weights={c.review.answered_by: c.weight for c in counted if c.weight != 1.0},
    )


def _weight(weights: Mapping[str, float] | None, model: str) -> float:
    if not weights:
        return 1.0
    weight = weights.get(model, 1.0)
    return weight if weight > 0 and weight == weight else 1.0  # never zero, negative or NaN


def _read_vote(
    review: ReviewerRanking,
    labels: list[str],
    *,
    model_to_label: Mapping[str, str],
    exclude_self: bool,
    weight: float = 1.0,
) -> tuple[VoteUse, _Counted | None]:
    def unused(note: str) -> tuple[VoteUse, None]:
        return VoteUse(review.reviewer, "none", note), None

    if review.status not in COUNTED_STATUSES:
        return unused(
            _NOT_COUNTED.get(review.status, f"Not counted: unknown status {review.status!r}.")
        )
    own = review.own_label if review.own_label in labels else None
    if own is None:
        own = model_to_label.get(review.answered_by)
    struck = own if exclude_self else None
    universe = [label for label in labels if label != struck]
    tiers = clean_tiers(review.tiers, universe)
    listed = sum(len(tier) for tier in tiers)
    if listed == 0:
        return unused("Not counted: it ranked none of the other answers of this run.")
    if len(universe) < 2:
        return unused("Not counted: with its own answer left out there is nothing to compare.")
    vote = _Counted(review, own, tiers, universe, clean_tiers(review.tiers, labels), weight)
    own_note = " Its own answer is left out." if struck is not None else ""
    if weight != 1.0:
        own_note += f" Weighted ×{weight:.2f} by its agreement with people."
    left_out = len(universe) - listed
    if left_out == 0:
        return VoteUse(review.reviewer, "full", f"Counted in full.{own_note}"), vote
    note = (
        f"Counted as a top {listed}: those beat the other {left_out}, whose order it did not give."
    )
    return VoteUse(review.reviewer, "partial", note + own_note), vote


_NOT_COUNTED = {
    "failed": "Not counted: its ranking could not be read with confidence.",
    "no_header": "Not counted: an older version read this ranking without a trusted format.",
}


def _rows(
    counted: list[_Counted], labels: list[str], *, label_to_model: Mapping[str, str], seed: int
) -> list[AggregateRow]:
    ranked = [label for label in labels if any(label in vote.universe for vote in counted)]
    at = {label: i for i, label in enumerate(ranked)}
    # A canonical order of the voters, so the bootstrap's draws do not depend on arrival order.
    canonical = sorted(counted, key=_canonical_key)
    contributions = [_contribution(vote, at, weight=vote.weight) for vote in canonical]
    size = len(ranked)
    total = [[sum(m[i][j] for m in contributions) for j in range(size)] for i in range(size)]
    point = fit_log_strengths(with_prior(total)) if size else []
    if any(vote.weight != 1.0 for vote in canonical):  # wins and comparisons stay plain counts
        plain = [_contribution(vote, at) for vote in canonical]
        counts = [[sum(m[i][j] for m in plain) for j in range(size)] for i in range(size)]
    else:
        counts = total
    low, high = bootstrap_intervals(contributions, point=point, seed=seed)
    doubled: dict[str, list[int]] = {label: [] for label in labels}
    to_self: dict[str, list[int]] = {label: [] for label in labels}
    firsts = dict.fromkeys(labels, 0)
    for vote in counted:
        for label, rank in zip(
            vote.universe, doubled_ranks(vote.tiers, vote.universe), strict=True
        ):
            doubled[label].append(rank)
        for label in vote.tiers[0]:
            firsts[label] += 1
        if vote.own is not None:
            to_self[vote.own].append(doubled_ranks(vote.full_tiers, labels)[labels.index(vote.own)])
    rows = []
    for label in labels:
        i = at.get(label)
        rows.append(
            AggregateRow(
                model=label_to_model[label],
                label=label,
                average_rank=_average(doubled[label]),
                rankings_count=len(doubled[label]),
                first_place_votes=firsts[label],
                self_rank_average=_average(to_self[label]),
                strength=None if i is None else _shown(point[i]),
                ci_low=None if i is None else _shown(low[i]),
                ci_high=None if i is None else _shown(high[i]),
                wins=0.0 if i is None else sum(counts[i]),
                comparisons=0 if i is None else round(sum(counts[i]) + sum(r[i] for r in counts)),
            )
        )
    draw = list(labels)
    random.Random(f"ties:{seed}").shuffle(draw)
    tie_rank = {label: n for n, label in enumerate(draw)}
    exact = {label: round(point[i], 9) for label, i in at.items()}
    rows.sort(
        key=lambda row: (row.label not in exact, -exact.get(row.label, 0.0), tie_rank[row.label])
    )
    return rows


def _canonical_key(vote: _Counted) -> tuple[str, str, str, str, Tiers]:
    review = vote.review
    return (review.reviewer, review.answered_by, vote.own or "", review.status, vote.tiers)


def _contribution(vote: _Counted, at: Mapping[str, int], *, weight: float = 1.0) -> Matrix:
    """This vote's pairwise wins over the ranked answers (a tie is half a win each way), times
    its reviewer's weight."""
    size = len(at)
    wins = [[0.0] * size for _ in range(size)]
    index = tier_index(vote.tiers)
    universe = vote.universe
    for n, a in enumerate(universe):
        for b in universe[n + 1 :]:
            said = outcome(index, a, b)
            if said is not None:
                wins[at[a]][at[b]] += said * weight
                wins[at[b]][at[a]] += (1.0 - said) * weight
    return wins


def _verdict(rows: list[AggregateRow], counted: int) -> tuple[bool, str]:
    if counted == 0:
        return True, "No review counted, so there is no ranking."
    if counted == 1:
        return True, "Only one review counted: one opinion cannot separate the answers."
    top, second = rows[0], rows[1]
    if second.strength is None or top.ci_low is None or second.ci_high is None:
        return True, "Fewer than two answers were ranked."
    if top.ci_low <= second.ci_high:
        return True, (
            f"{top.label} leads, but its 95 % interval overlaps {second.label}'s: no clear winner."
        )
    return False, f"{top.label} leads; its 95 % interval is clear of {second.label}'s."


def _shown(value: float) -> float:
    return round(value, 4) + 0.0  # + 0.0 turns -0.0 into 0.0


def _average(doubled: list[int]) -> float | None:
    # round(float) like the prototype, so as_original() matches it to the digit.
    return round(sum(doubled) / (2 * len(doubled)), 2) if doubled else None
