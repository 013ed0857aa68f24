"""People against the council: how often the council's top answer is the person's pick, and
which reviewers agree with people most (with the weights an agreement-weighted aggregate would
give them; applying them is off by default). Costs, tokens and latency per model and preset.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import Connection, Table, case, func, select

from llmcouncil.analytics.queries import AnalyticsFilter
from llmcouncil.analytics.schemas import (
    AgreementReport,
    CostsReport,
    Estimate,
    GroupAgreement,
    ModelCostRow,
    PresetCostRow,
    ReviewerAgreement,
)
from llmcouncil.analytics.stats import wilson
from llmcouncil.analytics.tables import ANSWER_FIGURES, REVIEW_FIGURES, RUN_FIGURES
from llmcouncil.feedback.tables import VOTES

Period = Literal["day", "week", "month"]


def _period_start(moment: datetime, period: Period) -> str:
    day = moment.date()
    if period == "week":
        day -= timedelta(days=day.weekday())
    elif period == "month":
        day = day.replace(day=1)
    return day.isoformat()


def agreement_report(
    connection: Connection,
    wanted: AnalyticsFilter,
    *,
    period: Period = "week",
    weighting_enabled: bool = False,
) -> AgreementReport:
    where = wanted.where(VOTES, time="updated_at")
    votes = list(
        connection.execute(
            select(
                VOTES.c.preferred_label,
                VOTES.c.council_top_label,
                VOTES.c.preset,
                VOTES.c.updated_at,
                VOTES.c.rating,
                VOTES.c.council_wrong,
            ).where(where)
        )
    )
    judged = [v for v in votes if v.preferred_label is not None and v.council_top_label]
    hits = sum(1 for v in judged if v.preferred_label == v.council_top_label)
    groups: dict[str | None, list[int]] = defaultdict(lambda: [0, 0])
    times: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for v in judged:
        agreed = int(v.preferred_label == v.council_top_label)
        for bucket in (groups[v.preset], times[_period_start(v.updated_at, period)]):
            bucket[0] += agreed
            bucket[1] += 1
    rated = [v for v in votes if v.rating is not None]
    return AgreementReport(
        filters=wanted.public(),
        votes=len(votes),
        council_top_picked=Estimate.of(wilson(hits, len(judged)), len(judged)),
        by_preset=[
            GroupAgreement(key=k, council_top_picked=Estimate.of(wilson(h, n), n))
            for k, (h, n) in sorted(groups.items(), key=lambda kv: kv[0] or "")
        ],
        over_time=[
            GroupAgreement(key=k, council_top_picked=Estimate.of(wilson(h, n), n))
            for k, (h, n) in sorted(times.items())
        ],
        period=period,
        rated_up=Estimate.of(
            wilson(sum(1 for v in rated if v.rating == "up"), len(rated)), len(rated)
        ),
        council_wrong=Estimate.of(
            wilson(sum(1 for v in votes if v.council_wrong), len(votes)), len(votes)
        ),
        reviewers=_reviewer_agreement(connection, wanted),
        weighting_enabled=weighting_enabled,
    )


def _reviewer_agreement(connection: Connection, wanted: AnalyticsFilter) -> list[ReviewerAgreement]:
    r = REVIEW_FIGURES
    query = (
        select(
            r.c.reviewer,
            func.count(),
            func.sum(case((r.c.top_label == VOTES.c.preferred_label, 1), else_=0)),
        )
        .select_from(VOTES.join(r, r.c.run_id == VOTES.c.run_id))
        .where(wanted.where(VOTES, time="updated_at", model=None))
        .where(VOTES.c.preferred_label.is_not(None), r.c.top_label.is_not(None))
        .group_by(r.c.reviewer)
    )
    rows = [(model, int(n), int(hits or 0)) for model, n, hits in connection.execute(query)]
    rates = [hits / n for _, n, hits in rows if n]
    mean_rate = sum(rates) / len(rates) if rates else 0.0
    found = [
        ReviewerAgreement(
            model=model,
            agrees_with_people=Estimate.of(wilson(hits, n), n),
            weight=(hits / n) / mean_rate if n and mean_rate > 0 else None,
        )
        for model, n, hits in rows
        if wanted.model is None or model == wanted.model
    ]
    found.sort(key=lambda row: -(row.agrees_with_people.value or 0.0))
    return found


def costs_report(connection: Connection, wanted: AnalyticsFilter) -> CostsReport:
    by_model: list[ModelCostRow] = []
    roles: tuple[tuple[Table, str, Role], ...] = (
        (ANSWER_FIGURES, "model", "answer"),
        (REVIEW_FIGURES, "reviewer", "review"),
    )
    for table, column, role in roles:
        model = table.c[column]
        query = (
            select(
                model,
                func.count(),
                func.sum(case((table.c.ok, 0), else_=1)),
                func.sum(table.c.prompt_tokens),
                func.sum(table.c.completion_tokens),
                func.sum(table.c.cost),
                func.avg(table.c.cost),
                func.avg(table.c.latency_ms),
            )
            .where(wanted.where(table, model=column))
            .group_by(model)
        )
        by_model += [_cost_row(row, role) for row in connection.execute(query)]
    runs = RUN_FIGURES
    chair = (
        select(
            runs.c.chairman,
            func.count(),
            func.sum(case((runs.c.chair_ok, 0), else_=1)),
            func.sum(runs.c.chair_prompt_tokens),
            func.sum(runs.c.chair_completion_tokens),
            func.sum(runs.c.chair_cost),
            func.avg(runs.c.chair_cost),
            func.avg(runs.c.chair_latency_ms),
        )
        .where(wanted.where(runs, model="chairman"), runs.c.chairman.is_not(None))
        .group_by(runs.c.chairman)
    )
    by_model += [_cost_row(row, "synthesis") for row in connection.execute(chair)]
    by_model.sort(key=lambda r: (r.model, r.role))
    presets = (
        select(
            runs.c.preset,
            func.count(),
            func.sum(runs.c.prompt_tokens),
            func.sum(runs.c.completion_tokens),
            func.sum(runs.c.cost),
            func.avg(runs.c.cost),
            func.avg(runs.c.duration_ms),
        )
        .where(wanted.where(runs))
        .group_by(runs.c.preset)
    )
    return CostsReport(
        filters=wanted.public(),
        by_model=by_model,
        by_preset=[
            PresetCostRow(
                preset=preset,
                runs=int(n),
                prompt_tokens=int(pt or 0),
                completion_tokens=int(ct or 0),
                cost=_float(cost),
                mean_cost=_float(mean_cost),
                mean_duration_ms=_float(duration),
            )
            for preset, n, pt, ct, cost, mean_cost, duration in connection.execute(presets)
        ],
    )


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


Role = Literal["answer", "review", "synthesis"]


def _cost_row(row: Sequence[Any], role: Role) -> ModelCostRow:
    model, calls, failed, pt, ct, cost, mean_cost, latency = tuple(row)
    return ModelCostRow(
        model=model,
        role=role,
        calls=int(calls),
        failed=int(failed or 0),
        prompt_tokens=int(pt or 0),
        completion_tokens=int(ct or 0),
        cost=_float(cost),
        mean_cost=_float(mean_cost),
        mean_latency_ms=_float(latency),
    )
