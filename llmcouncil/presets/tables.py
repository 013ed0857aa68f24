"""The ``saved_presets`` table (migration 0007_saved_presets).

A personal preset belongs to one person (``owner`` is the user's id, or ``local`` in single-user
mode); a shared one (``shared``) is kept by administrators for everyone, with an empty
``owner``. Names are unique within one owner's presets and among the shared ones. ``mode`` is
stored as given: deliberation modes are read elsewhere. ``reasoning`` holds effort and output
budgets per stage and per model, as a configured preset's ``reasoning`` (``StageReasoning``,
only what was set; migration 0013_saved_preset_reasoning).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from llmcouncil.store.tables import Base, utcnow

SHARED_OWNER = ""


class SavedPresetRow(Base):
    __tablename__ = "saved_presets"
    __table_args__ = (
        UniqueConstraint("shared", "owner", "name", name="uq_saved_presets_owner_name"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    shared: Mapped[bool] = mapped_column(Boolean)
    owner: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(String(500), default="")
    members: Mapped[list[Any]] = mapped_column()
    chairman: Mapped[str] = mapped_column(String(300))
    mode: Mapped[str | None] = mapped_column(String(50))
    reasoning: Mapped[dict[str, Any] | None] = mapped_column()
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


SAVED_PRESETS = Base.metadata.tables[SavedPresetRow.__tablename__]
