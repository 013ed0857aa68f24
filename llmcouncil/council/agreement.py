"""How far the reviewers agree with one another, and whether they favour their own answers.

The input is the counted votes only (status ``ok`` or ``partial``; see ``aggregation``), each a
tuple of tiers that may be a top-k. Missing data means what it means on the leaderboard
(``preferences``): a label a vote leaves out shares the rank left over (below every label it
lists, tied with the others it leaves out), and a vote that failed is absent. These statistics
describe what reviewers said, so a reviewer's place for its own answer counts here even when the
leaderboard leaves self-votes out.

- Kendall's W over the labels any counted vote lists: 1 when every ranking is the same, 0 when
  the rank totals are all equal, with the usual correction for ties:
  ``W = 12 S / (m^2 (n^3 - n) - m sum T)``, ``T = sum(t^3 - t)`` over each vote's tied groups.
  Mid-ranks are kept doubled, as integers, so the arithmetic is exact.
- Mean Kendall tau-b over pairs of votes, on the same rank rows.
- Self-preference, per reviewer whose own answer (the one written by the model that really
  answered the review, ``answered_by``) is in the set: over each other answer ``x`` it compared
  with its own answer ``o``, how often it preferred ``o`` (ties half), against how often the
  disinterested reviewers preferred ``o`` to the same ``x``. Disinterested means a reviewer that
  wrote neither ``o`` nor ``x``: otherwise a self-promoting reviewer, voting against ``o`` to
  lift its own answer, would make ``o``'s author look self-preferring. ``delta`` is own minus
  others, from -1 to 1. The summary ``Agreement.self_preference`` (kept for older clients, in
  their unit: places) is the mean over reviewers of ``delta * pairs``, the places a reviewer
  lifted its own answer among the answers compared, beyond what disinterested reviewers gave it.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from itertools import combinations
from operator import mul

from llmcouncil.council.preferences import Tiers, doubled_ranks, outcome, tier_index

Rank = Fraction | int


@dataclass(frozen=True)
class SelfPreference:
    reviewer: str  # the configured member asked to review
    answered_by: str  # the model that wrote the review, and the answer under own_label
    own_label: str
    pairs: int  # other answers compared with its own (with a disinterested view when there is one)
    own_win_rate: float  # how often it preferred its own answer over those (ties half)
    others_win_rate: float | None  # how often disinterested reviewers did; None when none did
    delta: float | None  # own - others


@dataclass(frozen=True)
class Agreement:
    kendall_w: float | None  # None with fewer than 2 votes or fewer than 2 ranked labels
    mean_pairwise_tau: float | None  # None when no pair of votes gives an order to compare
    reviewers: int  # counted votes
    self_votes_excluded: bool  # whether the leaderboard (not these statistics) left them out
    # Mean over reviewers of delta * pairs: places a reviewer lifted its own answer beyond the
    # disinterested reviewers' view; positive means self-preference. None when nobody is measured.
    self_preference: float | None
    self_preference_by_reviewer: list[SelfPreference] = field(default_factory=list)


@dataclass(frozen=True)
class Vote:
    """A counted vote as these statistics read it: every known label it placed, its own too."""

    reviewer: str
    answered_by: str
    tiers: Tiers
    own_label: str | None


def measure_agreement(
    votes: Sequence[Vote], labels: Sequence[str], *, self_votes_excluded: bool
) -> Agreement:
    listed = {label for vote in votes for tier in vote.tiers for label in tier}
    items = [label for label in labels if label in listed]
    rows = [doubled_ranks(vote.tiers, items) for vote in votes]
    by_reviewer = self_preference_by_reviewer(votes, labels)
    return Agreement(
        kendall_w=_kendall_w_doubled(rows),
        mean_pairwise_tau=_mean_tau(rows),
        reviewers=len(votes),
        self_votes_excluded=self_votes_excluded,
        self_preference=self_preference_summary(by_reviewer),
        self_preference_by_reviewer=by_reviewer,
    )


def kendall_w(rankings: Sequence[Tiers], items: Sequence[str]) -> float | None:
    """Kendall's W of tiered rankings over ``items``; see the module docstring."""
    return _kendall_w_doubled([doubled_ranks(tiers, items) for tiers in rankings])


def kendall_w_from_ranks(rank_rows: Sequence[Sequence[Rank]]) -> float | None:
    """Kendall's W from one row of ranks per rater (ties as equal mid-ranks), tie-corrected."""
    doubled = [[2 * rank for rank in row] for row in rank_rows]
    if any(rank != int(rank) for row in doubled for rank in row):
        raise ValueError("ranks are whole or mid-ranks (halves)")
    return _kendall_w_doubled([[int(rank) for rank in row] for row in doubled])


