"""Reading and writing batches and their items (one transaction each)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, exists, func, insert, not_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from llmcouncil.batches.tables import BATCHES, ITEMS
from llmcouncil.errors import NotFoundError
from llmcouncil.store import transactions
from llmcouncil.store.tables import InstanceRow, utcnow

ACTIVE = ("queued", "running")
# complete: every question answered or failed on its own; budget_exhausted: a run was refused
# for the asker's budget and the rest were skipped; failed: the batch itself could not go on.
FINAL = ("complete", "cancelled", "budget_exhausted", "failed")
ITEM_STATUSES = ("pending", "running", "done", "failed", "skipped")


@dataclass(frozen=True, slots=True)
class Batch:
    id: str
    user_id: str | None
    actor: dict[str, Any] | None
    name: str
    preset: str | None
    mode: str | None
    concurrency: int
    status: str
    total: int
    error: str | None
    worker_id: str | None
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


@dataclass(frozen=True, slots=True)
class BatchItem:
    position: int
    question: str
    status: str
    conversation_id: str | None
    run_id: str | None
    answer: str | None
    error: str | None
    cost: float | None
    prompt_tokens: int
    completion_tokens: int
    calls: int
    latency_ms: float | None


@dataclass(frozen=True, slots=True)
class BatchDraft:
    user_id: str | None
    actor: dict[str, Any] | None
    name: str
    preset: str | None
    mode: str | None
    concurrency: int
    questions: list[str]


@dataclass(frozen=True, slots=True)
class ItemResult:
    """What an item's run produced, as the item keeps it."""

    ok: bool
    answer: str | None
    error: str | None
    cost: float | None
    prompt_tokens: int
    completion_tokens: int
    calls: int
    latency_ms: float | None


def _batch(row: Any) -> Batch:
    return Batch(**{k: row[k] for k in Batch.__dataclass_fields__})


def _item(row: Any) -> BatchItem:
    return BatchItem(**{k: row[k] for k in BatchItem.__dataclass_fields__})


class BatchStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def create(self, draft: BatchDraft) -> Batch:
        now = utcnow()
        values: dict[str, Any] = {
            "id": str(uuid.uuid4()),
            "user_id": draft.user_id,
            "actor": draft.actor,
            "name": draft.name[:200],
            "preset": draft.preset,
            "mode": draft.mode,
            "concurrency": draft.concurrency,
            "status": "queued",
            "total": len(draft.questions),
            "error": None,
            "worker_id": None,
            "created_at": now,
            "updated_at": now,
            "started_at": None,
            "finished_at": None,
        }
        items = [
            {
                "batch_id": values["id"],
                "position": position,
                "question": question,
                "status": "pending",
                "prompt_tokens": 0,
                "completion_tokens": 0,
                "calls": 0,
                "updated_at": now,
            }
            for position, question in enumerate(draft.questions)
        ]

        def write(connection: Connection) -> None:
            connection.execute(insert(BATCHES), values)
            connection.execute(insert(ITEMS), items)

        await transactions.write(self.engine, write)
        return _batch(values)

    async def get(self, batch_id: str) -> Batch:
        def read(connection: Connection) -> Batch:
            stmt = select(BATCHES).where(BATCHES.c.id == batch_id)
            row = connection.execute(stmt).mappings().first()
            if row is None:
                raise NotFoundError(f"batch {batch_id} does not exist")
            return _batch(row)

        return await transactions.read(self.engine, read)

    async def of_user(self, *, user_id: str | None = None, limit: int = 200) -> list[Batch]:
        stmt = select(BATCHES).order_by(BATCHES.c.created_at.desc()).limit(limit)
        if user_id is not None:
            stmt = stmt.where(BATCHES.c.user_id == user_id)
        return await transactions.read(
            self.engine, lambda connection: [_batch(r) for r in connection.execute(stmt).mappings()]
        )

    async def unfinished(self) -> list[str]:
        stmt = select(BATCHES.c.id).where(BATCHES.c.status.in_(ACTIVE))
        return await transactions.read(
            self.engine, lambda connection: [str(r) for r in connection.execute(stmt).scalars()]
        )

    async def items(self, batch_id: str) -> list[BatchItem]:
        stmt = select(ITEMS).where(ITEMS.c.batch_id == batch_id).order_by(ITEMS.c.position)
        return await transactions.read(
            self.engine, lambda connection: [_item(r) for r in connection.execute(stmt).mappings()]
        )

    async def counts(self, batch_ids: list[str]) -> dict[str, dict[str, int]]:
        """Items per status of each batch, in one ``GROUP BY``."""
        stmt = (
            select(ITEMS.c.batch_id, ITEMS.c.status, func.count())
            .where(ITEMS.c.batch_id.in_(batch_ids))
            .group_by(ITEMS.c.batch_id, ITEMS.c.status)
        )

        def read(connection: Connection) -> dict[str, dict[str, int]]:
            found: dict[str, dict[str, int]] = {
                b: dict.fromkeys(ITEM_STATUSES, 0) for b in batch_ids
            }
            for batch_id, status, count in connection.execute(stmt):
                found[batch_id][status] = int(count)
            return found

        return await transactions.read(self.engine, read)

    async def claim(self, batch_id: str, *, worker_id: str, lease: float, now: datetime) -> bool:
        """Take the batch for ``worker_id``: when nobody runs it, or its instance is gone (no
        heartbeat within ``lease``). False while another live instance runs it, or when it
        has ended."""
        owner_alive = exists().where(
            InstanceRow.id == BATCHES.c.worker_id,
            InstanceRow.heartbeat_at >= now - timedelta(seconds=lease),
        )
        stmt = (
            update(BATCHES)
            .where(
                BATCHES.c.id == batch_id,
                BATCHES.c.status.in_(ACTIVE),
                or_(
                    BATCHES.c.worker_id.is_(None),
                    BATCHES.c.worker_id == worker_id,
                    not_(owner_alive),
                ),
            )
            .values(
                worker_id=worker_id,
                status="running",
                started_at=func.coalesce(BATCHES.c.started_at, now),
                updated_at=now,
            )
        )
        return await self._changed(stmt) == 1

    async def finish(self, batch_id: str, status: str, *, error: str | None = None) -> bool:
        """End an active batch; False when it had ended already (a cancel came first)."""
        now = utcnow()
        stmt = (
            update(BATCHES)
            .where(BATCHES.c.id == batch_id, BATCHES.c.status.in_(ACTIVE))
            .values(status=status, error=error, updated_at=now, finished_at=now)
        )
        return await self._changed(stmt) == 1

    async def set_item(self, batch_id: str, position: int, **values: Any) -> None:
        stmt = (
            update(ITEMS)
            .where(ITEMS.c.batch_id == batch_id, ITEMS.c.position == position)
            .values(**values, updated_at=utcnow())
        )
        await self._changed(stmt)

    async def item_result(self, batch_id: str, position: int, result: ItemResult) -> None:
        await self.set_item(
            batch_id,
            position,
            status="done" if result.ok else "failed",
            answer=result.answer,
            error=result.error,
            cost=result.cost,
            prompt_tokens=result.prompt_tokens,
            completion_tokens=result.completion_tokens,
            calls=result.calls,
            latency_ms=result.latency_ms,
        )

    async def skip_rest(self, batch_id: str, *, reason: str) -> int:
        """Items not started yet are skipped (a cancel, a used-up budget)."""
        stmt = (
            update(ITEMS)
            .where(ITEMS.c.batch_id == batch_id, ITEMS.c.status == "pending")
            .values(status="skipped", error=reason, updated_at=utcnow())
        )
        return await self._changed(stmt)

    async def _changed(self, statement: Any) -> int:
        def run(connection: Connection) -> int:
            return int(connection.execute(statement).rowcount)

        return await transactions.write(self.engine, run)
