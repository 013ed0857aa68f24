"""The statistics of a comparison: win/tie/loss, paired bootstrap intervals, judges' agreement.

Each question gives one outcome for the council against another strategy (+1 win, 0 tie,
-1 loss), both strategies answering the same questions, so the comparison is paired: the
bootstrap resamples *questions* (with replacement) and recomputes the win, tie and loss rates
and the net score (wins − losses) of each resample; the interval is the 2.5th and 97.5th
percentile. Resamples are drawn from a seeded generator (or handed in, for tests).

Judges' agreement is Fleiss' kappa over the outcome each judge gave each (question, pair),
beside the plain share of agreeing judge pairs; position consistency is the share of judgements
whose two orders agreed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np
import numpy.typing as npt

RESAMPLES = 2000
LEVEL = 0.95


@dataclass(frozen=True, slots=True)
class Interval:
    value: float
    low: float
    high: float

    def as_dict(self) -> dict[str, float]:
        return {"value": self.value, "low": self.low, "high": self.high}


@dataclass(frozen=True, slots=True)
class Comparison:
    wins: int
    ties: int
    losses: int
    win_rate: Interval
    tie_rate: Interval
    loss_rate: Interval
    net: Interval  # wins − losses, per question

    @property
    def n(self) -> int:
        return self.wins + self.ties + self.losses

    def as_dict(self) -> dict[str, object]:
        return {
            "n": self.n,
            "wins": self.wins,
            "ties": self.ties,
            "losses": self.losses,
            "win_rate": self.win_rate.as_dict(),
            "tie_rate": self.tie_rate.as_dict(),
            "loss_rate": self.loss_rate.as_dict(),
            "net": self.net.as_dict(),
        }


def resample_indices(n: int, *, resamples: int = RESAMPLES, seed: int = 0) -> npt.NDArray[np.intp]:
    rng = np.random.default_rng(seed)
    return rng.integers(0, n, size=(resamples, n))


def compare(
    outcomes: Sequence[int],
    *,
    seed: int = 0,
    resamples: int = RESAMPLES,
    indices: npt.NDArray[np.intp] | None = None,
) -> Comparison:
    """Win/tie/loss of ``outcomes`` (+1/0/−1 per question) with paired bootstrap intervals."""
    values = np.asarray(outcomes, dtype=np.int8)
    n = len(values)
    wins, ties = int((values == 1).sum()), int((values == 0).sum())
    losses = n - wins - ties
    if n == 0:
        nothing = Interval(0.0, 0.0, 0.0)
        return Comparison(0, 0, 0, nothing, nothing, nothing, nothing)
    picks = indices if indices is not None else resample_indices(n, resamples=resamples, seed=seed)
    sampled = values[picks]
    win = (sampled == 1).mean(axis=1)
    tie = (sampled == 0).mean(axis=1)
    loss = (sampled == -1).mean(axis=1)
    return Comparison(
        wins=wins,
        ties=ties,
        losses=losses,
        win_rate=_interval(wins / n, win),
        tie_rate=_interval(ties / n, tie),
        loss_rate=_interval(losses / n, loss),
        net=_interval((wins - losses) / n, win - loss),
    )


def _interval(value: float, samples: npt.NDArray[np.float64]) -> Interval:
    tail = (1 - LEVEL) / 2 * 100
    low, high = np.percentile(samples, [tail, 100 - tail])
    return Interval(round(value, 6), round(float(low), 6), round(float(high), 6))


def position_consistency(consistent: Sequence[bool]) -> float | None:
    """The share of judgements whose two orders agreed; None with no judgement."""
    if not consistent:
        return None
    return sum(consistent) / len(consistent)


def percent_agreement(ratings: Sequence[Sequence[int]]) -> float | None:
    """Over subjects with two or more judges: the share of judge pairs giving the same outcome."""
    agree = total = 0
    for row in ratings:
        for x, y in combinations(row, 2):
            total += 1
            agree += x == y
    return agree / total if total else None


def fleiss_kappa(
    ratings: Sequence[Sequence[int]], *, categories: Sequence[int] = (-1, 0, 1)
) -> float | None:
    """Fleiss' kappa for subjects each rated by the same number of judges (others left out).

    None when it is undefined: fewer than two judges, or every judgement in one category.
    """
    if not ratings:
        return None
    m = max(len(row) for row in ratings)
    rows = [row for row in ratings if len(row) == m]
    if m < 2 or not rows:
        return None
    counts = np.array([[row.count(c) for c in categories] for row in rows], dtype=float)
    n_subjects = counts.shape[0]
    p_j = counts.sum(axis=0) / (n_subjects * m)
    p_i = ((counts * counts).sum(axis=1) - m) / (m * (m - 1))
    p_bar = float(p_i.mean())
    p_e = float((p_j * p_j).sum())
    if p_e >= 1.0:
        return None
    return (p_bar - p_e) / (1 - p_e)


def majority(outcomes: Sequence[int]) -> int:
    """The judges' outcome for one question: the sign of their sum (a split panel is a tie)."""
    total = sum(outcomes)
    return (total > 0) - (total < 0)
