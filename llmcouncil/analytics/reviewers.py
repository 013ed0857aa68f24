"""Models as reviewers: position, self and length bias, agreement, parse and repair rates.

Each bias is the mean, over a reviewer's counted reviews, of a per-review statistic stored with
the review's figures (``analytics.figures``), with a normal 95 % interval from the count, sum
and sum of squares that one ``GROUP BY reviewer`` returns. Reviews of different runs are
independent, so the interval is honest; it includes 0 for a reviewer without the bias.
"""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import Connection, Float, case, cast, func, select
from sqlalchemy.sql.elements import ColumnElement

from llmcouncil.analytics.answerers import count_runs
from llmcouncil.analytics.queries import AnalyticsFilter
from llmcouncil.analytics.schemas import Estimate, ParseRow, ReviewerRow, ReviewersReport
from llmcouncil.analytics.stats import Z95, Interval, mean_interval, wilson
from llmcouncil.analytics.tables import REVIEW_FIGURES

T = REVIEW_FIGURES
_MEANS = ("position_rho", "self_delta", "length_rho", "length_tau", "agreement_rho")


def _moments(name: str) -> list[ColumnElement[Any]]:
    column = T.c[name]
    value = cast(column, Float)
    return [
        func.count(column).label(f"{name}_n"),
        func.sum(value).label(f"{name}_sum"),
        func.sum(value * value).label(f"{name}_sq"),
    ]


def _flag(condition: ColumnElement[bool], label: str) -> ColumnElement[Any]:
    return func.sum(case((condition, 1), else_=0)).label(label)


def reviewers_report(connection: Connection, wanted: AnalyticsFilter) -> ReviewersReport:
    query = (
        select(
            T.c.reviewer,
            func.count().label("reviews"),
            _flag(T.c.counted != "none", "counted"),
            _flag(T.c.parse_status == "ok", "ok"),
            _flag(T.c.parse_status == "partial", "partial"),
            _flag(T.c.repair_asked, "repairs"),
            _flag(T.c.repair_asked & T.c.repair_ok, "repaired"),
            func.count(T.c.first_shown_top).label("first_n"),
            _flag(T.c.first_shown_top, "first_top"),
            func.sum(
                case((T.c.first_shown_top.is_not(None), 1.0 / func.nullif(T.c.answers - 1, 0)))
            ).label("first_expected_sum"),
            *[moment for name in _MEANS for moment in _moments(name)],
        )
        .where(wanted.where(T, model="reviewer"))
        .group_by(T.c.reviewer)
        .order_by(T.c.reviewer)
    )
    stats = [dict(row._mapping) for row in connection.execute(query)]
    if wanted.model is None:  # every reviewer is here: the council's mean is their sums'
        totals = {
            key: sum(float(s[key] or 0) for s in stats)
            for key in ("length_rho_n", "length_rho_sum", "length_rho_sq")
        }
        council_length = _mean(totals, "length_rho")
    else:
        council_length = _overall_length_bias(connection, wanted)
    return ReviewersReport(
        filters=wanted.public(),
        runs=count_runs(connection, wanted),
        reviewers=[_row(s, council_length) for s in stats],
    )


def _mean(stats: dict[str, Any], name: str) -> tuple[Interval | None, int]:
    n = int(stats[f"{name}_n"] or 0)  # (a float when summed over reviewers)
    interval = mean_interval(
        n=n, total=float(stats[f"{name}_sum"] or 0), squares=float(stats[f"{name}_sq"] or 0)
    )
    return interval, n


def _row(stats: dict[str, Any], council_length: tuple[Interval | None, int]) -> ReviewerRow:
    reviews = int(stats["reviews"])
    ok, partial = int(stats["ok"] or 0), int(stats["partial"] or 0)
    failed = reviews - ok - partial
    repairs = int(stats["repairs"] or 0)
    first_n = int(stats["first_n"] or 0)
    estimates = {name: Estimate.of(*_mean(stats, name)) for name in _MEANS}
    length, length_n = _mean(stats, "length_rho")
    return ReviewerRow(
        model=stats["reviewer"],
        reviews=reviews,
        counted=int(stats["counted"] or 0),
        position_bias=estimates["position_rho"],
        first_position_top=Estimate.of(wilson(int(stats["first_top"] or 0), first_n), first_n),
        first_position_expected=float(stats["first_expected_sum"] or 0) / first_n
        if first_n
        else None,
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
            repair_success=Estimate.of(wilson(int(stats["repaired"] or 0), repairs), repairs),
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


def _overall_length_bias(
    connection: Connection, wanted: AnalyticsFilter
) -> tuple[Interval | None, int]:
    everyone = AnalyticsFilter(
        preset=wanted.preset, since=wanted.since, until=wanted.until, user_id=wanted.user_id
    )
    query = select(*_moments("length_rho")).where(everyone.where(T))
    row = dict(connection.execute(query).one()._mapping)
    return _mean(row, "length_rho")


__all__ = ["Z95", "reviewers_report"]
