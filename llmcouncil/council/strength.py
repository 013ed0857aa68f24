"""Bradley–Terry strengths from pairwise preferences, with a bootstrap interval over reviewers.

The model: answer ``i`` beats answer ``j`` with probability ``p_i / (p_i + p_j)``. A strength
here is ``log p_i`` centred at mean 0 over the answers fitted, so 0 is an average answer and a
difference of 1 means odds of e (about 2.7) to 1.

Fit. Zermelo's fixed-point iteration in the form of Newman (2023, "Efficient computation of
rankings from pairwise comparisons", JMLR 24), ``p_i <- sum_j w_ij p_j / (p_i + p_j) /
sum_j w_ji / (p_i + p_j)``, applied in place (Gauss-Seidel): it has the maximum-likelihood point
as its fixed point like the classic MM update, and needs far fewer rounds (measured on six
answers: 10 rounds reach 1e-6 where MM needs over 50). Ties count half a win each way. Every pair
of fitted answers starts with ``PRIOR_TIES`` virtual ties (a symmetric prior), so a unanimous vote
gives a large but finite strength and an answer compared with few others still gets one.

Interval. Reviewers are resampled with replacement ``BOOTSTRAP_ROUNDS`` times from a generator
seeded by the run's seed, each resample is refitted, and the 2.5th and 97.5th percentiles of each
answer's strength bound its 95 % interval. Stage 2 must stay within milliseconds in pure Python,
so a resample is not fitted from scratch: it starts from the full fit moved by a first-order
(one Newton step, full-data information) estimate of its change, then takes two rounds of the
iteration. Against fully converged refits the interval ends move by at most 0.03 (measured on
councils of 4 to 8; intervals are about 1 wide). Reviewers who contributed exactly the same
preferences are one pattern and a resample is a multiset of patterns, so equal resamples share
one fit: a unanimous council has one pattern, one fit and an interval of width zero.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from itertools import repeat
from operator import add, mul, sub

Matrix = list[list[float]]  # wins[i][j]: how often i was preferred to j (a tie adds 0.5 each way)

PRIOR_TIES = 1.0
BOOTSTRAP_ROUNDS = 200
CONFIDENCE = 0.95
_POINT_TOLERANCE = 1e-12
_POINT_MAX_ROUNDS = 1000
_RESAMPLE_ROUNDS = 2


def with_prior(wins: Sequence[Sequence[float]]) -> Matrix:
    """``wins`` plus the prior's half win each way for every pair."""
    half = PRIOR_TIES / 2
    return [
        [value + half if i != j else 0.0 for j, value in enumerate(row)]
        for i, row in enumerate(wins)
    ]


def fit_log_strengths(
    wins: Sequence[Sequence[float]],
    *,
    start: Sequence[float] | None = None,
    max_rounds: int = _POINT_MAX_ROUNDS,
    tolerance: float = _POINT_TOLERANCE,
) -> list[float]:
    """Centred log-strengths for a wins matrix that already holds the prior (``with_prior``)."""
    size = len(wins)
    flat = [value for row in wins for value in row]
    p = [math.exp(x) for x in start] if start is not None else [1.0] * size
    return _centred_logs(_iterate(flat, size, p, max_rounds=max_rounds, tolerance=tolerance))


def _iterate(
    flat: list[float], size: int, p: list[float], *, max_rounds: int, tolerance: float
) -> list[float]:
    """Newman's update on a flattened wins matrix (row i, column j at ``i * size + j``)."""
    if size == 0:
        return []
    rows = [flat[i * size : (i + 1) * size] for i in range(size)]
    columns = [flat[i::size] for i in range(size)]
    p = list(p)
    for _ in range(max_rounds):
        before = list(p)
        # Gauss-Seidel: each update uses the ones just made (updating all at once from the old
        # values oscillates; with two answers it never converges).
        for i, (row, column) in enumerate(zip(rows, columns, strict=True)):
            own = p[i]
            inverse = [1.0 / (own + other) for other in p]
            # The diagonal of ``wins`` is 0, so the j = i terms add nothing.
            p[i] = sum(map(mul, map(mul, row, p), inverse)) / sum(map(mul, column, inverse))
        # The update is scale-free; rescaling keeps the numbers near 1.
        scale = sum(p) / size
        p = [value / scale for value in p]
        if tolerance > 0 and max(map(abs, map(sub, p, before))) < tolerance:
            break
    return p


def _centred_logs(p: list[float]) -> list[float]:
    if not p:
        return []
    logs = [math.log(value) for value in p]
    mean = math.fsum(logs) / len(logs)
    return [value - mean for value in logs]


