"""Usage accounting, budgets and rate limits behind one object the server holds for its life.

``admit`` runs before a run's write-ahead and either reserves on every hard budget or refuses
with ``BudgetExceededError`` (HTTP 402); ``settle`` runs when the run ends (and again for late
answers) and moves the run from reserved to spent in the transaction that writes the ledger.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import Session

from llmcouncil.auth.ratelimit import RateLimiter
from llmcouncil.errors import BudgetExceededError, NotFoundError, RateLimitExceededError
from llmcouncil.records import CallRecord
from llmcouncil.store import transactions
from llmcouncil.store.tables import utcnow
from llmcouncil.usage import budgets as budget_rules
from llmcouncil.usage.budgets import Counter, period_bounds
from llmcouncil.usage.ledger import (
    GroupBy,
    Recorded,
    record_background_calls,
    record_run_calls,
    run_attribution,
    unsettled_runs,
    usage_summary,
)
from llmcouncil.usage.settings import UsageSettings
from llmcouncil.usage.tables import BudgetRow, BudgetUsageRow, ReservationRow

LimitKind = Literal["requests", "runs"]
_PERIOD_NAMES = {"day": "daily", "week": "weekly", "month": "monthly", "total": "total"}


@dataclass(slots=True)
class Admission:
    id: str
    warnings: list[str] = field(default_factory=list)
    reserved: bool = False  # False: nothing to give back on release or settle


class UsageService:
    def __init__(
        self,
        engine: AsyncEngine,
        *,
        settings: UsageSettings,
        limiter: RateLimiter,
        worker_id: str,
    ) -> None:
        self._engine = engine
        self.settings = settings
        self.limiter = limiter
        self.worker_id = worker_id

    # rate limits --------------------------------------------------------------------------

    async def check_rate(
        self,
        kind: LimitKind,
        *,
        user_id: str | None,
        key_id: str | None = None,
        user_limits: dict[str, Any] | None = None,
        key_limits: dict[str, Any] | None = None,
    ) -> None:
        """Count one request (or run) against the user's limit, and the key's when it has
        one of its own; refuse with 429 and Retry-After past either."""
        name = f"{kind}_per_minute"
        default = getattr(self.settings.rate_limits, name)
        checks: list[tuple[str, int | None, str]] = []
        if user_id is not None:
            per_minute = (user_limits or {}).get(name, default)
            checks.append((f"{kind}:user:{user_id}", per_minute, "your"))
        if key_id is not None and key_limits and name in key_limits:
            checks.append((f"{kind}:key:{key_id}", key_limits[name], "this API key's"))
        for key, per_minute, whose in checks:
            if not per_minute:
                continue
            retry_after = await self.limiter.hit(key, per_minute=int(per_minute))
            if retry_after is not None:
                what = "council runs" if kind == "runs" else "requests"
                raise RateLimitExceededError(
                    f"{whose} limit of {per_minute} {what} per minute is reached; "
                    f"retry in {retry_after:.0f} s",
                    retry_after=retry_after,
                )

    # admission and settlement ---------------------------------------------------------------

    async def admit(self, *, user_id: str | None, key_id: str | None) -> Admission:
        admission = Admission(id=str(uuid.uuid4()))
        if user_id is None and key_id is None:
            return admission
        now = utcnow()
        applied = await transactions.read_session(
            self._engine,
            lambda session: budget_rules.load_budgets(session, user_id=user_id, key_id=key_id),
        )
        if not applied:
            return admission

        def reserve(session: Session) -> None:
            counters = budget_rules.ensure_counters(session, applied, now=now)
            for counter in counters:
                budget = counter.applied.budget
                if not budget.hard:
                    warning = self._soft_warning(session, counter)
                    if warning:
                        admission.warnings.append(warning)
                    continue
                held = budget_rules.try_reserve(
                    session,
                    counter,
                    cost=self.settings.reserve_cost,
                    tokens=self.settings.reserve_tokens,
                )
                if held is None:
                    raise BudgetExceededError(self._refusal(session, counter))
                admission.reserved = True
                session.add(
                    ReservationRow(
                        admission_id=admission.id,
                        usage_id=counter.usage_id,
                        cost=held[0],
                        tokens=held[1],
                        worker_id=self.worker_id,
                    )
                )

        await transactions.write_session(self._engine, reserve)
        return admission

    async def release(self, admission: Admission) -> None:
        await transactions.write_session(
            self._engine, lambda session: budget_rules.release(session, admission_id=admission.id)
        )

    async def settle(
        self,
        run_id: str,
        *,
        admission: Admission | None,
        attribution: tuple[str | None, str | None] | None = None,
    ) -> Recorded:
        """``attribution``: the run's (user, key) when the caller has read the run already."""

        def record(session: Session) -> Recorded:
            user_id, key_id = attribution or run_attribution(session, run_id)
            applied = budget_rules.load_budgets(session, user_id=user_id, key_id=key_id)
            counters = budget_rules.ensure_counters(session, applied, now=utcnow())
            recorded = record_run_calls(
                session, run_id=run_id, settings=self.settings, attribution=(user_id, key_id)
            )
            budget_rules.add_spent(session, counters, cost=recorded.cost, tokens=recorded.tokens)
            if admission is not None and admission.reserved:
                budget_rules.release(session, admission_id=admission.id)
            return recorded

        return await transactions.write_session(self._engine, record)

    async def charge_calls(
        self,
        calls: Sequence[CallRecord],
        *,
        admission: Admission | None,
        user_id: str | None,
        conversation_id: str,
        document_id: str,
    ) -> Recorded:
        """Calls made outside a run, for ``document_id``: in the ledger and on ``user_id``'s
        budgets, as a run's calls are when it settles; ``admission`` given back."""

        def record(session: Session) -> Recorded:
            applied = budget_rules.load_budgets(session, user_id=user_id, key_id=None)
            counters = budget_rules.ensure_counters(session, applied, now=utcnow())
            recorded = record_background_calls(
                session,
                calls,
                settings=self.settings,
                conversation_id=conversation_id,
                document_id=document_id,
                user_id=user_id,
            )
            budget_rules.add_spent(session, counters, cost=recorded.cost, tokens=recorded.tokens)
            if admission is not None and admission.reserved:
                budget_rules.release(session, admission_id=admission.id)
            return recorded

        return await transactions.write_session(self._engine, record)

    async def recover(self) -> tuple[int, int]:
        """At start-up: free what stopped processes reserved, and settle their runs."""
        released = await transactions.write_session(
            self._engine,
            lambda session: budget_rules.release_foreign(session, worker_id=self.worker_id),
        )
        runs = await transactions.read_session(self._engine, unsettled_runs)
        for run_id in runs:
            await self.settle(run_id, admission=None)
        return released, len(runs)

    def _refusal(self, session: Session, counter: Counter) -> str:
        row = session.get(BudgetUsageRow, counter.usage_id, populate_existing=True)
        budget = counter.applied.budget
        whose = "your" if budget.subject_type == "user" else "this API key's"
        renews = (
            f"; it renews {counter.period_end:%Y-%m-%d %H:%M} UTC" if counter.period_end else ""
        )
        return (
            f"{whose} {_PERIOD_NAMES[budget.period]} budget is used up: "
            f"{_amounts(budget, row)}{renews}. Ask an administrator to raise it."
        )

    def _soft_warning(self, session: Session, counter: Counter) -> str | None:
        row = session.get(BudgetUsageRow, counter.usage_id, populate_existing=True)
        budget = counter.applied.budget
        if row is None or not _reached(budget, row):
            return None
        whose = "your" if budget.subject_type == "user" else "this API key's"
        return (
            f"{whose} {_PERIOD_NAMES[budget.period]} soft budget is exceeded: "
            f"{_amounts(budget, row)}"
        )

    # budgets ------------------------------------------------------------------------------

    async def list_budgets(self) -> list[BudgetRow]:
        return await transactions.read_session(
            self._engine,
            lambda session: list(session.scalars(select(BudgetRow).order_by(BudgetRow.created_at))),
        )

    async def set_budget(
        self,
        *,
        subject_type: str,
        subject_id: str | None,
        period: str,
        limit_cost: float | None,
        limit_tokens: int | None,
        hard: bool,
    ) -> BudgetRow:
        """Create the budget for (subject, period), or change the one that exists."""

        def put(session: Session) -> BudgetRow:
            row = session.scalar(
                select(BudgetRow).where(
                    BudgetRow.subject_type == subject_type,
                    BudgetRow.subject_id.is_(None)
                    if subject_id is None
                    else BudgetRow.subject_id == subject_id,
                    BudgetRow.period == period,
                )
            )
            if row is None:
                row = BudgetRow(
                    id=str(uuid.uuid4()),
                    subject_type=subject_type,
                    subject_id=subject_id,
                    period=period,
                )
                session.add(row)
            row.limit_cost, row.limit_tokens, row.hard = limit_cost, limit_tokens, hard
            return row

        return await transactions.write_session(self._engine, put)

    async def delete_budget(self, budget_id: str) -> BudgetRow:
        def remove(session: Session) -> BudgetRow:
            row = session.get(BudgetRow, budget_id)
            if row is None:
                raise NotFoundError(f"budget {budget_id} does not exist")
            session.execute(delete(BudgetRow).where(BudgetRow.id == budget_id))
            return row

        return await transactions.write_session(self._engine, remove)

    async def budget_status(
        self, *, user_id: str | None, key_id: str | None
    ) -> list[dict[str, Any]]:
        """Every budget that applies to this user (and key), with the current period's figures."""
        now = utcnow()

        def status(session: Session) -> list[dict[str, Any]]:
            applied = budget_rules.load_budgets(session, user_id=user_id, key_id=key_id)
            counters = budget_rules.ensure_counters(session, applied, now=now)
            out = []
            for counter in counters:
                row = session.get(BudgetUsageRow, counter.usage_id)
                out.append(budget_public(counter.applied.budget, row, counter, now=now))
            return out

        return await transactions.write_session(self._engine, status)

    async def summary(self, *, group_by: GroupBy, **filters: Any) -> list[dict[str, Any]]:
        return await transactions.read_session(
            self._engine, lambda session: usage_summary(session, group_by=group_by, **filters)
        )


