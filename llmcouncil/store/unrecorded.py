"""The ends of runs this process could not write: kept, shown, and written at the next chance.

When the database fails under a run (disk full, read-only, connection lost), the run's end
(``failed`` with the reason) may fail to be written too, and its row would stay ``running``:
shown as in progress, refused a retry, forever (until a restart interrupts it). ``UnrecordedEnds``
holds such ends in memory. Every read of a run from this process shows the end instead of the
stale ``running`` (``overlay``), and every later read or retry first tries to write them
(``write``): a row still ``running`` takes its end; a row that has moved on is left alone.
A process that dies with ends unwritten leaves rows ``running`` under its worker id, which the
next start-up interrupts (``RunStore.interrupt_orphaned_runs``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, bindparam, update
from sqlalchemy.ext.asyncio import AsyncEngine

from llmcouncil.errors import StorageError
from llmcouncil.records import RunStatus
from llmcouncil.store import transactions
from llmcouncil.store.tables import RUNS

log = logging.getLogger(__name__)

# Only a row still running takes the end: one a retry has reset since is someone else's now.
_END_RUNNING_RUN = update(RUNS).where(
    RUNS.c.id == bindparam("b_id"), RUNS.c.status == RunStatus.RUNNING
)


class UnrecordedEnds:
    def __init__(self) -> None:
        self._ends: dict[str, dict[str, Any]] = {}  # run id → status, error, finished_at

    def __len__(self) -> int:
        return len(self._ends)

    def __contains__(self, run_id: object) -> bool:
        return run_id in self._ends

    def remember(self, run_id: str, end: Mapping[str, Any]) -> None:
        self._ends[run_id] = dict(end)

    def forget(self, run_id: str) -> None:
        self._ends.pop(run_id, None)

    def overlay(self, run: Mapping[Any, Any]) -> Mapping[Any, Any]:
        """A ``runs`` row as read, with its unwritten end in place of ``running``.

        Safe from a database thread: one lookup in a dict whose values are never changed.
        """
        end = self._ends.get(str(run.get("id"))) if self._ends else None
        if end is None or run.get("status") != RunStatus.RUNNING:
            return run
        return {**run, **end}

    async def write(self, engine: AsyncEngine) -> None:
        """Write every end held (one transaction); raises ``StorageError`` if that fails."""
        if not self._ends:
            return
        pending = dict(self._ends)

        def work(connection: Connection) -> None:
            for run_id, end in pending.items():
                connection.execute(_END_RUNNING_RUN, {"b_id": run_id, **end})

        await transactions.write(engine, work)
        for run_id, end in pending.items():
            if self._ends.get(run_id) is end:
                del self._ends[run_id]
        log.info("stored the end of %d run(s) the database had refused", len(pending))

    async def try_write(self, engine: AsyncEngine) -> None:
        """``write``, where a database still failing is no news: the ends stay held."""
        if not self._ends:
            return
        try:
            await self.write(engine)
        except StorageError as exc:
            log.debug("the ends of %d run(s) still unwritten: %s", len(self._ends), exc)
