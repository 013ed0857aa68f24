"""Agreement statistics against values worked out by hand and from the textbook."""

from __future__ import annotations

from fractions import Fraction

import pytest

from llmcouncil.council.agreement import (
    kendall_tau_b,
    kendall_w,
    kendall_w_from_ranks,
    mean_pairwise_tau,
    self_preference,
    tied_ranks,
)

A, B, C, D = "Response A", "Response B", "Response C", "Response D"


def test_published_kendall_w_without_ties() -> None:
    # Three raters, six subjects, as in the RExRepos inter-rater guide, where R's
    # irr::kendall(ratings) reports W = 0.568, Chisq(5) = 8.52. By hand: totals 4, 14, 15, 9,
    # 13, 8 around 10.5 give S = 89.5, so W = 12 * 89.5 / (3^2 * (6^3 - 6)) = 1074 / 1890.
    columns = [[1, 6, 3, 2, 5, 4], [1, 5, 6, 2, 4, 3], [2, 3, 6, 5, 4, 1]]
    w = kendall_w_from_ranks(columns)
    assert w is not None
    assert w == 1074 / 1890
    assert round(w, 3) == 0.568
    assert round(3 * (6 - 1) * w, 2) == 8.52  # Friedman's chi-square = m (n - 1) W


def test_hand_computed_kendall_w() -> None:
    # Totals 8, 14, 11, 11, 11, 8 around 10.5: S = 25.5, W = 12 * 25.5 / 1890 = 306 / 1890.
    judges = [[1, 6, 3, 2, 5, 4], [1, 5, 6, 4, 2, 3], [6, 3, 2, 5, 4, 1]]
    assert kendall_w_from_ranks(judges) == 306 / 1890


def test_kendall_w_with_tie_correction() -> None:
    # Totals 4, 5.5, 9, 11.5 around 7.5: S = 12.25 + 4 + 2.25 + 16 = 34.5. Two raters each tie
    # a pair, T = 2^3 - 2 = 6 each, so W = 12 * 34.5 / (9 * 60 - 3 * 12) = 414 / 504 = 23 / 28.
    half = Fraction(1, 2)
    rows: list[list[Fraction | int]] = [
        [1, 2, 3, 4],
        [1, 2 + half, 2 + half, 4],
        [2, 1, 3 + half, 3 + half],
    ]
    assert kendall_w_from_ranks(rows) == 23 / 28


def test_identical_rankings_give_exactly_one() -> None:
    assert kendall_w([[A, B, C, D]] * 5, [A, B, C, D]) == 1.0
    assert kendall_w([[C, A, B], [C, A, B]], [A, B, C]) == 1.0


def test_balanced_rankings_give_exactly_zero() -> None:
    # Reversed pairs leave every rank total equal to the mean.
    assert kendall_w([[A, B], [B, A]], [A, B]) == 0.0
    assert kendall_w([[A, B, C], [C, B, A]], [A, B, C]) == 0.0
    # Latin square: each label takes each position once.
    assert kendall_w([[A, B, C], [B, C, A], [C, A, B]], [A, B, C]) == 0.0


def test_partial_rankings_tie_the_labels_left_out() -> None:
    assert tied_ranks([C, A], [A, B, C, D]) == [2, Fraction(7, 2), 1, Fraction(7, 2)]
    # [A, B, C] and [A] (B and C share 2.5): totals 2, 4.5, 5.5 around 4, S = 6.5;
    # W = 12 * 6.5 / (4 * 24 - 2 * 6) = 78 / 84 = 13 / 14.
    assert kendall_w([[A, B, C], [A]], [A, B, C]) == 13 / 14


def test_kendall_w_needs_two_raters_and_two_items() -> None:
    assert kendall_w([[A, B, C]], [A, B, C]) is None
    assert kendall_w([], [A, B]) is None
    assert kendall_w([[A], [A]], [A]) is None
    with pytest.raises(ValueError):
        kendall_w_from_ranks([[1, 2], [1, 2, 3]])


def test_kendall_tau_b() -> None:
    assert kendall_tau_b([1, 2, 3, 4], [1, 2, 3, 4]) == 1.0
    assert kendall_tau_b([1, 2, 3, 4], [4, 3, 2, 1]) == -1.0
    # 5 concordant pairs, 0 discordant; 6 pairs untied in x, 5 in y: 5 / sqrt(30).
    assert kendall_tau_b([1, 2, 3, 4], [1, 2, 2, 4]) == pytest.approx(0.9128709291752769)
    assert kendall_tau_b([1, 1], [1, 2]) is None


def test_mean_pairwise_tau_uses_common_labels_and_skips_thin_pairs() -> None:
    # [A, B, C] vs [B, A, C]: AB discordant, AC and BC concordant: 1/3.
    assert mean_pairwise_tau([[A, B, C], [B, A, C]]) == pytest.approx(1 / 3)
    # Only the first and last share two labels, in opposite order.
    assert mean_pairwise_tau([[A, B], [C], [B, A]]) == -1.0
    assert mean_pairwise_tau([[A, B, C], [D, C]]) is None
    assert mean_pairwise_tau([[A, B, C]]) is None


def test_self_preference() -> None:
    rankings = [[A, B, C], [B, A, C], [A, C, B]]
    # Own positions 1, 1, 2; the others gave A 1.5, B 2.5, C 3: gaps 0.5, 1.5, 1.0, mean 1.0.
    assert self_preference(rankings, [A, B, C]) == 1.0
    # A reviewer without an answer, or that left its own out, says nothing about itself.
    assert self_preference(rankings, [None, None, None]) is None
    assert self_preference([[B, C], [A, B]], [A, None]) is None
    # Modest reviewers: each puts itself last while the other puts it first.
    assert self_preference([[B, A], [A, B]], [A, B]) == -1.0