def bootstrap_intervals(
    contributions: Sequence[Matrix],
    *,
    point: Sequence[float],
    seed: int,
    rounds: int = BOOTSTRAP_ROUNDS,
    confidence: float = CONFIDENCE,
    refinements: int = _RESAMPLE_ROUNDS,
) -> tuple[list[float], list[float]]:
    """(low, high) bounds of each item's strength over resamples of ``contributions`` (one wins
    matrix per reviewer, in a canonical order, without the prior); ``point`` is the full fit."""
    size = len(point)
    if not contributions or size == 0:
        return list(point), list(point)
    patterns, pattern_of = _patterns(contributions)
    full_counts = [pattern_of.count(k) for k in range(len(patterns))]
    steps = _linear_steps(patterns, full_counts, point)
    flats = [[value for row in matrix for value in row] for matrix in patterns]
    prior = [value for row in with_prior([[0.0] * size for _ in range(size)]) for value in row]
    # A resample is a multiset of patterns; its sorted tuple is the key of its fit.
    fits: dict[tuple[int, ...], list[float]] = {tuple(sorted(pattern_of)): list(point)}
    rng = random.Random(f"bootstrap:{seed}")
    drawn: list[list[float]] = []
    for _ in range(rounds):
        key = tuple(sorted(rng.choices(pattern_of, k=len(pattern_of))))
        fit = fits.get(key)
        if fit is None:
            start = list(point)
            wins = prior
            for k, (full, step, flat) in enumerate(zip(full_counts, steps, flats, strict=True)):
                count = key.count(k)
                if count != full:
                    start = list(map(add, start, map(mul, repeat(count - full), step)))
                if count:
                    wins = list(map(add, wins, map(mul, repeat(float(count)), flat)))
            p = [math.exp(x) for x in start]
            fit = _centred_logs(_iterate(wins, size, p, max_rounds=refinements, tolerance=0.0))
            fits[key] = fit
        drawn.append(fit)
    tail = (1 - confidence) / 2
    samples = [sorted(column) for column in zip(*drawn, strict=True)]
    low = [percentile(sample, tail) for sample in samples]
    high = [percentile(sample, 1 - tail) for sample in samples]
    return low, high


def _linear_steps(
    patterns: Sequence[Matrix], full_counts: Sequence[int], point: Sequence[float]
) -> list[list[float]]:
    """For each pattern, how the strengths move per extra copy of it, to first order: the
    Fisher information of the full data (prior included) solved against the pattern's score at
    the full fit. A resample starts from this linear guess before the refining rounds."""
    size = len(point)
    p = [math.exp(x) for x in point]
    total = with_prior(
        [
            [
                math.fsum(n * m[i][j] for n, m in zip(full_counts, patterns, strict=True))
                for j in range(size)
            ]
            for i in range(size)
        ]
    )
    share = [[pi / (pi + pj) for pj in p] for pi in p]  # P(i beats j) at the full fit
    # Information plus 1/size everywhere: the strengths are only defined up to a shift, and every
    # score sums to 0, so this pins the solution to the centred one.
    information = [[1.0 / size] * size for _ in range(size)]
    for i in range(size):
        for j in range(size):
            if i != j:
                weight = (total[i][j] + total[j][i]) * share[i][j] * share[j][i]
                information[i][i] += weight
                information[i][j] -= weight
    scores = [
        [
            math.fsum(m[i][j] - (m[i][j] + m[j][i]) * share[i][j] for j in range(size) if j != i)
            for i in range(size)
        ]
        for m in patterns
    ]
    return _solve(information, scores)


def _solve(matrix: Matrix, right_sides: list[list[float]]) -> list[list[float]]:
    """x with matrix @ x = b for each b (Gauss-Jordan with partial pivoting; tiny systems)."""
    size = len(matrix)
    rows = [list(row) + [b[i] for b in right_sides] for i, row in enumerate(matrix)]
    for column in range(size):
        pivot = max(range(column, size), key=lambda r: abs(rows[r][column]))
        rows[column], rows[pivot] = rows[pivot], rows[column]
        lead = rows[column][column]
        rows[column] = [value / lead for value in rows[column]]
        for r in range(size):
            if r != column and rows[r][column]:
                factor = rows[r][column]
                rows[r] = [a - factor * b for a, b in zip(rows[r], rows[column], strict=True)]
    return [[rows[i][size + k] for i in range(size)] for k in range(len(right_sides))]


def percentile(ordered: Sequence[float], fraction: float) -> float:
    """Linear interpolation between order statistics (Hyndman–Fan type 7, NumPy's default)."""
    position = (len(ordered) - 1) * fraction
    below = math.floor(position)
    above = min(below + 1, len(ordered) - 1)
    weight = position - below
    return ordered[below] + (ordered[above] - ordered[below]) * weight


def _patterns(contributions: Sequence[Matrix]) -> tuple[list[Matrix], list[int]]:
    """Distinct contributions, and the pattern number of each reviewer."""
    numbered: dict[tuple[tuple[float, ...], ...], int] = {}
    patterns: list[Matrix] = []
    pattern_of: list[int] = []
    for matrix in contributions:
        key = tuple(tuple(row) for row in matrix)
        if key not in numbered:
            numbered[key] = len(patterns)
            patterns.append(matrix)
        pattern_of.append(numbered[key])
    return patterns, pattern_of
