"""Reading and writing votes: one row per (run, voter), replaced in place when changed."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from llmcouncil.feedback.tables import VOTES, VoteRow
from llmcouncil.store import transactions
from llmcouncil.store.tables import utcnow


def _find(connection: Connection, run_id: str, voter: str) -> VoteRow | None:
    row = (
        connection.execute(select(VOTES).where(VOTES.c.run_id == run_id, VOTES.c.voter == voter))
        .mappings()
        .first()
    )
    return VoteRow(**row) if row is not None else None


async def find_vote(engine: AsyncEngine, *, run_id: str, voter: str) -> VoteRow | None:
    return await transactions.read(engine, lambda c: _find(c, run_id, voter))


async def save_vote(
    engine: AsyncEngine, *, run_id: str, voter: str, values: dict[str, Any]
) -> tuple[VoteRow, bool]:
    """Insert or replace the voter's vote on the run; returns it and whether it replaced one."""

    def upsert(connection: Connection) -> tuple[VoteRow, bool]:
        now = utcnow()
        existing = _find(connection, run_id, voter)
        if existing is not None:
            connection.execute(
                update(VOTES).where(VOTES.c.id == existing.id).values(**values, updated_at=now)
            )
        else:
            connection.execute(
                insert(VOTES).values(
                    id=str(uuid.uuid4()),
                    run_id=run_id,
                    voter=voter,
                    created_at=now,
                    updated_at=now,
                    **values,
                )
            )
        saved = _find(connection, run_id, voter)
        assert saved is not None  # written in this transaction
        return saved, existing is not None

    try:
        return await transactions.write(engine, upsert)
    except IntegrityError:
        # The same person's other request inserted first: this one replaces it.
        return await transactions.write(engine, upsert)


async def delete_vote(engine: AsyncEngine, *, run_id: str, voter: str) -> bool:
    def remove(connection: Connection) -> bool:
        result = connection.execute(
            delete(VOTES).where(VOTES.c.run_id == run_id, VOTES.c.voter == voter)
        )
        return bool(result.rowcount)

    return await transactions.write(engine, remove)