def budget_public(
    budget: BudgetRow,
    row: BudgetUsageRow | None = None,
    counter: Counter | None = None,
    *,
    now: datetime | None = None,
) -> dict[str, Any]:
    start, end = period_bounds(budget.period, now or utcnow())
    out: dict[str, Any] = {
        "id": budget.id,
        "subject_type": budget.subject_type,
        "subject_id": budget.subject_id,
        "applies_to": counter.applied.subject_id if counter else budget.subject_id,
        "period": budget.period,
        "limit_cost": budget.limit_cost,
        "limit_tokens": budget.limit_tokens,
        "hard": budget.hard,
    }
    if row is not None:
        out.update(
            period_start=start.isoformat(),
            period_end=end.isoformat() if end else None,
            spent_cost=round(row.spent_cost, 10),
            spent_tokens=row.spent_tokens,
            reserved_cost=round(max(row.reserved_cost, 0.0), 10),
            reserved_tokens=max(row.reserved_tokens, 0),
            exceeded=_reached(budget, row),
        )
    return out


def _reached(budget: BudgetRow, row: BudgetUsageRow) -> bool:
    return (
        budget.limit_cost is not None and row.spent_cost + row.reserved_cost >= budget.limit_cost
    ) or (
        budget.limit_tokens is not None
        and row.spent_tokens + row.reserved_tokens >= budget.limit_tokens
    )


def _amounts(budget: BudgetRow, row: BudgetUsageRow | None) -> str:
    spent_cost = row.spent_cost if row else 0.0
    spent_tokens = row.spent_tokens if row else 0
    held_cost = max(row.reserved_cost, 0.0) if row else 0.0
    parts = []
    if budget.limit_cost is not None:
        parts.append(
            f"{spent_cost:.4f} of {budget.limit_cost:.4f} spent"
            + (f" and {held_cost:.4f} held by runs in progress" if held_cost > 1e-9 else "")
        )
    if budget.limit_tokens is not None:
        parts.append(f"{spent_tokens} of {budget.limit_tokens} tokens")
    return ", ".join(parts)
