"""The audit log table (migration 0002_governance).

``seq`` is assigned by the writer (previous + 1), and both ``seq`` and ``prev_hash`` are unique,
so two writers racing for the same position cannot both succeed: the chain cannot fork.
``created_at`` is kept as the exact ISO string that was hashed, and ``details`` as the exact
canonical JSON, so verification recomputes the hash from what is stored, byte for byte.
"""

from __future__ import annotations

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from llmcouncil.store.tables import Base


class AuditRow(Base):
    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    created_at: Mapped[str] = mapped_column(String(32), index=True)
    action: Mapped[str] = mapped_column(String(50), index=True)
    outcome: Mapped[str] = mapped_column(String(20))
    actor_user_id: Mapped[str | None] = mapped_column(String(36), index=True)
    actor_name: Mapped[str | None] = mapped_column(String(200))
    actor_key_id: Mapped[str | None] = mapped_column(String(36))
    actor_ip: Mapped[str | None] = mapped_column(String(64))
    target: Mapped[str | None] = mapped_column(String(300))
    details: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)
