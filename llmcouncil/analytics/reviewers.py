"""Models as reviewers: position, self and length bias, agreement, parse and repair rates.

Each bias is the mean, over a reviewer's counted reviews, of a per-review statistic stored with
the review's figures (``analytics.figures``), with a normal 95 % interval from the count, sum
and sum of squares per reviewer (``analytics.rollups``). Reviews of different runs are
independent, so the interval is honest; it includes 0 for a reviewer without the bias.
"""

from __future__ import annotations

import math

from sqlalchemy import Connection

from llmcouncil.analytics import rollups
from llmcouncil.analytics.answerers import count_runs
from llmcouncil.analytics.queries import AnalyticsFilter
from llmcouncil.analytics.schemas import Estimate, ParseRow, ReviewerRow, ReviewersReport
from llmcouncil.analytics.stats import Z95, Interval, mean_interval, wilson

_MEANS = ("position_rho", "self_delta", "length_rho", "length_tau", "agreement_rho")


def reviewers_report(connection: Connection, wanted: AnalyticsFilter) -> ReviewersReport:
    per_reviewer = rollups.summed(rollups.totals(connection, rollups.REVIEWS, wanted), by=0)
    # The council's length bias: every reviewer's reviews under the same filter, whatever the
    # model filter picks for the rows.
    everyone = {
        key: sum(stats[key] for stats in per_reviewer.values())
        for key in ("length_rho_n", "length_rho_sum", "length_rho_sq")
    }
    council_length = _mean(everyone, "length_rho")
    return ReviewersReport(
        filters=wanted.public(),
        runs=count_runs(connection, wanted),
        reviewers=[
            _row(reviewer, stats, council_length)
            for reviewer, stats in sorted(per_reviewer.items())
            if wanted.model is None or reviewer == wanted.model
        ],
    )


# Correlations (Spearman's rho, Kendall's tau) lie in −1…1, and so do their intervals; the
# self-preference is a difference of ranks, unbounded here.
_CORRELATION = (-1.0, 1.0)


def _mean(stats: dict[str, float], name: str) -> tuple[Interval | None, int]:
    n = int(stats[f"{name}_n"])
    interval = mean_interval(
        n=n,
        total=stats[f"{name}_sum"],
        squares=stats[f"{name}_sq"],
        bounds=None if name == "self_delta" else _CORRELATION,
    )
    return interval, n


def _row(
    reviewer: str, stats: dict[str, float], council_length: tuple[Interval | None, int]
) -> ReviewerRow:
    reviews = int(stats["rows"])
    ok, partial = int(stats["parse_ok"]), int(stats["parse_partial"])
    failed = reviews - ok - partial
    repairs = int(stats["repairs"])
    first_n = int(stats["first_n"])
    estimates = {name: Estimate.of(*_mean(stats, name)) for name in _MEANS}
    length, length_n = _mean(stats, "length_rho")
    return ReviewerRow(
        model=reviewer,
        reviews=reviews,
        counted=int(stats["counted"]),
        position_bias=estimates["position_rho"],
        first_position_top=Estimate.of(wilson(int(stats["first_top"]), first_n), first_n),
        first_position_expected=stats["first_expected_sum"] / first_n if first_n else None,
        self_preference=estimates["self_delta"],
        length_bias=estimates["length_rho"],
        length_bias_kendall=estimates["length_tau"],
        length_bias_vs_council=Estimate.of(_difference(length, council_length[0]), length_n),
        agreement=estimates["agreement_rho"],
        parse=ParseRow(
            ok=ok,
            partial=partial,
            failed=failed,
            failure_rate=Estimate.of(wilson(failed, reviews), reviews),
            repair_rate=Estimate.of(wilson(repairs, reviews), reviews),
            repair_success=Estimate.of(wilson(int(stats["repaired"]), repairs), repairs),
        ),
    )


def _difference(mine: Interval | None, everyone: Interval | None) -> Interval | None:
    """``mine − everyone`` with the two halves combined as if independent (conservative: the
    overall mean contains this reviewer's reviews too)."""
    if mine is None or everyone is None:
        return None
    value = mine.estimate - everyone.estimate
    half = math.hypot(mine.high - mine.estimate, everyone.high - everyone.estimate)
    return Interval(estimate=value, low=value - half, high=value + half)


__all__ = ["Z95", "reviewers_report"]
