"""The statistics against values computed by hand (worked out in the comments)."""

from __future__ import annotations

import math

import pytest

from llmcouncil.analytics.stats import (
    PRIOR_PRECISION,
    PairCount,
    bootstrap_over_runs,
    fit_bradley_terry,
    kendall_tau_b,
    mean_interval,
    spearman,
    wilson,
)


def test_wilson_interval() -> None:
    # 8 of 10: centre (0.8 + 1.96²/20) / (1 + 1.96²/10) = 0.71673,
    # half 1.96 √(0.016 + 0.009604) / 1.38416 = 0.22658.
    eight = wilson(8, 10)
    assert eight is not None
    assert (eight.estimate, eight.low, eight.high) == pytest.approx((0.8, 0.4902, 0.9433), abs=1e-4)
    # 0 of 10: the interval still has width (the normal approximation would give [0, 0]).
    none = wilson(0, 10)
    assert none is not None and none.low == 0.0 and none.high == pytest.approx(0.2775, abs=1e-4)
    assert wilson(0, 0) is None


def test_mean_interval_from_sums() -> None:
    # 1, 2, 3, 4: mean 2.5, s = 1.29099, s/√4 = 0.645497, × 1.96 = 1.26518.
    found = mean_interval(n=4, total=10, squares=30)
    assert found is not None
    assert (found.estimate, found.low, found.high) == pytest.approx((2.5, 1.2348, 3.7652), abs=1e-4)
    assert mean_interval(n=0, total=0, squares=0) is None


def test_a_correlation_s_interval_stays_within_minus_one_and_one() -> None:
    # rho of 1.0, 0.2 and 0.9: mean 0.7, s = 0.4359, half-width 0.4932 → 0.2068 … 1.1932 unbounded.
    rhos = [1.0, 0.2, 0.9]
    sums = {"n": 3, "total": sum(rhos), "squares": sum(r * r for r in rhos)}
    loose = mean_interval(**sums)
    bounded = mean_interval(**sums, bounds=(-1.0, 1.0))
    assert loose is not None and bounded is not None
    assert loose.high > 1.0
    assert (bounded.estimate, bounded.low, bounded.high) == pytest.approx(
        (0.7, loose.low, 1.0), abs=1e-9
    )


def test_spearman_and_kendall() -> None:
    # d = (-1, 1, -1, 1, 0): rho = 1 - 6·4 / (5·24) = 0.8; two discordant pairs of ten: tau 0.6.
    x, y = [1, 2, 3, 4, 5], [2, 1, 4, 3, 5]
    assert spearman(x, y) == pytest.approx(0.8)
    assert kendall_tau_b(x, y) == pytest.approx(0.6)
    # A tie in x: mid-ranks (1, 2.5, 2.5, 4): rho = 4.5 / √(4.5 · 5) = 0.948683;
    # tau-b = 5 / √((5 + 1) · 5) = 0.912871.
    tied = [1, 2, 2, 3]
    assert spearman(tied, [1, 2, 3, 4]) == pytest.approx(0.948683, abs=1e-6)
    assert kendall_tau_b(tied, [1, 2, 3, 4]) == pytest.approx(0.912871, abs=1e-6)
    assert spearman([1, 1, 1], [1, 2, 3]) is None


def test_bradley_terry_on_two_answers() -> None:
    # a beat b 3 times of 4. Centred strengths ±t solve 3 - 4σ(2t) - λt = 0 (the prior's
    # gradient); without the prior t would be log(3) / 2.
    fit = fit_bradley_terry([PairCount(a="a", b="b", a_wins=3, b_wins=1)])
    low, high = 0.0, 2.0
    for _ in range(200):
        mid = (low + high) / 2
        if 3 - 4 / (1 + math.exp(-2 * mid)) - PRIOR_PRECISION * mid > 0:
            low = mid
        else:
            high = mid
    assert fit.models == ["a", "b"]
    assert fit.strengths == pytest.approx([low, -low], abs=1e-8)
    assert 0.5 < low < math.log(3) / 2  # shrunk a little towards 0 by the prior
    # Information n·p(1-p) on the difference plus λ: a centred strength has variance
    # 1 / (2 (2k + λ)) with k = 4 p (1 - p), p = σ(2t).
    p = 1 / (1 + math.exp(-2 * low))
    k = 4 * p * (1 - p)
    assert fit.standard_errors[0] == pytest.approx(math.sqrt(1 / (2 * (2 * k + PRIOR_PRECISION))))


def test_bradley_terry_orders_a_consistent_matrix_and_finds_a_length_effect() -> None:
    pairs = [
        PairCount("a", "b", 30, 10),
        PairCount("b", "c", 30, 10),
        PairCount("a", "c", 36, 4),
    ]
    fit = fit_bradley_terry(pairs)
    assert fit.strengths[0] > fit.strengths[1] > fit.strengths[2]
    assert sum(fit.strengths) == pytest.approx(0.0, abs=1e-9)
    # Equal models; the longer answer (covariate +1: twice as long) wins 3 in 4.
    lengthy = [
        PairCount("a", "b", 30, 10, covariate=1.0),
        PairCount("a", "b", 10, 30, covariate=-1.0),
    ]
    controlled = fit_bradley_terry(lengthy, with_covariate=True)
    assert controlled.strengths == pytest.approx([0.0, 0.0], abs=1e-6)
    assert controlled.slope == pytest.approx(math.log(3), abs=0.05)


def test_bootstrap_over_runs_is_seeded_and_covers_the_fit() -> None:
    runs = [[(0, 1, 1.0, 0.0)] if k % 4 else [(0, 1, 0.0, 1.0)] for k in range(40)]
    first = bootstrap_over_runs(runs, 2, seed=3)
    assert first == bootstrap_over_runs(runs, 2, seed=3)
    (low, high), _ = first
    fit = fit_bradley_terry([PairCount("m0", "m1", 30, 10)])
    assert low < fit.strengths[0] < high and low > 0
