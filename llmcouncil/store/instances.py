"""Server instances sharing one database, and which runs are whose.

Every process that executes runs is an *instance*: a row with a heartbeat, renewed every
``instances.heartbeat`` seconds. The runs it executes carry its id (``runs.worker_id``), so:

* an instance is alive while its last heartbeat is younger than ``instances.lease``;
* a ``running`` run whose instance is gone (no row, or a stale heartbeat) was left behind by a
  dead process: start-up and the periodic sweep of every live instance mark it ``interrupted``
  (``RunStore.interrupt_orphaned_runs``), with its partial results kept, and any instance may
  retry it — or take it over by a retry even before the sweep;
* a ``running`` run of a live instance is never touched by another: a retry of it elsewhere is
  refused (409), so a council never runs twice.

One heartbeat row per instance (not a lease per run): a beat is one UPDATE however many councils
the instance runs. A clean shutdown removes the row, so its unfinished runs are free at once.
Times come from the caller (``now``), so tests move a clock instead of waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import (
    ColumnElement,
    SQLColumnExpression,
    and_,
    delete,
    exists,
    not_,
    or_,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from llmcouncil.errors import StoreError
from llmcouncil.records import RunStatus
from llmcouncil.store.tables import InstanceRow, RunRow

log = logging.getLogger(__name__)


def instance_alive(
    worker: SQLColumnExpression[str | None], *, now: datetime, lease: float
) -> ColumnElement[bool]:
    """True where ``worker`` (the ``worker_id`` column of a row some instance executes: a run,
    an evaluation) names an instance whose heartbeat is within the lease."""
    return exists().where(
        InstanceRow.id == worker,
        InstanceRow.heartbeat_at >= now - timedelta(seconds=lease),
    )


def owner_alive(*, now: datetime, lease: float) -> ColumnElement[bool]:
    """True where the run's ``worker_id`` names an instance whose heartbeat is within the lease."""
    return instance_alive(RunRow.worker_id, now=now, lease=lease)


def left_behind(*, now: datetime, lease: float, instance_id: str) -> ColumnElement[bool]:
    """Running runs of no live instance (``instance_id``'s own are its business)."""
    return and_(
        RunRow.status == RunStatus.RUNNING,
        or_(RunRow.worker_id.is_(None), RunRow.worker_id != instance_id),
        not_(owner_alive(now=now, lease=lease)),
    )


@dataclass(frozen=True, slots=True)
class LeftBehind:
    """A running run of a dead instance, with whose it is (the actor a takeover runs it as)."""

    run_id: str
    conversation_id: str
    user_id: str | None
    api_key_id: str | None


class InstanceRegistry:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def left_behind_runs(
        self, *, instance_id: str, now: datetime, lease: float, limit: int = 100
    ) -> list[LeftBehind]:
        """The runs dead instances left running (oldest first), for a takeover to resume."""
        query = (
            select(RunRow.id, RunRow.conversation_id, RunRow.user_id, RunRow.api_key_id)
            .where(left_behind(now=now, lease=lease, instance_id=instance_id))
            .order_by(RunRow.created_at)
            .limit(limit)
        )
        try:
            async with self._engine.connect() as connection:
                rows = (await connection.execute(query)).all()
        except (SQLAlchemyError, OSError) as exc:
            raise StoreError(f"database is not reachable: {exc}") from exc
        return [LeftBehind(*row) for row in rows]

    async def beat(self, instance_id: str, *, host: str, now: datetime) -> None:
        """This instance is alive at ``now`` (its row written on the first beat)."""
        values = {"id": instance_id, "host": host, "started_at": now, "heartbeat_at": now}
        dialect = self._engine.dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = (
            insert(InstanceRow)
            .values(**values)
            .on_conflict_do_update(index_elements=[InstanceRow.id], set_={"heartbeat_at": now})
        )
        await self._run(statement)

    async def leave(self, instance_id: str) -> None:
        await self._run(delete(InstanceRow).where(InstanceRow.id == instance_id))

    async def live(self, *, now: datetime, lease: float) -> list[str]:
        """The ids of the instances alive at ``now``."""
        cutoff = now - timedelta(seconds=lease)
        try:
            async with self._engine.connect() as connection:
                rows = await connection.execute(
                    select(InstanceRow.id).where(InstanceRow.heartbeat_at >= cutoff)
                )
                return sorted(rows.scalars())
        except (SQLAlchemyError, OSError) as exc:
            raise StoreError(f"database is not reachable: {exc}") from exc

    async def forget_gone(self, *, now: datetime, lease: float) -> int:
        """Rows of instances gone for ten leases: nothing needs them any more."""
        cutoff = now - timedelta(seconds=10 * lease)
        return await self._run(delete(InstanceRow).where(InstanceRow.heartbeat_at < cutoff))

    async def _run(self, statement: object) -> int:
        try:
            async with self._engine.begin() as connection:
                result = await connection.execute(statement)  # type: ignore[call-overload]
        except (SQLAlchemyError, OSError) as exc:
            raise StoreError(f"database is not reachable: {exc}") from exc
        return int(getattr(result, "rowcount", 0) or 0)


class Heartbeat:
    """This instance's heartbeat and sweep, every ``every`` seconds until ``stop``.

    Each tick says the instance is alive, then interrupts the runs that dead instances left
    running (``sweep``: the store's ``interrupt_orphaned_runs``), so a run whose server died is
    shown as interrupted — and retryable — within about one lease, whichever instance is left.
    A tick that fails (database unreachable) is logged and tried again at the next one.
    """

    def __init__(
        self,
        *,
        registry: InstanceRegistry,
        instance_id: str,
        sweep: Callable[[datetime], Awaitable[int]],
        every: float,
        lease: float,
        clock: Callable[[], datetime],
    ) -> None:
        self._registry = registry
        self._instance_id = instance_id
        self._sweep = sweep
        self._every = every
        self._lease = lease
        self._clock = clock
        self._host = socket.gethostname()
        self._task: asyncio.Task[None] | None = None

    async def tick(self) -> int:
        """One beat and one sweep; how many left-behind runs were interrupted."""
        now = self._clock()
        await self._registry.beat(self._instance_id, host=self._host, now=now)
        interrupted = await self._sweep(now)
        if interrupted:
            log.warning(
                "%d run(s) left running by a stopped server are now interrupted; "
                "they keep their partial results and can be retried",
                interrupted,
            )
        await self._registry.forget_gone(now=now, lease=self._lease)
        return interrupted

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._beat_forever())

    async def _beat_forever(self) -> None:
        while True:
            await asyncio.sleep(self._every)
            try:
                await self.tick()
            except Exception as exc:  # the loop outlives any one failed beat or sweep
                log.warning("instance heartbeat failed, trying again: %s", exc)

    async def stop(self) -> None:
        """Stop beating and leave, so this instance's unfinished runs are free at once."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        with contextlib.suppress(StoreError):
            await self._registry.leave(self._instance_id)
