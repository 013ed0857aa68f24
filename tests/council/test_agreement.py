"""Agreement statistics against values worked out by hand and from the textbook."""

from __future__ import annotations

from fractions import Fraction

import pytest

from llmcouncil.council.agreement import (
    Vote,
    kendall_tau_b,
    kendall_w,
    kendall_w_from_ranks,
    mean_pairwise_tau,
    measure_agreement,
    self_preference_by_reviewer,
)
from llmcouncil.council.preferences import Tiers, doubled_ranks

A, B, C, D, E = "Response A", "Response B", "Response C", "Response D", "Response E"


def t(*order: str | tuple[str, ...]) -> Tiers:
    return tuple(item if isinstance(item, tuple) else (item,) for item in order)


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


def test_kendall_w_with_tie_correction() -> None:
    # Totals 4, 5.5, 9, 11.5 around 7.5: S = 34.5. Two raters each tie a pair, T = 6 each, so
    # W = 12 * 34.5 / (9 * 60 - 3 * 12) = 414 / 504 = 23 / 28.
    half = Fraction(1, 2)
    rows: list[list[Fraction | int]] = [
        [1, 2, 3, 4],
        [1, 2 + half, 2 + half, 4],
        [2, 1, 3 + half, 3 + half],
    ]
    assert kendall_w_from_ranks(rows) == 23 / 28
    # The same from tiers: an explicit tie is a shared mid-rank.
    assert kendall_w([t(A, B, C, D), t(A, (B, C), D), t(B, A, (C, D))], [A, B, C, D]) == 23 / 28


def test_identical_and_balanced_rankings() -> None:
    assert kendall_w([t(A, B, C, D)] * 5, [A, B, C, D]) == 1.0
    assert kendall_w([t(A, B, C), t(C, B, A)], [A, B, C]) == 0.0
    assert kendall_w([t(A, B, C), t(B, C, A), t(C, A, B)], [A, B, C]) == 0.0


def test_a_top_k_leaves_the_rest_tied_below_it() -> None:
    assert doubled_ranks(t(C, A), [A, B, C, D]) == [4, 7, 2, 7]
    # [A, B, C] and top-1 [A] (B and C share 2.5): totals 2, 4.5, 5.5 around 4, S = 6.5;
    # W = 12 * 6.5 / (4 * 24 - 2 * 6) = 78 / 84 = 13 / 14.
    assert kendall_w([t(A, B, C), t(A)], [A, B, C]) == 13 / 14


def test_kendall_w_needs_two_raters_and_two_items() -> None:
    assert kendall_w([t(A, B, C)], [A, B, C]) is None
    assert kendall_w([], [A, B]) is None
    assert kendall_w([t(A), t(A)], [A]) is None
    with pytest.raises(ValueError):
        kendall_w_from_ranks([[1, 2], [1, 2, 3]])
    with pytest.raises(ValueError):
        kendall_w_from_ranks([[Fraction(1, 3), 2], [1, 2]])


def test_kendall_tau_b() -> None:
    assert kendall_tau_b([1, 2, 3, 4], [1, 2, 3, 4]) == 1.0
    assert kendall_tau_b([1, 2, 3, 4], [4, 3, 2, 1]) == -1.0
    # 5 concordant pairs, 0 discordant; 6 pairs untied in x, 5 in y: 5 / sqrt(30).
    assert kendall_tau_b([1, 2, 3, 4], [1, 2, 2, 4]) == pytest.approx(0.9128709291752769)
    assert kendall_tau_b([1, 1], [1, 2]) is None


def test_mean_pairwise_tau_reads_rankings_like_w() -> None:
    # [A, B, C] vs [B, A, C]: AB discordant, AC and BC concordant: 1/3.
    assert mean_pairwise_tau([t(A, B, C), t(B, A, C)], [A, B, C]) == pytest.approx(1 / 3)
    # A top-1 [C] against [A, B, C]: C is above A and B (discordant twice), A-B tied: -2/sqrt(6).
    assert mean_pairwise_tau([t(A, B, C), t(C)], [A, B, C]) == pytest.approx(-2 / 6**0.5)
    assert mean_pairwise_tau([t(A, B, C)], [A, B, C]) is None


