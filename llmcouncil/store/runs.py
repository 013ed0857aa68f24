"""Run storage: the write-ahead path of one council, and what a run reads back.

Write-ahead: ``start_run`` commits the user message and a ``running`` run before any upstream
call; ``record_stage`` commits each stage as it completes (the last one may finish the run in
the same transaction); ``interrupt_orphaned_runs`` turns runs a crash left ``running`` into
``interrupted`` at start-up, keeping their partial results. A run's end the database refused
(``StorageError``) is held in ``unrecorded`` and shown by this process's reads until it is
written (``store/unrecorded.py``).

The write path uses Core statements, not ORM units of work: under many concurrent councils each
statement is an event-loop round trip while SQLite's write lock is held, so the path does as few
as it can (measured in docs/PERFORMANCE.md).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, delete, select, text, update
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from llmcouncil.errors import (
    ConflictError,
    NotFoundError,
    StorageError,
    StoreError,
)
from llmcouncil.records import CallRecord, RunStatus
from llmcouncil.store import statements as sql
from llmcouncil.store import transactions
from llmcouncil.store.instances import left_behind, owner_alive
from llmcouncil.store.records import (
    Placeholders,
    RunDetail,
    VaultOpener,
    call_record,
    call_values,
    run_row,
)
from llmcouncil.store.run_fence import AttemptFence
from llmcouncil.store.tables import (
    ConversationRow,
    MessageRow,
    ModelCallRow,
    RunRow,
    utcnow,
)
from llmcouncil.store.unrecorded import UnrecordedEnds
from llmcouncil.store.vault_writes import VaultWrite, write_vault

log = logging.getLogger(__name__)


class RunStore:
    def __init__(self, engine: AsyncEngine, *, open_vault: VaultOpener | None = None) -> None:
        """``open_vault`` (privacy's ``VaultCipher.for_display``) opens the sealed vault tokens
        the store keeps; without it details carry no vault and placeholders show as stored."""
        self.engine = engine
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._open = open_vault
        self.unrecorded = UnrecordedEnds()
        # The attempt of each run this process executes: its writes are fenced by it.
        self.fence = AttemptFence()

    def open_vault(self, conversation: ConversationRow) -> Placeholders | None:
        """The conversation's vault for display (placeholders shown as stored without one)."""
        return self._open_vault(conversation.id, conversation.pii_vault)

    def _open_vault(self, conversation_id: str, token: str | None) -> Placeholders | None:
        if self._open is None or not token:
            return None
        return self._open(conversation_id, token)

    async def ping(self) -> None:
        try:
            async with self.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except (SQLAlchemyError, OSError) as exc:
            raise StoreError(f"database is not reachable: {exc}") from exc

    async def start_run(
        self,
        *,
        conversation_id: str,
        content: str,
        idempotency_key: str | None,
        council: dict[str, Any],
        seed: int,
        simulated: bool,
        worker_id: str,
        pii_vault: VaultWrite | None = None,
        privacy: dict[str, Any] | None = None,
        user_id: str | None = None,
        api_key_id: str | None = None,
    ) -> tuple[RunRow, MessageRow]:
        """``pii_vault``: the conversation's re-sealed vault, written in the same transaction
        if the vault is still the one it was read as; else nothing is stored and
        ``VaultChangedError`` raised (store/vault_writes.py)."""
        now = utcnow()
        message_values = {
            "id": str(uuid.uuid4()),
            "conversation_id": conversation_id,
            "content": content,
            "created_at": now,
        }
        # The columns the ORM wrote before; the others stay SQL NULL as they did.
        run_values = {
            "id": str(uuid.uuid4()),
            "conversation_id": conversation_id,
            "message_id": message_values["id"],
            "status": RunStatus.RUNNING,
            "idempotency_key": idempotency_key,
            "seed": seed,
            "council": council,
            "simulated": simulated,
            "worker_id": worker_id,
            "user_id": user_id,
            "api_key_id": api_key_id,
            "stages_done": 0,
            "attempts": 1,
            "privacy": privacy,
            "created_at": now,
        }

        def work(connection: Connection) -> None:
            # The update first: it takes SQLite's write lock at the start of the transaction
            # (no read-then-upgrade) and tells whether the conversation exists.
            if pii_vault is not None:
                write_vault(connection, conversation_id, pii_vault, updated_at=now)
            elif not connection.execute(
                sql.UPDATE_CONVERSATION, {"b_id": conversation_id, "updated_at": now}
            ).rowcount:
                raise NotFoundError(f"conversation {conversation_id} does not exist")
            seq = connection.scalar(sql.LAST_SEQ, {"conversation_id": conversation_id})
            message_values["seq"] = int(seq or 0) + 1
            connection.execute(sql.INSERT_MESSAGE, message_values)
            connection.execute(sql.INSERT_RUN, run_values)

        try:
            await transactions.write(self.engine, work)
        except IntegrityError as exc:
            raise ConflictError("a run with this Idempotency-Key was started concurrently") from exc
        self.fence.hold(str(run_values["id"]), 1)
        return RunRow(**run_values), MessageRow(**message_values)

    async def find_run_by_key(self, conversation_id: str, key: str) -> RunRow | None:
        async with self._sessions() as session:
            return await session.scalar(
                select(RunRow).where(
                    RunRow.conversation_id == conversation_id, RunRow.idempotency_key == key
                )
            )

    async def get_run(self, run_id: str) -> RunDetail:
        """The run, its conversation's vault (one read, joined) and its calls."""
        await self.unrecorded.try_write(self.engine)
        return self._detail(
            await transactions.read(self.engine, lambda connection: _read_run(connection, run_id))
        )

    def _detail(self, stored: _StoredRun) -> RunDetail:
        values, calls = stored
        vault = self._open_vault(values["conversation_id"], values.pop("conversation_vault"))
        return RunDetail(run=run_row(self.unrecorded.overlay(values)), calls=calls, vault=vault)

    async def get_message(self, message_id: str) -> MessageRow:
        async with self._sessions() as session:
            message = await session.get(MessageRow, message_id)
        if message is None:
            raise NotFoundError(f"message {message_id} does not exist")
        return message

    async def record_stage(
        self,
        run_id: str,
        *,
        stage: int,
        calls: Sequence[CallRecord],
        finish: str | None = None,
        read_back: bool = False,
        **run_fields: Any,
    ) -> RunDetail | None:
        """Commit a completed stage: its calls, and what it decided, in one transaction.

        ``finish``: also end the run with this status (as ``finish_run`` would), in the same
        transaction, so a completed run is never without its last stage. ``read_back``: return
        the run as stored (``get_run``), read in the same job, after the writes.
        """
        values = dict(run_fields)
        if "meta" in values:  # the ORM attribute's name; the column is "metadata"
            values["metadata"] = values.pop("meta")
        if stage > 0:
            values["stages_done"] = stage
        if finish is not None:
            values.update(status=finish, error=None, finished_at=utcnow())
        rows = [call_values(run_id, c) for c in calls]

        def work(connection: Connection) -> _StoredRun | None:
            self.fence.update_run(connection, run_id, values)  # first: it may refuse the write
            if rows:
                connection.execute(sql.INSERT_CALLS, rows)
            return _read_run(connection, run_id) if read_back else None

        stored = await transactions.write(self.engine, work)
        if finish is not None:
            self.fence.release(run_id)
        return None if stored is None else self._detail(stored)

    async def record_title(
        self, run_id: str, *, conversation_id: str, call: CallRecord, title: str
    ) -> None:
        """The title call (stage 0, the run's stages_done unchanged) and the title, together."""
        row = call_values(run_id, call)

        def work(connection: Connection) -> None:
            self.fence.update_run(connection, run_id, {})
            connection.execute(sql.INSERT_CALLS, [row])
            connection.execute(sql.UPDATE_CONVERSATION, {"b_id": conversation_id, "title": title})

        await transactions.write(self.engine, work)

    async def finish_run(
        self, run_id: str, *, status: str, error: dict[str, Any] | None = None
    ) -> None:
        """End the run; if the database refuses, the end is held (``unrecorded``) and raised."""
        end = {"status": status, "error": error, "finished_at": utcnow()}
        try:
            await transactions.write(
                self.engine, lambda connection: self.fence.update_run(connection, run_id, end)
            )
        except StorageError:
            self.unrecorded.remember(run_id, end)
            raise
        self.fence.release(run_id)
        self.unrecorded.forget(run_id)

    async def hand_over_run(self, run_id: str, *, error: dict[str, Any]) -> None:
        """A live run this instance stops executing is left ``running`` with no owner, so the
        next sweep of a live instance takes it over (council/handover.py); ``error`` says why
        until then (cleared by the takeover's reset)."""
        await transactions.write(
            self.engine,
            lambda connection: connection.execute(
                update(RunRow)
                .where(RunRow.id == run_id, RunRow.status == RunStatus.RUNNING)
                .values(worker_id=None, error=error)
            ),
        )

    async def reset_for_retry(
        self,
        run_id: str,
        *,
        worker_id: str,
        idle_worker: str | None = None,
        lease: float | None = None,
        now: datetime | None = None,
    ) -> RunRow:
        """Drop the calls of unfinished stages and mark the run running again, owned by
        ``worker_id``.

        ``idle_worker``: a run still marked running by this worker id is known not to be
        executing (its process says so: the database failed before its end could be written),
        and may be reset too. ``lease``: a run still marked running by an instance whose
        heartbeat is older than this many seconds (store/instances.py) was left behind by a dead
        process and is taken over; without it, or while its instance lives, it is a conflict.
        The row is locked while this is decided, so two instances never both take a run.
        """
        await self.unrecorded.write(self.engine)  # ends held back are written first
        now = now or utcnow()
        async with self._sessions.begin() as session:
            run = await session.get(RunRow, run_id, with_for_update=True)
            if run is None:
                raise NotFoundError(f"run {run_id} does not exist")
            if run.status == RunStatus.RUNNING and (
                idle_worker is None or run.worker_id != idle_worker
            ):
                if lease is None:
                    raise ConflictError(f"run {run_id} is still running")
                alive = await session.scalar(
                    select(owner_alive(now=now, lease=lease)).where(RunRow.id == run_id)
                )
                if alive:
                    raise ConflictError(
                        f"run {run_id} is still running on another server instance; "
                        "open the conversation to follow it"
                    )
            # Compare and set on the attempt count: of two instances deciding at once (SQLite
            # takes no row lock), the second finds the row changed and is refused.
            taken = await session.execute(
                update(RunRow)
                .where(RunRow.id == run_id, RunRow.attempts == run.attempts)
                .values(
                    status=RunStatus.RUNNING,
                    error=None,
                    finished_at=None,
                    attempts=run.attempts + 1,
                    worker_id=worker_id,
                )
                .execution_options(synchronize_session=False)
            )
            if not getattr(taken, "rowcount", 0):
                raise ConflictError(f"run {run_id} was just retried elsewhere")
            await session.execute(
                delete(ModelCallRow).where(
                    ModelCallRow.run_id == run_id, ModelCallRow.stage > run.stages_done
                )
            )
            await session.refresh(run)
        self.fence.hold(run_id, run.attempts)
        return run

    async def interrupt_orphaned_runs(
        self,
        *,
        worker_id: str,
        lease: float = 0.0,
        now: datetime | None = None,
        run_ids: Sequence[str] | None = None,
        message: str = "the server stopped while this run was in progress",
    ) -> int:
        """Runs left ``running`` by a dead process become ``interrupted``: runs of any instance
        but ``worker_id`` whose heartbeat is older than ``lease`` seconds, or that has none
        (store/instances.py); only ``run_ids`` when given. A live instance's runs are never
        touched."""
        now = now or utcnow()
        chosen = left_behind(now=now, lease=lease, instance_id=worker_id)
        if run_ids is not None:
            chosen = and_(chosen, RunRow.id.in_(list(run_ids)))
        try:
            async with self._sessions.begin() as session:
                result = await session.execute(
                    update(RunRow)
                    .where(chosen)
                    .values(
                        status=RunStatus.INTERRUPTED,
                        finished_at=now,
                        error={"code": "interrupted", "message": message},
                    )
                    .execution_options(synchronize_session=False)
                )
        except OperationalError as exc:
            raise StoreError(f"database is not reachable: {exc}") from exc
        return int(getattr(result, "rowcount", 0) or 0)


_StoredRun = tuple[dict[str, Any], list[CallRecord]]  # the run's row (and vault token), its calls


def _read_run(connection: Connection, run_id: str) -> _StoredRun:
    row = connection.execute(sql.RUN_WITH_VAULT, {"run_id": run_id}).mappings().first()
    if row is None:
        raise NotFoundError(f"run {run_id} does not exist")
    return dict(row), calls_of(connection, [run_id]).get(run_id, [])


def calls_of(connection: Connection, run_ids: list[str]) -> dict[str, list[CallRecord]]:
    """The calls of these runs, by run, in stage and position order."""
    if not run_ids:
        return {}
    rows = connection.execute(sql.CALLS_OF_RUNS, {"run_ids": run_ids}).all()
    calls: dict[str, list[CallRecord]] = {}
    for row in rows:
        calls.setdefault(row.run_id, []).append(call_record(row))
    return calls
