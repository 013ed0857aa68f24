"""People against the council: how often the council's top answer is the person's pick, and
which reviewers agree with people most (with the weights an agreement-weighted aggregate would
give them; applying them is off by default). Costs, tokens and latency per model and preset.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import Connection, case, func, select

from llmcouncil.analytics import rollups
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
from llmcouncil.analytics.tables import REVIEW_FIGURES
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
    roles: tuple[tuple[rollups.Rollup, str, Role], ...] = (
        (rollups.ANSWERS, "model", "answer"),
        (rollups.REVIEWS, "reviewer", "review"),
    )
    for rollup, column, role in roles:
        groups = rollups.totals(connection, rollup, wanted, model_key=column)
        by_model += [
            _cost_row(model, role, sums) for model, sums in rollups.summed(groups, by=0).items()
        ]
    runs = rollups.totals(connection, rollups.RUNS, wanted)
    by_model += [
        _cost_row(chairman, "synthesis", sums, prefix="chair_")
        for chairman, sums in rollups.summed(runs, by=0).items()
        if chairman and (wanted.model is None or chairman == wanted.model)  # '': no chairman
    ]
    by_model.sort(key=lambda r: (r.model, r.role))
    presets = rollups.summed(runs)
    return CostsReport(
        filters=wanted.public(),
        by_model=by_model,
        by_preset=[
            PresetCostRow(
                preset=preset,
                runs=int(s["rows"]),
                prompt_tokens=int(s["prompt_tokens"]),
                completion_tokens=int(s["completion_tokens"]),
                cost=s["cost_sum"] if s["cost_n"] else None,
                mean_cost=s["cost_sum"] / s["cost_n"] if s["cost_n"] else None,
                mean_duration_ms=s["duration_sum"] / s["duration_n"] if s["duration_n"] else None,
            )
            for preset, s in sorted(
                presets.items(), key=lambda kv: (kv[0] is not None, kv[0] or "")
            )
        ],
    )


Role = Literal["answer", "review", "synthesis"]


def _cost_row(model: str, role: Role, sums: dict[str, float], *, prefix: str = "") -> ModelCostRow:
    """One model's row from its calls' sums (``prefix``: the chairman's among a run's)."""
    cost_n, latency_n = sums[f"{prefix}cost_n"], sums[f"{prefix}latency_n"]
    cost = sums[f"{prefix}cost_sum"]
    return ModelCostRow(
        model=model,
        role=role,
        calls=int(sums["rows"]),
        failed=int(sums[f"{prefix}failed"]),
        prompt_tokens=int(sums[f"{prefix}prompt_tokens"]),
        completion_tokens=int(sums[f"{prefix}completion_tokens"]),
        cost=cost if cost_n else None,
        mean_cost=cost / cost_n if cost_n else None,
        mean_latency_ms=sums[f"{prefix}latency_sum"] / latency_n if latency_n else None,
    )
