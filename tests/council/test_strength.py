"""Bradley–Terry fit and the bootstrap, against closed forms and the likelihood equations."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from llmcouncil.council.strength import (
    PRIOR_TIES,
    bootstrap_intervals,
    fit_log_strengths,
    percentile,
    with_prior,
)


def test_two_answers_have_the_closed_form() -> None:
    # With two items the likelihood is maximised at p1 / p2 = w12 / w21, prior included.
    half = PRIOR_TIES / 2
    strengths = fit_log_strengths(with_prior([[0.0, 3.0], [1.0, 0.0]]))
    gap = math.log((3 + half) / (1 + half))
    assert strengths == pytest.approx([gap / 2, -gap / 2], abs=1e-12)


def test_three_answers_satisfy_the_likelihood_equations() -> None:
    # A beat B 3 times and C 2 times, B beat C 2 times and A once, C beat A once: by hand the
    # maximum-likelihood point solves sum_j n_ij p_i / (p_i + p_j) = wins_i for every i (the
    # score equations), checked here instead of the iteration that produced it.
    wins = with_prior([[0.0, 3.0, 2.0], [1.0, 0.0, 2.0], [1.0, 0.0, 0.0]])
    strengths = fit_log_strengths(wins)
    p = [math.exp(x) for x in strengths]
    for i in range(3):
        expected = sum((wins[i][j] + wins[j][i]) * p[i] / (p[i] + p[j]) for j in range(3) if j != i)
        assert expected == pytest.approx(sum(wins[i]), abs=1e-9)
    assert math.fsum(strengths) == pytest.approx(0.0, abs=1e-12)
    assert strengths[0] > strengths[1] > strengths[2]


def test_a_balanced_cycle_gives_equal_strengths() -> None:
    strengths = fit_log_strengths(with_prior([[0.0, 2.0, 0.0], [0.0, 0.0, 2.0], [2.0, 0.0, 0.0]]))
    assert strengths == pytest.approx([0.0, 0.0, 0.0], abs=1e-12)


def test_unanimous_wins_stay_finite() -> None:
    strengths = fit_log_strengths(with_prior([[0.0, 50.0], [0.0, 0.0]]))
    assert all(math.isfinite(x) for x in strengths)
    assert strengths[0] == pytest.approx(math.log(50.5 / 0.5) / 2)


def test_percentile_interpolates_like_numpy() -> None:
    values = [float(x) for x in range(1, 11)]
    assert percentile(values, 0.5) == 5.5
    assert percentile(values, 0.025) == pytest.approx(1.225)
    assert percentile(values, 0.0) == 1.0 and percentile(values, 1.0) == 10.0


def _ranking(order: list[int], size: int) -> list[list[float]]:
    wins = [[0.0] * size for _ in range(size)]
    for n, a in enumerate(order):
        for b in order[n + 1 :]:
            wins[a][b] += 1.0
    return wins


def test_identical_reviewers_give_a_zero_width_interval() -> None:
    votes = [_ranking([2, 0, 1], 3)] * 5
    total = [[5 * x for x in row] for row in votes[0]]
    point = fit_log_strengths(with_prior(total))
    low, high = bootstrap_intervals(votes, point=point, seed=4)
    assert low == high == point


@given(
    st.lists(st.permutations([0, 1, 2, 3]), min_size=2, max_size=7),
    st.integers(min_value=0, max_value=1000),
)
def test_intervals_are_seeded_and_ordered(orders: list[list[int]], seed: int) -> None:
    votes = [_ranking(order, 4) for order in orders]
    total = [[sum(v[i][j] for v in votes) for j in range(4)] for i in range(4)]
    point = fit_log_strengths(with_prior(total))
    low, high = bootstrap_intervals(votes, point=point, seed=seed)
    assert (low, high) == bootstrap_intervals(votes, point=point, seed=seed)
    assert all(a <= b for a, b in zip(low, high, strict=True))


def test_the_refined_resamples_are_close_to_fully_converged_ones() -> None:
    orders = [[0, 1, 2, 3, 4], [1, 0, 2, 4, 3], [0, 2, 1, 3, 4], [2, 0, 1, 4, 3], [0, 1, 3, 2, 4]]
    votes = [_ranking(order, 5) for order in orders]
    total = [[sum(v[i][j] for v in votes) for j in range(5)] for i in range(5)]
    point = fit_log_strengths(with_prior(total))
    fast = bootstrap_intervals(votes, point=point, seed=1)
    exact = bootstrap_intervals(votes, point=point, seed=1, refinements=500)
    for quick, slow in zip(fast, exact, strict=True):
        assert quick == pytest.approx(slow, abs=0.08)
