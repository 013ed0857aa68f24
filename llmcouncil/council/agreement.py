"""How far the reviewers agree with one another, and whether they favour their own answers.

A ranking here is a list of labels, best first, that may leave labels out (a reviewer that named
only some answers). The statistics describe what reviewers said, so a reviewer's position for its
own answer counts here even when the leaderboard leaves self-votes out.

- Kendall's W (coefficient of concordance) over all reviewers: 1 when every ranking is the same,
  0 when the rank totals are all equal. Labels a reviewer left out share the mean of the positions
  it did not use (tied ranks), and W carries the usual correction for ties:
  ``W = 12 S / (m^2 (n^3 - n) - m sum T)`` with ``T = sum(t^3 - t)`` over each reviewer's groups
  of ``t`` tied labels.
- Mean Kendall tau-b over pairs of reviewers, each pair compared on the labels both ranked.
- Self-preference: how many places better a reviewer put its own answer than the others did.

The arithmetic is exact (``Fraction``; ``math.fsum`` for the one square root), so identical
rankings give exactly 1.0 and the order of the reviewers cannot change a result.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from itertools import combinations

Rank = Fraction | int


@dataclass(frozen=True)
class Agreement:
    kendall_w: float | None  # None with fewer than 2 reviewers or fewer than 2 ranked labels
    mean_pairwise_tau: float | None  # None when no pair of reviewers shares 2 ranked labels
    reviewers: int  # reviewers whose ranking named at least one label of the run
    self_votes_excluded: bool  # whether the leaderboard (not these statistics) left them out
    # Mean over reviewers of (average position the others gave its answer - position it gave
    # itself); positive means models rank their own answer better than their peers do.
    self_preference: float | None


def positions(ranking: Sequence[str]) -> dict[str, int]:
    """Position of each label, from 1; a repeated label keeps its first position."""
    found: dict[str, int] = {}
    for label in ranking:
        found.setdefault(label, len(found) + 1)
    return found


def tied_ranks(ranking: Sequence[str], items: Sequence[str]) -> list[Fraction]:
    """The rank of each of ``items``: its position in ``ranking`` among ``items``, or, when left
    out, the mean of the positions nobody took (three of five ranked: the other two get 4.5)."""
    wanted = set(items)
    ranked = positions([label for label in ranking if label in wanted])
    leftover = Fraction(len(ranked) + 1 + len(items), 2)
    return [Fraction(ranked[item]) if item in ranked else leftover for item in items]


def kendall_w(rankings: Sequence[Sequence[str]], items: Sequence[str]) -> float | None:
    """Kendall's W of label rankings over ``items``; see the module docstring."""
    return kendall_w_from_ranks([tied_ranks(ranking, items) for ranking in rankings])


def kendall_w_from_ranks(rank_rows: Sequence[Sequence[Rank]]) -> float | None:
    """Kendall's W from one row of ranks per rater (ties as equal mid-ranks), tie-corrected."""
    raters = len(rank_rows)
    if raters < 2:
        return None
    n = len(rank_rows[0])
    if any(len(row) != n for row in rank_rows):
        raise ValueError("every rater must rank the same items")
    if n < 2:
        return None
    totals = [sum(column, Fraction(0)) for column in zip(*rank_rows, strict=True)]
    mean = Fraction(raters * (n + 1), 2)
    spread = sum(((total - mean) ** 2 for total in totals), Fraction(0))
    ties = sum(t**3 - t for row in rank_rows for t in Counter(row).values())
    denominator = raters * raters * (n**3 - n) - raters * ties
    if denominator <= 0:  # every rater tied everything: there is no order to agree on
        return None
    return float(12 * spread / denominator)


def kendall_tau_b(x: Sequence[Rank], y: Sequence[Rank]) -> float | None:
    """Kendall's tau-b of two rank rows over the same items; None when either is all ties."""
    if len(x) != len(y):
        raise ValueError("tau-b compares two rankings of the same items")
    balance = untied_x = untied_y = 0
    for i, j in combinations(range(len(x)), 2):
        dx = (x[i] > x[j]) - (x[i] < x[j])
        dy = (y[i] > y[j]) - (y[i] < y[j])
        untied_x += dx != 0
        untied_y += dy != 0
        balance += dx * dy  # +1 concordant, -1 discordant, 0 tied in either
    if untied_x == 0 or untied_y == 0:
        return None
    return balance / math.sqrt(untied_x * untied_y)


def mean_pairwise_tau(rankings: Sequence[Sequence[str]]) -> float | None:
    """Mean tau-b over pairs of reviewers on the labels both ranked; pairs sharing fewer than two
    labels say nothing about order and are skipped."""
    placed = [positions(ranking) for ranking in rankings]
    taus: list[float] = []
    for a, b in combinations(placed, 2):
        common = sorted(a.keys() & b.keys())
        if len(common) < 2:
            continue
        tau = kendall_tau_b([a[label] for label in common], [b[label] for label in common])
        if tau is not None:
            taus.append(tau)
    # fsum is exactly rounded, so the order of the pairs does not leak into the result.
    return math.fsum(taus) / len(taus) if taus else None


def self_preference(
    rankings: Sequence[Sequence[str]], own_labels: Sequence[str | None]
) -> float | None:
    """Mean over reviewers of (others' average position for its answer - its own position for
    it). Reviewers without an answer, that left their own out, or that no one else ranked, are
    skipped; None when none is left."""
    if len(rankings) != len(own_labels):
        raise ValueError("one own label (or None) per ranking")
    placed = [positions(ranking) for ranking in rankings]
    gaps: list[Fraction] = []
    for index, own in enumerate(own_labels):
        if own is None or own not in placed[index]:
            continue
        others = [p[own] for i, p in enumerate(placed) if i != index and own in p]
        if others:
            gaps.append(Fraction(sum(others), len(others)) - placed[index][own])
    return float(sum(gaps, Fraction(0)) / len(gaps)) if gaps else None
