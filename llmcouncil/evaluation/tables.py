"""The ``evaluations`` and ``evaluation_tasks`` tables (migration 0008_evaluations).

An evaluation keeps its dataset, strategies, judges and options, so it can be resumed from the
database alone. Each call it makes (a strategy answering a question, a judge reading a pair in
one order) is a task keyed within its evaluation (``answer:12:council``,
``judge:12:select:<judge>:ab``): written with its run's id before the run starts and with its
result when it ends, so a resumed evaluation repeats no finished call and picks up a started
run where the run machinery left it. ``fingerprint`` (strategy and question) finds an answer
another evaluation already paid for (``--reuse``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from llmcouncil.store.tables import Base, utcnow


class EvaluationRow(Base):
    __tablename__ = "evaluations"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), index=True)
    user_id: Mapped[str | None] = mapped_column(String(36), index=True)
    preset: Mapped[str | None] = mapped_column(String(100))
    strategies: Mapped[list[Any]] = mapped_column()
    judges: Mapped[list[Any]] = mapped_column()
    items: Mapped[list[Any]] = mapped_column()
    options: Mapped[dict[str, Any]] = mapped_column()
    simulated: Mapped[bool] = mapped_column(default=False)
    report: Mapped[dict[str, Any] | None] = mapped_column()
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()
    # The instance running it (store/instances.py): while that instance's heartbeat is recent,
    # no other interrupts or resumes it (migration 0012_evaluation_workers).
    worker_id: Mapped[str | None] = mapped_column(String(64))


class EvaluationTaskRow(Base):
    __tablename__ = "evaluation_tasks"
    __table_args__ = (
        UniqueConstraint("evaluation_id", "key", name="uq_evaluation_tasks_key"),
        Index("ix_evaluation_tasks_fingerprint", "fingerprint"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    evaluation_id: Mapped[str] = mapped_column(
        ForeignKey("evaluations.id", ondelete="CASCADE"), index=True
    )
    key: Mapped[str] = mapped_column(String(400))
    kind: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(20))
    run_id: Mapped[str | None] = mapped_column(String(36))
    conversation_id: Mapped[str | None] = mapped_column(String(36))
    fingerprint: Mapped[str | None] = mapped_column(String(64))
    result: Mapped[dict[str, Any] | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


EVALUATIONS = Base.metadata.tables[EvaluationRow.__tablename__]
TASKS = Base.metadata.tables[EvaluationTaskRow.__tablename__]
