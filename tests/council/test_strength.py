"""Bradley–Terry fit and the bootstrap, against closed forms and the likelihood equations."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from llmcouncil.council.strength import (
    BOOTSTRAP_ROUNDS,
    PRIOR_TIES,
    Matrix,
    bootstrap_intervals,
    fit_log_strengths,
    fit_many,
    percentile,
    resample_counts,
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
        assert quick == pytest.approx(slow, abs=1e-6)


def _council(reviewers: int, size: int, *, seed: int) -> list[Matrix]:
    """Noisy rankings around one order, like a real council: the reviewer's own answer left
    out, some top-3 votes (listed beat unlisted, unlisted unordered), a few explicit ties, and
    reviewers who agree exactly (the first two give the same ranking)."""
    rng = random.Random(seed)
    votes = []
    for r in range(reviewers):
        own = r % size
        order = [x for x in sorted(range(size), key=lambda x: x + rng.gauss(0, 1.5)) if x != own]
        listed = order[:3] if r % 4 == 3 else order
        tier = {x: n - (n % 2 if r % 5 == 4 else 0) for n, x in enumerate(listed)}
        wins = [[0.0] * size for _ in range(size)]
        for a in order:
            for b in order:
                if a == b:
                    continue
                if a in tier and (b not in tier or tier[a] < tier[b]):
                    wins[a][b] += 1.0
                elif a in tier and b in tier and tier[a] == tier[b]:
                    wins[a][b] += 0.5
        votes.append(wins)
    votes[1] = [list(row) for row in votes[0]]
    return votes


def _reference_intervals(
    votes: list[Matrix], *, seed: int, rounds: int = BOOTSTRAP_ROUNDS
) -> tuple[list[float], list[float]]:
    """The bootstrap done the slow, obvious way: each resample's wins added up, fitted to full
    convergence, and the percentiles of each answer's strengths."""
    size = len(votes[0])
    fits = []
    for counts in resample_counts(len(votes), seed=seed, rounds=rounds).tolist():
        drawn = [vote for n, vote in zip(counts, votes, strict=True) for _ in range(n)]
        wins = [[sum(vote[i][j] for vote in drawn) for j in range(size)] for i in range(size)]
        fits.append(fit_log_strengths(with_prior(wins), tolerance=1e-14, max_rounds=100_000))
    columns = [sorted(column) for column in zip(*fits, strict=True)]
    return [percentile(c, 0.025) for c in columns], [percentile(c, 0.975) for c in columns]


def _point(votes: list[Matrix]) -> list[float]:
    size = len(votes[0])
    return fit_log_strengths(
        with_prior([[sum(v[i][j] for v in votes) for j in range(size)] for i in range(size)])
    )


@pytest.mark.parametrize(
    ("reviewers", "size", "seed"), [(4, 4, 0), (5, 6, 1), (6, 6, 2), (7, 8, 3), (18, 5, 4)]
)
def test_intervals_match_a_full_refit_of_every_resample(
    reviewers: int, size: int, seed: int
) -> None:
    votes = _council(reviewers, size, seed=seed)
    low, high = bootstrap_intervals(votes, point=_point(votes), seed=seed)
    slow_low, slow_high = _reference_intervals(votes, seed=seed)
    assert low == pytest.approx(slow_low, abs=1e-6)
    assert high == pytest.approx(slow_high, abs=1e-6)
    assert any(b - a > 0.1 for a, b in zip(low, high, strict=True))  # the case is not trivial


def test_intervals_are_deterministic_per_seed_and_follow_it() -> None:
    votes = _council(6, 6, seed=7)
    point = _point(votes)
    first = bootstrap_intervals(votes, point=point, seed=11)
    assert bootstrap_intervals(votes, point=point, seed=11) == first
    others = {str(bootstrap_intervals(votes, point=point, seed=s)) for s in (12, 13, 14)}
    assert str(first) not in others


def test_resample_counts_are_seeded_whole_resamples() -> None:
    counts = resample_counts(6, seed=-3, rounds=50)
    assert counts.shape == (50, 6)
    assert (counts.sum(axis=1) == 6).all() and (counts >= 0).all()
    assert (resample_counts(6, seed=-3, rounds=50) == counts).all()
    assert not (resample_counts(6, seed=3, rounds=50) == counts).all()
    assert resample_counts(6, seed=2**80, rounds=5).shape == (5, 6)


def test_equal_wins_give_identical_fits_anywhere_in_a_batch() -> None:
    votes = _council(5, 6, seed=9)
    wins = np.array([with_prior(v) for v in votes] + [with_prior(votes[2])])
    start = np.zeros((len(wins), 6))
    fitted = fit_many(wins, start)
    assert fitted[2].tolist() == fitted[-1].tolist()
    for row, matrix in zip(fitted, wins, strict=True):
        assert row.tolist() == pytest.approx(fit_log_strengths(matrix.tolist()), abs=1e-7)


def test_a_fit_that_does_not_settle_is_redone_by_the_slow_iteration() -> None:
    wins = np.array([with_prior([[0.0, 40.0, 3.0], [0.0, 0.0, 9.0], [1.0, 0.0, 0.0]])])
    fitted = fit_many(wins, np.array([[5.0, -5.0, 0.0]]), max_rounds=0)
    assert fitted[0].tolist() == pytest.approx(fit_log_strengths(wins[0].tolist()), abs=1e-10)
