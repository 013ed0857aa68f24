"""The filters every analytics query shares, and who may use which.

Members see figures of their own runs only (the user filter is forced to them); administrators
and auditors see everyone's and may filter by user; local single-user mode sees everything.
Each query is one ``GROUP BY`` over one figure table, on the indexed filter columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, true

from llmcouncil.analytics.schemas import AppliedFilters
from llmcouncil.errors import PermissionDeniedError


@dataclass(frozen=True, slots=True)
class AnalyticsFilter:
    preset: str | None = None
    model: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    user_id: str | None = None

    def where(
        self, table: Table, *, time: str = "settled_at", model: str | None = None
    ) -> ColumnElement[bool]:
        """The filter on ``table`` (``model``: the column the model filter applies to)."""
        clauses: list[ColumnElement[bool]] = []
        columns: Any = table.c
        if self.user_id is not None:
            clauses.append(columns.user_id == self.user_id)
        if self.preset is not None:
            clauses.append(columns.preset == self.preset)
        if self.since is not None:
            clauses.append(getattr(columns, time) >= self.since)
        if self.until is not None:
            clauses.append(getattr(columns, time) < self.until)
        if self.model is not None and model is not None:
            clauses.append(getattr(columns, model) == self.model)
        return and_(true(), *clauses)

    def public(self) -> AppliedFilters:
        return AppliedFilters(
            preset=self.preset,
            model=self.model,
            since=self.since,
            until=self.until,
            user_id=self.user_id,
        )


def scoped(
    wanted: AnalyticsFilter, *, caller_id: str | None, sees_everyone: bool
) -> AnalyticsFilter:
    """The filter a caller may use: a member's is always their own runs; asking for another
    user's figures without the right is refused (403)."""
    if sees_everyone:
        return wanted
    if wanted.user_id is not None and wanted.user_id != caller_id:
        raise PermissionDeniedError(
            "only administrators and auditors may see other users' analytics"
        )
    return AnalyticsFilter(
        preset=wanted.preset,
        model=wanted.model,
        since=wanted.since,
        until=wanted.until,
        user_id=caller_id,
    )
