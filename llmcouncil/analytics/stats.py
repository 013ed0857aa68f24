"""The statistics analytics reports: intervals, rank correlations, Bradley–Terry across runs.

- ``wilson``: the Wilson score interval of a proportion (exact enough at small n, never outside
  [0, 1], unlike the normal approximation).
- ``mean_interval``: a mean with its normal-approximation 95 % interval from the count, sum and
  sum of squares a SQL ``GROUP BY`` returns (one value per review, each review its own run, so
  the values are independent).
- ``spearman`` and ``kendall_tau_b``: rank correlations with ties (mid-ranks; tau-b).
- ``fit_bradley_terry``: log-strengths (mean 0) from a pairwise win matrix by Newton's method
  with a weak Gaussian prior (variance 10, so a model that never lost stays finite), and Wald
  intervals from the inverse of the observed information (the prior's Hessian included).
  Optionally one covariate per pair (the log length ratio): the length-controlled fit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Z95 = 1.959963984540054
PRIOR_PRECISION = 0.1  # a N(0, 10) prior on each log-strength
_NEWTON_ROUNDS = 100
_TOLERANCE = 1e-10

Array = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Interval:
    estimate: float
    low: float
    high: float


def wilson(successes: float, n: int, *, z: float = Z95) -> Interval | None:
    """The Wilson score interval of ``successes`` out of ``n``; None when n is 0."""
    if n <= 0:
        return None
    p = min(1.0, max(0.0, successes / n))
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return Interval(estimate=p, low=max(0.0, centre - half), high=min(1.0, centre + half))


def mean_interval(
    *,
    n: int,
    total: float,
    squares: float,
    z: float = Z95,
    bounds: tuple[float, float] | None = None,
) -> Interval | None:
    """Mean and normal 95 % interval from n, Σx and Σx²; the interval is the mean itself for
    n = 1 (nothing to estimate a spread from). ``bounds``: the values the quantity can take (a
    correlation's −1…1), which the interval never leaves, however few the observations."""
    if n <= 0:
        return None
    mean = total / n
    if n == 1:
        return Interval(estimate=mean, low=mean, high=mean)
    variance = max(0.0, (squares - n * mean * mean) / (n - 1))
    half = z * math.sqrt(variance / n)
    low, high = mean - half, mean + half
    if bounds is not None:
        low, high = max(bounds[0], low), min(bounds[1], high)
    return Interval(estimate=mean, low=low, high=high)


def mid_ranks(values: Sequence[float]) -> list[float]:
    """Ranks from 1 (smallest), ties sharing the mean of their positions."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        shared = (start + end) / 2 + 1
        for k in range(start, end + 1):
            ranks[order[k]] = shared
        start = end + 1
    return ranks


def pearson(x: Sequence[float], y: Sequence[float]) -> float | None:
    n = len(x)
    if n < 2 or n != len(y):
        return None
    mx, my = sum(x) / n, sum(y) / n
    sxy = sum((a - mx) * (b - my) for a, b in zip(x, y, strict=True))
    sxx = sum((a - mx) ** 2 for a in x)
    syy = sum((b - my) ** 2 for b in y)
    if sxx == 0 or syy == 0:
        return None
    return sxy / math.sqrt(sxx * syy)


def spearman(x: Sequence[float], y: Sequence[float]) -> float | None:
    """Spearman's rho (Pearson on mid-ranks); None when either side is constant."""
    return pearson(mid_ranks(x), mid_ranks(y))


def kendall_tau_b(x: Sequence[float], y: Sequence[float]) -> float | None:
    """Kendall's tau-b; None when either side is constant."""
    concordant = discordant = ties_x = ties_y = 0
    n = len(x)
    for i in range(n):
        for j in range(i + 1, n):
            dx = (x[i] > x[j]) - (x[i] < x[j])
            dy = (y[i] > y[j]) - (y[i] < y[j])
            if dx == 0 and dy == 0:
                continue
            if dx == 0:
                ties_x += 1
            elif dy == 0:
                ties_y += 1
            elif dx == dy:
                concordant += 1
            else:
                discordant += 1
    denominator = math.sqrt((concordant + discordant + ties_x) * (concordant + discordant + ties_y))
    if denominator == 0:
        return None
    return (concordant - discordant) / denominator


@dataclass(frozen=True, slots=True)
class PairCount:
    """Wins of ``a`` over ``b`` and of ``b`` over ``a`` (ties count half to each), with an
    optional covariate of the pair (the log2 length ratio of a to b)."""

    a: str
    b: str
    a_wins: float
    b_wins: float
    covariate: float = 0.0


@dataclass(frozen=True, slots=True)
class BradleyTerryFit:
    models: list[str]
    strengths: list[float]  # log-strengths, mean 0
    standard_errors: list[float]
    comparisons: list[float]  # per model, the comparisons it took part in
    slope: float | None = None  # the covariate's effect (log-odds per unit), if fitted
    slope_error: float | None = None

    def interval(self, index: int, *, z: float = Z95) -> Interval:
        s, e = self.strengths[index], self.standard_errors[index]
        return Interval(estimate=s, low=s - z * e, high=s + z * e)


def fit_bradley_terry(
    pairs: Sequence[PairCount], *, with_covariate: bool = False
) -> BradleyTerryFit:
    """Maximum a posteriori log-strengths with Wald intervals (see the module docstring)."""
    models = sorted({p.a for p in pairs} | {p.b for p in pairs})
    index = {m: k for k, m in enumerate(models)}
    rows = [p for p in pairs if p.a_wins + p.b_wins > 0 and p.a != p.b]
    m = len(models)
    if m == 0:
        return BradleyTerryFit(models=[], strengths=[], standard_errors=[], comparisons=[])
    data = PairArrays(
        a=np.array([index[p.a] for p in rows], dtype=np.intp),
        b=np.array([index[p.b] for p in rows], dtype=np.intp),
        wins=np.array([p.a_wins for p in rows], dtype=np.float64),
        totals=np.array([p.a_wins + p.b_wins for p in rows], dtype=np.float64),
        covariate=np.array([p.covariate for p in rows], dtype=np.float64)
        if with_covariate
        else None,
    )
    theta, covariance = fit_arrays(data, m)
    strengths = theta[:m] - theta[:m].mean()
    # The variance of a centred strength: e_i - 1/m, through the covariance.
    centring = np.eye(m) - 1.0 / m
    centred_cov = centring @ covariance[:m, :m] @ centring.T
    errors = np.sqrt(np.clip(np.diag(centred_cov), 0.0, None))
    comparisons = np.zeros(m)
    np.add.at(comparisons, data.a, data.totals)
    np.add.at(comparisons, data.b, data.totals)
    return BradleyTerryFit(
        models=models,
        strengths=[float(s) for s in strengths],
        standard_errors=[float(e) for e in errors],
        comparisons=[float(c) for c in comparisons],
        slope=float(theta[m]) if with_covariate else None,
        slope_error=float(math.sqrt(covariance[m, m])) if with_covariate else None,
    )


@dataclass(frozen=True, slots=True)
class PairArrays:
    a: npt.NDArray[np.intp]
    b: npt.NDArray[np.intp]
    wins: Array  # of a over b
    totals: Array
    covariate: Array | None = None


def fit_arrays(data: PairArrays, m: int) -> tuple[Array, Array]:
    """Newton's method on the penalised likelihood: (parameters, their covariance)."""
    size = m + (1 if data.covariate is not None else 0)
    design = np.zeros((len(data.a), size))
    rows = np.arange(len(data.a))
    design[rows, data.a] = 1.0
    design[rows, data.b] = -1.0
    if data.covariate is not None:
        design[:, m] = data.covariate
    theta: Array = np.zeros(size)
    prior = np.eye(size) * PRIOR_PRECISION
    information = prior
    for _ in range(_NEWTON_ROUNDS):
        p = _sigmoid(design @ theta)
        gradient = design.T @ (data.wins - data.totals * p) - PRIOR_PRECISION * theta
        information = (design.T * (data.totals * p * (1 - p))) @ design + prior
        step = np.linalg.solve(information, gradient)
        theta = theta + step
        if float(np.max(np.abs(step))) < _TOLERANCE:
            break
    covariance: Array = np.asarray(np.linalg.inv(information), dtype=np.float64)
    return theta, covariance


def bootstrap_over_runs(
    runs: Sequence[Sequence[tuple[int, int, float, float]]],
    m: int,
    *,
    rounds: int = 200,
    seed: int = 0,
) -> list[tuple[float, float]]:
    """95 % percentile intervals of the centred log-strengths, resampling whole runs (each
    run's (a, b, a_wins, b_wins) rows stay together, so reviews of one run are not taken for
    independent evidence)."""
    keys = sorted({(a, b) for run in runs for a, b, _, _ in run})
    column = {key: k for k, key in enumerate(keys)}
    wins = np.zeros((len(runs), len(keys)))
    totals = np.zeros((len(runs), len(keys)))
    for r, run in enumerate(runs):
        for a, b, a_wins, b_wins in run:
            wins[r, column[(a, b)]] += a_wins
            totals[r, column[(a, b)]] += a_wins + b_wins
    rng = np.random.default_rng(seed)
    counts = rng.multinomial(len(runs), np.full(len(runs), 1.0 / len(runs)), size=rounds)
    resampled_wins = counts @ wins
    resampled_totals = counts @ totals
    a_idx = np.array([a for a, _ in keys], dtype=np.intp)
    b_idx = np.array([b for _, b in keys], dtype=np.intp)
    fits = np.zeros((rounds, m))
    for k in range(rounds):
        theta, _ = fit_arrays(
            PairArrays(a=a_idx, b=b_idx, wins=resampled_wins[k], totals=resampled_totals[k]), m
        )
        fits[k] = theta[:m] - theta[:m].mean()
    low = np.percentile(fits, 2.5, axis=0)
    high = np.percentile(fits, 97.5, axis=0)
    return [(float(lo), float(hi)) for lo, hi in zip(low, high, strict=True)]


def _sigmoid(x: Array) -> Array:
    result: Array = 1.0 / (1.0 + np.exp(-np.clip(x, -40.0, 40.0)))
    return result
