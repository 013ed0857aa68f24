"""Analytics across runs: ``GET /api/analytics/{models,reviewers,agreement,costs}``.

Everyone with the ``usage`` scope may ask: members get figures of their own runs only,
administrators and auditors everyone's (and may filter by ``user_id``). Every figure carries its
sample size and a ``small_sample`` flag; no report holds prompt, answer or comment text.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from llmcouncil.analytics import service
from llmcouncil.analytics.people import Period
from llmcouncil.analytics.queries import AnalyticsFilter, scoped
from llmcouncil.analytics.schemas import (
    AgreementReport,
    CostsReport,
    ModelsReport,
    ReviewersReport,
)
from llmcouncil.analytics.weighting import with_applied
from llmcouncil.api.deps import RuntimeDep
from llmcouncil.api.guards import UsageReader
from llmcouncil.api.schemas import ErrorBody

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "Not signed in"},
    403: {"model": ErrorBody, "description": "Missing scope, or another user's figures"},
    422: {"model": ErrorBody, "description": "Invalid filter"},
}
router = APIRouter(prefix="/api/analytics", tags=["analytics"], responses=ERRORS)


async def _filters(
    principal: UsageReader,
    preset: Annotated[str | None, Query(max_length=100)] = None,
    model: Annotated[str | None, Query(max_length=300)] = None,
    since: Annotated[datetime | None, Query(description="From (inclusive), ISO 8601")] = None,
    until: Annotated[datetime | None, Query(description="To (exclusive), ISO 8601")] = None,
    user_id: Annotated[
        str | None, Query(max_length=36, description="Administrators and auditors only")
    ] = None,
) -> AnalyticsFilter:
    return scoped(
        AnalyticsFilter(
            preset=preset, model=model, since=_utc(since), until=_utc(until), user_id=user_id
        ),
        caller_id=principal.user_id,
        sees_everyone=principal.sees_all_usage,
    )


def _utc(moment: datetime | None) -> datetime | None:
    """A time given without a zone is UTC, as everywhere in the API."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


Filters = Annotated[AnalyticsFilter, Depends(_filters)]


@router.get("/models", response_model=ModelsReport)
async def models(runtime: RuntimeDep, wanted: Filters) -> ModelsReport:
    """Per model as answerer: Bradley–Terry strength from peer reviews (bootstrap over runs, or
    Wald at scale: see ``interval_method``), length-controlled, and from people's votes; win
    rate, top rate, how often people picked it; per chairman, how often its synthesis was
    rated up."""
    return await service.models(runtime.store.engine, wanted)


@router.get("/reviewers", response_model=ReviewersReport)
async def reviewers(runtime: RuntimeDep, wanted: Filters) -> ReviewersReport:
    """Per model as reviewer: position, self and length bias, agreement with the other
    reviewers, parse failure and repair rates."""
    return await service.reviewers(runtime.store.engine, wanted)


@router.get("/agreement", response_model=AgreementReport)
async def agreement(
    runtime: RuntimeDep,
    wanted: Filters,
    period: Annotated[Period, Query(description="Buckets of over_time")] = "week",
) -> AgreementReport:
    """People against the council: how often the council's top answer is the person's pick
    (Wilson interval), per preset and over time; which reviewers agree with people most."""
    report = await service.agreement(runtime.store.engine, wanted, period=period)
    weights = runtime.reviewer_weights
    if weights is None:
        return report
    return with_applied(report, weights.settings, weights.current())


@router.get("/costs", response_model=CostsReport)
async def costs(runtime: RuntimeDep, wanted: Filters) -> CostsReport:
    """Calls, tokens, cost and latency per model (as answerer, reviewer and chairman) and per
    preset."""
    return await service.costs(runtime.store.engine, wanted)