def _kendall_w_doubled(rows: Sequence[Sequence[int]]) -> float | None:
    raters = len(rows)
    if raters < 2:
        return None
    n = len(rows[0])
    if any(len(row) != n for row in rows):
        raise ValueError("every rater must rank the same items")
    if n < 2:
        return None
    # With doubled ranks the totals and their mean double, so 12 S = 3 * sum of squares here.
    mean = raters * (n + 1)
    spread: int = sum((sum(column) - mean) ** 2 for column in zip(*rows, strict=True))
    ties = sum(t**3 - t for row in rows for t in Counter(row).values())
    denominator = raters * raters * (n**3 - n) - raters * ties
    if denominator <= 0:  # every rater tied everything: there is no order to agree on
        return None
    return 3 * spread / denominator


def kendall_tau_b(x: Sequence[Rank], y: Sequence[Rank]) -> float | None:
    """Kendall's tau-b of two rank rows over the same items; None when either is all ties."""
    if len(x) != len(y):
        raise ValueError("tau-b compares two rankings of the same items")
    return _tau(_Signs.of(x), _Signs.of(y))


def mean_pairwise_tau(rankings: Sequence[Tiers], items: Sequence[str]) -> float | None:
    """Mean tau-b over pairs of rankings, each read over ``items`` like Kendall's W."""
    return _mean_tau([doubled_ranks(tiers, items) for tiers in rankings])


def _mean_tau(rows: Sequence[Sequence[int]]) -> float | None:
    signs = [_Signs.of(row) for row in rows]
    taus = [tau for a, b in combinations(signs, 2) if (tau := _tau(a, b)) is not None]
    # fsum is exactly rounded, so the order of the pairs does not leak into the result.
    return math.fsum(taus) / len(taus) if taus else None


@dataclass(frozen=True)
class _Signs:
    """The order a rank row gives each pair of items (1, -1, or 0 for a tie), and how many
    pairs it orders: counted once per row, not once per pair of rows."""

    signs: list[int]
    untied: int

    @classmethod
    def of(cls, row: Sequence[Rank]) -> _Signs:
        signs = [(a > b) - (a < b) for a, b in combinations(row, 2)]
        return cls(signs, len(signs) - signs.count(0))


def _tau(x: _Signs, y: _Signs) -> float | None:
    if x.untied == 0 or y.untied == 0:
        return None
    balance: int = sum(map(mul, x.signs, y.signs))  # concordant - discordant
    return balance / math.sqrt(x.untied * y.untied)


def self_preference_by_reviewer(
    votes: Sequence[Vote], labels: Sequence[str]
) -> list[SelfPreference]:
    """Per reviewer with its own answer in the set; see the module docstring."""
    indexes = [tier_index(vote.tiers) for vote in votes]
    found: list[SelfPreference] = []
    for position, vote in enumerate(votes):
        own = vote.own_label
        if own is None or own not in labels:
            continue
        own_outcomes: list[float] = []
        matched: list[tuple[float, float]] = []
        # The reviewers that did not write ``own``, with where each placed it (None: unlisted).
        others = [
            (voter.own_label, placed.get(own), placed)
            for index, (voter, placed) in enumerate(zip(votes, indexes, strict=True))
            if index != position and voter.own_label != own
        ]
        for other in labels:
            if other == own:
                continue
            said = outcome(indexes[position], own, other)
            if said is None:
                continue
            own_outcomes.append(said)
            views = _disinterested_views(others, other)
            if views:
                matched.append((said, math.fsum(views) / len(views)))
        if not own_outcomes:
            continue
        if matched:
            own_rate = math.fsum(said for said, _ in matched) / len(matched)
            others_rate: float | None = math.fsum(view for _, view in matched) / len(matched)
            pairs = len(matched)
        else:
            own_rate = math.fsum(own_outcomes) / len(own_outcomes)
            others_rate, pairs = None, len(own_outcomes)
        found.append(
            SelfPreference(
                reviewer=vote.reviewer,
                answered_by=vote.answered_by,
                own_label=own,
                pairs=pairs,
                own_win_rate=own_rate,
                others_win_rate=others_rate,
                delta=None if others_rate is None else own_rate - others_rate,
            )
        )
    return found


def _disinterested_views(
    others: list[tuple[str | None, int | None, dict[str, int]]], other: str
) -> list[float]:
    """``outcome(placed, own, other)`` of each of ``others`` that did not write ``other`` and
    compared the two, in order; written out because it runs for every reviewer, answer and
    voter (``own`` is the one ``others`` was made for, its tier given in each tuple)."""
    views: list[float] = []
    for author, own_tier, placed in others:
        if author == other:
            continue
        other_tier = placed.get(other)
        if own_tier is None:
            if other_tier is not None:
                views.append(0.0)
        elif other_tier is None or own_tier < other_tier:
            views.append(1.0)
        else:
            views.append(0.5 if own_tier == other_tier else 0.0)
    return views


def self_preference_summary(rows: Sequence[SelfPreference]) -> float | None:
    """Mean of ``delta * pairs`` over the reviewers measured against others; None if none."""
    lifts = [row.delta * row.pairs for row in rows if row.delta is not None]
    return math.fsum(lifts) / len(lifts) if lifts else None
