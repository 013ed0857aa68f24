"""The ``run_votes`` table (migration 0005_feedback): one vote per person per run, changeable.

``voter`` is the user's id, or ``local`` in single-user mode and on the command line (the same
person at this machine). A vote keeps what the person was shown: the run's seed, the reviewers'
presentation orders and the label map at the time, and whether the answers were shown
anonymised (``blind``). ``preferred_label`` is the person's top answer (the head of ``ranking``
when they ranked them all); ``council_top_label`` is the council's at the time of the vote.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from llmcouncil.store.tables import Base, utcnow


class VoteRow(Base):
    __tablename__ = "run_votes"
    __table_args__ = (
        UniqueConstraint("run_id", "voter", name="uq_run_votes_run_voter"),
        Index("ix_run_votes_user_updated", "user_id", "updated_at"),
        Index("ix_run_votes_preset_updated", "preset", "updated_at"),
        Index("ix_run_votes_updated_at", "updated_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    conversation_id: Mapped[str] = mapped_column(String(36))
    voter: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str | None] = mapped_column(String(36))
    preferred_label: Mapped[str | None] = mapped_column(String(20))
    preferred_model: Mapped[str | None] = mapped_column(String(300))
    ranking: Mapped[list[Any] | None] = mapped_column(JSON)
    blind: Mapped[bool] = mapped_column(Boolean)
    rating: Mapped[str | None] = mapped_column(String(4))
    comment: Mapped[str | None] = mapped_column(Text)
    council_wrong: Mapped[bool] = mapped_column(Boolean, default=False)
    seed: Mapped[int] = mapped_column(Integer)
    presentation_orders: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    label_to_model: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    council_top_label: Mapped[str | None] = mapped_column(String(20))
    preset: Mapped[str | None] = mapped_column(String(100))
    chairman: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


VOTES = Base.metadata.tables[VoteRow.__tablename__]
