"""The analytics reports, each one read transaction over the per-run figure tables."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from llmcouncil.analytics.answerers import models_report
from llmcouncil.analytics.people import Period, agreement_report, costs_report
from llmcouncil.analytics.queries import AnalyticsFilter
from llmcouncil.analytics.reviewers import reviewers_report
from llmcouncil.analytics.schemas import (
    AgreementReport,
    CostsReport,
    ModelsReport,
    ReviewersReport,
)
from llmcouncil.store import transactions


async def models(engine: AsyncEngine, wanted: AnalyticsFilter) -> ModelsReport:
    return await transactions.read(engine, lambda c: models_report(c, wanted))


async def reviewers(engine: AsyncEngine, wanted: AnalyticsFilter) -> ReviewersReport:
    return await transactions.read(engine, lambda c: reviewers_report(c, wanted))


async def agreement(
    engine: AsyncEngine, wanted: AnalyticsFilter, *, period: Period = "week"
) -> AgreementReport:
    return await transactions.read(engine, lambda c: agreement_report(c, wanted, period=period))


async def costs(engine: AsyncEngine, wanted: AnalyticsFilter) -> CostsReport:
    return await transactions.read(engine, lambda c: costs_report(c, wanted))
