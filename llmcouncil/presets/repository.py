"""Reading and writing saved presets; saving under a name already used replaces that preset."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from llmcouncil.presets.tables import SAVED_PRESETS, SHARED_OWNER
from llmcouncil.store import transactions
from llmcouncil.store.tables import utcnow


@dataclass(frozen=True, slots=True)
class SavedPreset:
    id: str
    shared: bool
    owner: str
    name: str
    description: str
    members: list[str]
    chairman: str
    mode: str | None
    created_by: str
    created_at: datetime
    updated_at: datetime
    reasoning: dict[str, Any]  # StageReasoning's fields that were set ({} for none)

    @property
    def models(self) -> list[str]:
        return list(dict.fromkeys([*self.members, self.chairman]))


@dataclass(frozen=True, slots=True)
class PresetDraft:
    """What a person saves: the council and where it goes (``owner`` unused when shared)."""

    name: str
    members: list[str]
    chairman: str
    shared: bool
    owner: str
    created_by: str
    description: str = ""
    mode: str | None = None
    reasoning: dict[str, Any] = field(default_factory=dict)


def _preset(row: Any) -> SavedPreset:
    values = {k: row[k] for k in SavedPreset.__dataclass_fields__}
    return SavedPreset(**{**values, "reasoning": values["reasoning"] or {}})


def _find(connection: Connection, *, shared: bool, owner: str, name: str) -> SavedPreset | None:
    row = (
        connection.execute(
            select(SAVED_PRESETS).where(
                SAVED_PRESETS.c.shared == shared,
                SAVED_PRESETS.c.owner == owner,
                SAVED_PRESETS.c.name == name,
            )
        )
        .mappings()
        .first()
    )
    return _preset(row) if row is not None else None


async def list_presets(engine: AsyncEngine, *, owner: str) -> list[SavedPreset]:
    """The shared presets, then ``owner``'s own, each by name."""

    def read(connection: Connection) -> list[SavedPreset]:
        rows = connection.execute(
            select(SAVED_PRESETS)
            .where(or_(SAVED_PRESETS.c.shared.is_(True), SAVED_PRESETS.c.owner == owner))
            .order_by(SAVED_PRESETS.c.shared.desc(), SAVED_PRESETS.c.name)
        ).mappings()
        return [_preset(row) for row in rows]

    return await transactions.read(engine, read)


async def get_preset(engine: AsyncEngine, preset_id: str) -> SavedPreset | None:
    def read(connection: Connection) -> SavedPreset | None:
        row = (
            connection.execute(select(SAVED_PRESETS).where(SAVED_PRESETS.c.id == preset_id))
            .mappings()
            .first()
        )
        return _preset(row) if row is not None else None

    return await transactions.read(engine, read)


async def save_preset(engine: AsyncEngine, draft: PresetDraft) -> tuple[SavedPreset, bool]:
    """Insert, or replace the preset of the same name and owner; returns it and whether it
    replaced one."""
    owner = SHARED_OWNER if draft.shared else draft.owner
    values = {
        "description": draft.description,
        "members": list(draft.members),
        "chairman": draft.chairman,
        "mode": draft.mode,
        "reasoning": draft.reasoning or None,
        "created_by": draft.created_by,
    }

    def upsert(connection: Connection) -> tuple[SavedPreset, bool]:
        now = utcnow()
        existing = _find(connection, shared=draft.shared, owner=owner, name=draft.name)
        if existing is not None:
            connection.execute(
                update(SAVED_PRESETS)
                .where(SAVED_PRESETS.c.id == existing.id)
                .values(**values, updated_at=now)
            )
        else:
            connection.execute(
                insert(SAVED_PRESETS).values(
                    id=str(uuid.uuid4()),
                    shared=draft.shared,
                    owner=owner,
                    name=draft.name,
                    created_at=now,
                    updated_at=now,
                    **values,
                )
            )
        saved = _find(connection, shared=draft.shared, owner=owner, name=draft.name)
        assert saved is not None  # written in this transaction
        return saved, existing is not None

    try:
        return await transactions.write(engine, upsert)
    except IntegrityError:  # a concurrent save of the same name inserted first: replace it
        return await transactions.write(engine, upsert)


async def delete_preset(engine: AsyncEngine, preset_id: str) -> bool:
    def remove(connection: Connection) -> bool:
        result = connection.execute(delete(SAVED_PRESETS).where(SAVED_PRESETS.c.id == preset_id))
        return bool(result.rowcount)

    return await transactions.write(engine, remove)