def _votes(*rankings: tuple[Tiers, str | None]) -> list[Vote]:
    return [Vote(f"r{i}", f"r{i}", tiers, own) for i, (tiers, own) in enumerate(rankings)]


def test_self_preference_worked_by_hand() -> None:
    votes = _votes((t(A, B, C), A), (t(B, A, C), B), (t(A, C, B), C))
    rows = self_preference_by_reviewer(votes, [A, B, C])
    # r0 (A): A>B as r2 says, A>C as r1 says: delta 0. r1 (B): B>A against r2's A>B (0), B>C
    # as r0 says (1): own 1, others 1/2. r2 (C): C<A as r1 says (0), C>B against r0's B>C.
    assert [(r.pairs, r.own_win_rate, r.others_win_rate, r.delta) for r in rows] == [
        (2, 1.0, 1.0, 0.0),
        (2, 1.0, 0.5, 0.5),
        (2, 0.5, 0.0, 0.5),
    ]
    # The summary for older clients: places lifted, delta * pairs, averaged: (0 + 1 + 1) / 3.
    agreement = measure_agreement(votes, [A, B, C], self_votes_excluded=True)
    assert agreement.self_preference == pytest.approx(2 / 3)
    assert agreement.kendall_w == pytest.approx(4 / 9)  # totals 4, 6, 8 around 6
    assert agreement.reviewers == 3


def test_a_self_promoter_is_found_and_honest_reviewers_are_charged_nothing() -> None:
    truth = [A, B, C, D, E]
    honest = [(t(*truth), own) for own in (A, B, C, D)]
    promoter = (t(E, A, B, C, D), E)  # E is really last
    rows = {r.own_label: r for r in self_preference_by_reviewer(_votes(*honest, promoter), truth)}
    assert rows[E].delta == 1.0 and rows[E].pairs == 4
    for own in (A, B, C, D):
        assert rows[own].delta == 0.0
    agreement = measure_agreement(_votes(*honest, promoter), truth, self_votes_excluded=True)
    assert agreement.self_preference == pytest.approx(4 / 5)


def test_self_preference_is_attributed_to_the_model_that_answered() -> None:
    votes = [
        Vote("m-alpha", "m-beta", t(B, A, C), B),  # alpha's review was written by beta
        Vote("m-gamma", "m-gamma", t(A, B, C), C),
    ]
    rows = self_preference_by_reviewer(votes, [A, B, C])
    assert [(r.reviewer, r.answered_by, r.own_label) for r in rows] == [
        ("m-alpha", "m-beta", B),
        ("m-gamma", "m-gamma", C),
    ]


def test_without_answers_or_disinterested_peers_there_is_no_delta() -> None:
    assert self_preference_by_reviewer(_votes((t(A, B), None), (t(B, A), None)), [A, B]) == []
    # Each owns one of the two answers: no one is disinterested.
    rows = self_preference_by_reviewer(_votes((t(A, B), A), (t(A, B), B)), [A, B])
    assert [(r.pairs, r.own_win_rate, r.delta) for r in rows] == [(1, 1.0, None), (1, 0.0, None)]
    # A top-1 that leaves out its own answer and another says nothing about that pair.
    rows = self_preference_by_reviewer(_votes((t(C), A), (t(A, B, C), None)), [A, B, C])
    assert [(r.pairs, r.own_win_rate) for r in rows] == [(1, 0.0)]
    agreement = measure_agreement(
        _votes((t(A, B), A), (t(A, B), B)), [A, B], self_votes_excluded=True
    )
    assert agreement.self_preference is None
