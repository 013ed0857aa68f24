"""Tables of the usage ledger and of budgets (migration 0002_governance).

``usage_records`` is the ledger: one row per model call, written when a run settles, keyed by
the ``model_calls`` row it copies, so settling twice records nothing twice; a call made
outside a run (a document's chapter summaries, a background job) has neither run nor
``model_calls`` row and names its document. It has no foreign keys: spending outlives a
deleted conversation. ``budget_usage`` is one counter row per budget,
subject and period; admission reserves on it with a conditional UPDATE, the one statement that
makes concurrent runs see each other's reservations.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from llmcouncil.store.tables import Base, utcnow


class UsageRecordRow(Base):
    __tablename__ = "usage_records"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # The run's call copied; None for a call made outside a run (0016_background_usage).
    model_call_id: Mapped[int | None] = mapped_column(Integer, unique=True)
    run_id: Mapped[str | None] = mapped_column(String(36), index=True)
    # Outside a run: the document the call was for (its chapter summaries).
    document_id: Mapped[str | None] = mapped_column(String(36))
    conversation_id: Mapped[str] = mapped_column(String(36))
    user_id: Mapped[str | None] = mapped_column(String(36), index=True)
    api_key_id: Mapped[str | None] = mapped_column(String(36), index=True)
    stage: Mapped[int] = mapped_column(Integer)
    model: Mapped[str] = mapped_column(String(300))  # the model that received the data
    prompt_tokens: Mapped[int] = mapped_column(Integer, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cost: Mapped[float] = mapped_column(Float, default=0.0)
    cost_source: Mapped[str] = mapped_column(String(12))  # upstream | price_table | unknown
    simulated: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class BudgetRow(Base):
    """A spending limit. ``subject_id`` None: the default for every user (or key) without one
    of its own for the same period."""

    __tablename__ = "budgets"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    subject_type: Mapped[str] = mapped_column(String(10))  # user | key
    subject_id: Mapped[str | None] = mapped_column(String(36), index=True)
    period: Mapped[str] = mapped_column(String(10))  # day | week | month | total
    limit_cost: Mapped[float | None] = mapped_column(Float)
    limit_tokens: Mapped[int | None] = mapped_column(Integer)
    hard: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class BudgetUsageRow(Base):
    __tablename__ = "budget_usage"
    __table_args__ = (UniqueConstraint("budget_id", "subject_id", "period_start"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    budget_id: Mapped[str] = mapped_column(ForeignKey("budgets.id", ondelete="CASCADE"))
    subject_id: Mapped[str] = mapped_column(String(36))
    period_start: Mapped[datetime] = mapped_column()
    spent_cost: Mapped[float] = mapped_column(Float, default=0.0)
    spent_tokens: Mapped[int] = mapped_column(Integer, default=0)
    reserved_cost: Mapped[float] = mapped_column(Float, default=0.0)
    reserved_tokens: Mapped[int] = mapped_column(Integer, default=0)


class ReservationRow(Base):
    """What one admitted run holds on one budget counter until it settles (then deleted)."""

    __tablename__ = "budget_reservations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    admission_id: Mapped[str] = mapped_column(String(36), index=True)
    usage_id: Mapped[int] = mapped_column(ForeignKey("budget_usage.id", ondelete="CASCADE"))
    cost: Mapped[float] = mapped_column(Float, default=0.0)
    tokens: Mapped[int] = mapped_column(Integer, default=0)
    worker_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
