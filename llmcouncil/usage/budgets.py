"""Budgets: which apply to a run, and reserving on them so concurrent runs cannot overspend.

The database is the source of truth. Each (budget, subject, period) has a counter row with what
was spent and what in-flight runs have reserved. Admission is one conditional UPDATE per hard
budget: ``reserved += R WHERE spent + reserved < limit``. The database serialises UPDATEs of a
row (SQLite's write lock; PostgreSQL's row lock, which re-checks the WHERE clause after waiting),
so of N racing runs only as many are admitted as there is unreserved budget for, however the
requests interleave. A run that costs more than its reservation can overshoot by that much;
``usage.reserve_cost`` sets the trade-off. Settling adds the real cost and removes the
reservation in the same transaction that records the calls in the ledger.

A new counter starts from the ledger's sum for its period, so a budget created mid-month counts
what was already spent that month. Defaults (``subject_id`` None) apply to every user (or key)
that has no budget of its own for the same period.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from llmcouncil.usage.ledger import spent_between
from llmcouncil.usage.tables import BudgetRow, BudgetUsageRow, ReservationRow

Period = Literal["day", "week", "month", "total"]
PERIODS: tuple[Period, ...] = ("day", "week", "month", "total")
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def period_bounds(period: str, now: datetime) -> tuple[datetime, datetime | None]:
    """[start, end) of the period containing ``now``, in UTC; ``total`` never ends."""
    now = now.astimezone(UTC)
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "day":
        return day, day + timedelta(days=1)
    if period == "week":
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=7)
    if period == "month":
        start = day.replace(day=1)
        days = calendar.monthrange(start.year, start.month)[1]
        return start, start + timedelta(days=days)
    return EPOCH, None


@dataclass(frozen=True, slots=True)
class Applied:
    """One budget applied to one subject (the user or key of a run)."""

    budget: BudgetRow
    subject_id: str


def applicable(
    budgets: Sequence[BudgetRow], *, user_id: str | None, key_id: str | None
) -> list[Applied]:
    chosen: list[Applied] = []
    for subject_type, subject in (("user", user_id), ("key", key_id)):
        if subject is None:
            continue
        own = [b for b in budgets if b.subject_type == subject_type and b.subject_id == subject]
        own_periods = {b.period for b in own}
        defaults = [
            b
            for b in budgets
            if b.subject_type == subject_type
            and b.subject_id is None
            and b.period not in own_periods
        ]
        chosen += [Applied(budget=b, subject_id=subject) for b in own + defaults]
    # A fixed order of counter updates: two runs never lock the same rows in opposite orders.
    return sorted(chosen, key=lambda a: (a.budget.id, a.subject_id))


def load_budgets(session: Session, *, user_id: str | None, key_id: str | None) -> list[Applied]:
    if user_id is None and key_id is None:
        return []
    subjects = [s for s in (user_id, key_id) if s is not None]
    rows = (
        session.scalars(
            select(BudgetRow).where(
                BudgetRow.subject_id.in_(subjects) | BudgetRow.subject_id.is_(None)
            )
        )
    ).all()
    return applicable(rows, user_id=user_id, key_id=key_id)


@dataclass(slots=True)
class Counter:
    applied: Applied
    usage_id: int
    period_start: datetime
    period_end: datetime | None


def ensure_counters(session: Session, applied: list[Applied], *, now: datetime) -> list[Counter]:
    """The counter row of each applied budget for the current period, created if missing."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    counters = []
    for item in applied:
        start, end = period_bounds(item.budget.period, now)
        spent_cost, spent_tokens = spent_between(
            session,
            subject_type=item.budget.subject_type,
            subject_id=item.subject_id,
            start=start,
            end=end,
        )
        session.execute(
            insert(BudgetUsageRow)
            .values(
                budget_id=item.budget.id,
                subject_id=item.subject_id,
                period_start=start,
                spent_cost=spent_cost,
                spent_tokens=spent_tokens,
                reserved_cost=0.0,
                reserved_tokens=0,
            )
            .on_conflict_do_nothing(index_elements=["budget_id", "subject_id", "period_start"])
        )
        usage_id = session.scalar(
            select(BudgetUsageRow.id).where(
                BudgetUsageRow.budget_id == item.budget.id,
                BudgetUsageRow.subject_id == item.subject_id,
                BudgetUsageRow.period_start == start,
            )
        )
        assert usage_id is not None
        counters.append(Counter(item, int(usage_id), start, end))
    return counters


def try_reserve(
    session: Session, counter: Counter, *, cost: float, tokens: int
) -> tuple[float, int] | None:
    """Reserve on a hard budget while it has unreserved room; what was reserved, or None."""
    budget = counter.applied.budget
    u = BudgetUsageRow
    conditions = [u.id == counter.usage_id]
    values: dict[str, object] = {}
    reserved_cost = cost if budget.limit_cost is not None else 0.0
    reserved_tokens = tokens if budget.limit_tokens is not None else 0
    if budget.limit_cost is not None:
        conditions.append(u.spent_cost + u.reserved_cost < budget.limit_cost)
        values["reserved_cost"] = u.reserved_cost + reserved_cost
    if budget.limit_tokens is not None:
        conditions.append(u.spent_tokens + u.reserved_tokens < budget.limit_tokens)
        values["reserved_tokens"] = u.reserved_tokens + reserved_tokens
    if not values:
        return (0.0, 0)
    result = session.execute(update(u).where(*conditions).values(**values))
    if not getattr(result, "rowcount", 0):
        return None
    return reserved_cost, reserved_tokens


def add_spent(session: Session, counters: list[Counter], *, cost: float, tokens: int) -> None:
    if not cost and not tokens:
        return
    for counter in counters:
        session.execute(
            update(BudgetUsageRow)
            .where(BudgetUsageRow.id == counter.usage_id)
            .values(
                spent_cost=BudgetUsageRow.spent_cost + cost,
                spent_tokens=BudgetUsageRow.spent_tokens + tokens,
            )
        )


def release(session: Session, *, admission_id: str) -> None:
    held = (
        session.scalars(
            select(ReservationRow)
            .where(ReservationRow.admission_id == admission_id)
            .order_by(ReservationRow.usage_id)
        )
    ).all()
    _give_back(session, held)


def release_foreign(session: Session, *, worker_id: str) -> int:
    """Reservations left by other (stopped) processes; the single-process model of runs."""
    held = (
        session.scalars(
            select(ReservationRow)
            .where(ReservationRow.worker_id != worker_id)
            .order_by(ReservationRow.usage_id)
        )
    ).all()
    _give_back(session, held)
    return len(held)


def _give_back(session: Session, held: Sequence[ReservationRow]) -> None:
    for row in held:
        session.execute(
            update(BudgetUsageRow)
            .where(BudgetUsageRow.id == row.usage_id)
            .values(
                reserved_cost=BudgetUsageRow.reserved_cost - row.cost,
                reserved_tokens=BudgetUsageRow.reserved_tokens - row.tokens,
            )
        )
        session.delete(row)
