"""Reading and writing evaluations and their tasks (one transaction each).

An active evaluation belongs to the instance running it (``worker_id``), as a run does
(store/instances.py): ``claim`` takes it for an instance unless another live one runs it, and
``interrupt_orphaned`` marks interrupted only those whose instance is gone, so a server starting
beside others never stops their work.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, not_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from llmcouncil.errors import ConflictError, NotFoundError
from llmcouncil.evaluation.tables import EVALUATIONS, TASKS
from llmcouncil.store import transactions
from llmcouncil.store.instances import instance_alive
from llmcouncil.store.tables import utcnow

ACTIVE = ("pending", "running")


@dataclass(frozen=True, slots=True)
class Evaluation:
    id: str
    name: str
    status: str
    user_id: str | None
    preset: str | None
    strategies: list[str]
    judges: list[str]
    items: list[dict[str, Any]]
    options: dict[str, Any]
    simulated: bool
    report: dict[str, Any] | None
    error: str | None
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None
    worker_id: str | None = None  # the instance running it, while active


@dataclass(frozen=True, slots=True)
class Task:
    key: str
    kind: str
    status: str
    run_id: str | None
    conversation_id: str | None
    fingerprint: str | None
    result: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class EvaluationDraft:
    name: str
    user_id: str | None
    preset: str | None
    strategies: list[str]
    judges: list[str]
    items: list[dict[str, Any]]
    options: dict[str, Any]
    simulated: bool
    worker_id: str | None = None  # the instance creating it, which runs it next


def _evaluation(row: Any) -> Evaluation:
    return Evaluation(**{k: row[k] for k in Evaluation.__dataclass_fields__})


class EvaluationStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def create(self, draft: EvaluationDraft) -> Evaluation:
        now = utcnow()
        values: dict[str, Any] = {
            "id": str(uuid.uuid4()),
            "name": draft.name[:200],
            "status": "pending",
            "user_id": draft.user_id,
            "preset": draft.preset,
            "strategies": draft.strategies,
            "judges": draft.judges,
            "items": draft.items,
            "options": draft.options,
            "simulated": draft.simulated,
            "report": None,
            "error": None,
            "created_at": now,
            "updated_at": now,
            "finished_at": None,
            "worker_id": draft.worker_id,
        }
        await transactions.write(
            self.engine, lambda connection: connection.execute(insert(EVALUATIONS), values)
        )
        return _evaluation(values)

    async def get(self, evaluation_id: str) -> Evaluation:
        def read(connection: Connection) -> Evaluation:
            row = (
                connection.execute(select(EVALUATIONS).where(EVALUATIONS.c.id == evaluation_id))
                .mappings()
                .first()
            )
            if row is None:
                raise NotFoundError(f"evaluation {evaluation_id} does not exist")
            return _evaluation(row)

        return await transactions.read(self.engine, read)

    async def list(self, *, user_id: str | None = None, limit: int = 200) -> list[Evaluation]:
        stmt = select(EVALUATIONS).order_by(EVALUATIONS.c.created_at.desc()).limit(limit)
        if user_id is not None:
            stmt = stmt.where(EVALUATIONS.c.user_id == user_id)
        return await transactions.read(
            self.engine,
            lambda connection: [_evaluation(r) for r in connection.execute(stmt).mappings()],
        )

    async def set_status(
        self,
        evaluation_id: str,
        status: str,
        *,
        error: str | None = None,
        report: dict[str, Any] | None = None,
    ) -> None:
        now = utcnow()
        values: dict[str, Any] = {"status": status, "updated_at": now, "error": error}
        if report is not None:
            values["report"] = report
        if status not in ACTIVE:
            values["finished_at"] = now
        stmt = update(EVALUATIONS).where(EVALUATIONS.c.id == evaluation_id).values(**values)
        await transactions.write(self.engine, lambda connection: connection.execute(stmt))

    async def claim(
        self, evaluation_id: str, *, worker_id: str, lease: float, now: datetime
    ) -> None:
        """``worker_id`` runs the evaluation from now: refused (ConflictError) while another
        instance whose heartbeat is within ``lease`` seconds runs it. One statement decides, so
        of two instances claiming at once only one gets it."""
        taken = (
            update(EVALUATIONS)
            .where(
                EVALUATIONS.c.id == evaluation_id,
                or_(
                    EVALUATIONS.c.status.not_in(ACTIVE),
                    EVALUATIONS.c.worker_id == worker_id,
                    not_(instance_alive(EVALUATIONS.c.worker_id, now=now, lease=lease)),
                ),
            )
            .values(
                status="running", worker_id=worker_id, error=None, finished_at=None, updated_at=now
            )
        )
        claimed = await transactions.write(
            self.engine, lambda connection: connection.execute(taken).rowcount
        )
        if not claimed:
            await self.get(evaluation_id)  # NotFoundError when there is none
            raise ConflictError(
                f"evaluation {evaluation_id} is running on another server instance; "
                "follow its progress on the Evaluations page"
            )

    async def queue(self, evaluation_id: str) -> None:
        """Handed to the job queue (``council worker`` processes): ``queued``, nobody's, so the
        sweeps leave it alone and the worker that takes it claims it."""
        stmt = (
            update(EVALUATIONS)
            .where(EVALUATIONS.c.id == evaluation_id)
            .values(
                status="queued", worker_id=None, error=None, finished_at=None, updated_at=utcnow()
            )
        )
        await transactions.write(self.engine, lambda connection: connection.execute(stmt))

    async def interrupt_orphaned(self, *, worker_id: str, lease: float, now: datetime) -> int:
        """Active evaluations of no live instance (``worker_id``'s own are its business) become
        ``interrupted``, resumable; how many."""
        stmt = (
            update(EVALUATIONS)
            .where(
                EVALUATIONS.c.status.in_(ACTIVE),
                or_(EVALUATIONS.c.worker_id.is_(None), EVALUATIONS.c.worker_id != worker_id),
                not_(instance_alive(EVALUATIONS.c.worker_id, now=now, lease=lease)),
            )
            .values(
                status="interrupted",
                error="the server running it stopped; resume it to finish",
                updated_at=now,
            )
        )
        return int(
            await transactions.write(
                self.engine, lambda connection: connection.execute(stmt).rowcount
            )
        )

    async def tasks(self, evaluation_id: str) -> dict[str, Task]:
        stmt = select(TASKS).where(TASKS.c.evaluation_id == evaluation_id)

        def read(connection: Connection) -> dict[str, Task]:
            return {
                row["key"]: Task(**{k: row[k] for k in Task.__dataclass_fields__})
                for row in connection.execute(stmt).mappings()
            }

        return await transactions.read(self.engine, read)

    async def started(
        self,
        evaluation_id: str,
        *,
        key: str,
        kind: str,
        run_id: str | None,
        conversation_id: str | None,
        fingerprint: str | None,
    ) -> None:
        """The task's run is about to start (or its conversation exists): written first, so a
        crash after this point finds the run again."""
        values = {
            "status": "running",
            "run_id": run_id,
            "conversation_id": conversation_id,
            "fingerprint": fingerprint,
            "updated_at": utcnow(),
        }
        await self._upsert(evaluation_id, key=key, kind=kind, values=values)

    async def finished(
        self,
        evaluation_id: str,
        *,
        key: str,
        kind: str,
        ok: bool,
        result: dict[str, Any],
        fingerprint: str | None = None,
    ) -> None:
        values = {
            "status": "done" if ok else "failed",
            "result": result,
            "run_id": result.get("run_id"),
            "conversation_id": result.get("conversation_id"),
            "fingerprint": fingerprint,
            "updated_at": utcnow(),
        }
        await self._upsert(evaluation_id, key=key, kind=kind, values=values)

    async def _upsert(
        self, evaluation_id: str, *, key: str, kind: str, values: dict[str, Any]
    ) -> None:
        def write(connection: Connection) -> None:
            changed = connection.execute(
                update(TASKS)
                .where(TASKS.c.evaluation_id == evaluation_id, TASKS.c.key == key)
                .values(**values)
            )
            if not changed.rowcount:
                connection.execute(
                    insert(TASKS),
                    {"evaluation_id": evaluation_id, "key": key, "kind": kind, **values},
                )

        await transactions.write(self.engine, write)

    async def reusable(self, fingerprint: str, *, user_id: str | None) -> dict[str, Any] | None:
        """The latest finished answer with this fingerprint from an evaluation of the same
        person (another's answers are theirs)."""
        owner = (
            EVALUATIONS.c.user_id.is_(None) if user_id is None else EVALUATIONS.c.user_id == user_id
        )
        stmt = (
            select(TASKS.c.result)
            .join(EVALUATIONS, EVALUATIONS.c.id == TASKS.c.evaluation_id)
            .where(TASKS.c.fingerprint == fingerprint, TASKS.c.status == "done", owner)
            .order_by(TASKS.c.id.desc())
            .limit(1)
        )
        found = await transactions.read(
            self.engine, lambda connection: connection.execute(stmt).scalar()
        )
        return dict(found) if found else None
