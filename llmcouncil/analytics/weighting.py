"""Reviewer weights from people's votes, for the leaderboards of new runs (off by default).

A reviewer's weight is the share of votes where its top answer was the person's pick, over the
mean share of all reviewers (``agreement_report``'s figure over every vote of the deployment),
kept within the configured bounds, and 1 until the reviewer has ``min_votes`` votes. The run
service reads ``current()`` as it resolves a run's council: a dictionary already in memory, so
the hot path never waits on the database; a background task recomputes it every ``refresh``
seconds. The weights a run used are stored with its council and named in its vote notes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from llmcouncil.analytics import service
from llmcouncil.analytics.queries import AnalyticsFilter
from llmcouncil.analytics.schemas import AgreementReport, ReviewerAgreement
from llmcouncil.analytics.settings import ReviewerWeightingSettings
from llmcouncil.errors import CouncilError

log = logging.getLogger("llmcouncil.analytics")


def weights_from(
    reviewers: Sequence[ReviewerAgreement], settings: ReviewerWeightingSettings
) -> dict[str, float]:
    """The weights to apply: only reviewers with enough votes, within ``[low, high]``."""
    chosen: dict[str, float] = {}
    for row in reviewers:
        if row.weight is None or row.agrees_with_people.n < settings.min_votes:
            continue
        weight = round(min(settings.high, max(settings.low, row.weight)), 4)
        if weight != 1.0:
            chosen[row.model] = weight
    return chosen


def with_applied(
    report: AgreementReport, settings: ReviewerWeightingSettings, applied: dict[str, float]
) -> AgreementReport:
    """The report as the API shows it: whether weighting is on, and each reviewer's weight in
    new runs now (1 for a reviewer without enough votes)."""
    if not settings.enabled:
        return report.model_copy(update={"weighting_enabled": False})
    rows = [
        row.model_copy(update={"applied_weight": applied.get(row.model, 1.0)})
        for row in report.reviewers
    ]
    return report.model_copy(update={"weighting_enabled": True, "reviewers": rows})


class ReviewerWeights:
    """The deployment's current reviewer weights, recomputed in the background."""

    def __init__(self, engine: AsyncEngine, settings: ReviewerWeightingSettings) -> None:
        self._engine = engine
        self._settings = settings
        self._weights: dict[str, float] = {}
        self._task: asyncio.Task[None] | None = None

    @property
    def settings(self) -> ReviewerWeightingSettings:
        return self._settings

    def current(self) -> dict[str, float]:
        """The weights as last computed (a copy); empty before the first refresh or when off."""
        return dict(self._weights) if self._settings.enabled else {}

    async def refresh(self) -> dict[str, float]:
        report = await service.agreement(self._engine, AnalyticsFilter())
        self._weights = weights_from(report.reviewers, self._settings)
        return dict(self._weights)

    def start(self) -> None:
        if self._settings.enabled and self._task is None:
            self._task = asyncio.create_task(self._loop(), name="reviewer-weights")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _loop(self) -> None:
        while True:
            try:
                await self.refresh()
            except (SQLAlchemyError, CouncilError, OSError) as error:
                # The last weights stay in use; the next round tries again.
                log.warning("reviewer weights not refreshed: %s", error)
            await asyncio.sleep(self._settings.refresh)
