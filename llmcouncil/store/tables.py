"""SQLAlchemy tables. Every change here needs an Alembic migration in ``store/migrations``.

A user message and its run are written together before the first upstream call; each model call
(stage 1 answers, stage 2 reviews, chairman attempts, the title) is a ``model_calls`` row, so usage
and errors are queryable per model; what a stage decided as a whole (label map, aggregate, the
final answer) lives on the run.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes; SQLite drops the zone, so values come back tagged as UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:  # noqa: ARG002
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:  # noqa: ARG002
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class ConversationRow(Base):
    __tablename__ = "conversations"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    title: Mapped[str] = mapped_column(String(300), default="New Conversation")
    preset: Mapped[str | None] = mapped_column(String(100))
    members: Mapped[list[Any] | None] = mapped_column(JSON)
    chairman: Mapped[str | None] = mapped_column(String(300))
    # Effort and output budgets chosen for this council (StageReasoning's set fields), over
    # its preset's; null: the preset's (migration 0014_conversation_reasoning).
    reasoning: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Placeholder → original of this conversation, as one Fernet token (privacy/vault.py).
    pii_vault: Mapped[str | None] = mapped_column(Text)
    # The owner (auth.users.id); None: created in local single-user mode.
    user_id: Mapped[str | None] = mapped_column(String(36), index=True)
    # Where it was started: web, api, cli, v1 (OpenAI-compatible clients) or mcp; the sidebar
    # leaves the last two out unless asked.
    source: Mapped[str] = mapped_column(String(10), default="web", server_default="web")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    messages: Mapped[list[MessageRow]] = relationship(
        back_populates="conversation",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="MessageRow.seq",
    )


class MessageRow(Base):
    """A user's question. The answer is the run that points at it."""

    __tablename__ = "messages"
    __table_args__ = (UniqueConstraint("conversation_id", "seq"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    seq: Mapped[int] = mapped_column(Integer)
    content: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    conversation: Mapped[ConversationRow] = relationship(back_populates="messages")


class RunRow(Base):
    __tablename__ = "runs"
    __table_args__ = (
        UniqueConstraint("conversation_id", "idempotency_key"),
        Index("ix_runs_status", "status"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    message_id: Mapped[str] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(20))
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    seed: Mapped[int] = mapped_column(Integer)
    council: Mapped[dict[str, Any]] = mapped_column(JSON)
    stages_done: Mapped[int] = mapped_column(Integer, default=0)
    label_to_model: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    meta: Mapped[dict[str, Any] | None] = mapped_column("metadata", JSON)
    final: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    simulated: Mapped[bool] = mapped_column(Boolean, default=False)
    worker_id: Mapped[str | None] = mapped_column(String(64))
    # {"policy", "redactions": {entity type: count}}: what the privacy guard did to this run.
    privacy: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Who started the run, for usage accounting; None in local mode.
    user_id: Mapped[str | None] = mapped_column(String(36))
    api_key_id: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()


class ModelCallRow(Base):
    """One model's contribution to a stage: stage 0 is the title, 1 answers, 2 reviews, 3 chair."""

    __tablename__ = "model_calls"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    stage: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer, default=0)
    model: Mapped[str] = mapped_column(String(300))
    answered_by: Mapped[str | None] = mapped_column(String(300))
    fallback_from: Mapped[str | None] = mapped_column(String(300))
    fallback_reason: Mapped[str | None] = mapped_column(Text)
    ok: Mapped[bool] = mapped_column(Boolean)
    text: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    prompt_tokens: Mapped[int] = mapped_column(Integer, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cost: Mapped[float | None] = mapped_column(Float)
    latency_ms: Mapped[float | None] = mapped_column(Float)
    ttft_ms: Mapped[float | None] = mapped_column(Float)
    finish_reason: Mapped[str | None] = mapped_column(String(50))
    simulated: Mapped[bool] = mapped_column(Boolean, default=False)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# The same tables for Core statements (typed as ``Table``, unlike ``__table__``): the run path
# writes and reads through these rather than ORM sessions.
class InstanceRow(Base):
    """A server process on this database, alive while its heartbeat is recent: the runs whose
    ``worker_id`` is its id are executing there (store/instances.py)."""

    __tablename__ = "instances"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    started_at: Mapped[datetime]
    heartbeat_at: Mapped[datetime] = mapped_column(index=True)


CONVERSATIONS = Base.metadata.tables[ConversationRow.__tablename__]
MESSAGES = Base.metadata.tables[MessageRow.__tablename__]
RUNS = Base.metadata.tables[RunRow.__tablename__]
MODEL_CALLS = Base.metadata.tables[ModelCallRow.__tablename__]
