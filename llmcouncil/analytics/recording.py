"""Keeping the per-run figures: written as a run settles, rebuilt for runs settled before.

``record_run_figures`` replaces a run's figure rows in one transaction (a run settled again after
a retry or a late answer gets its figures again, never twice). The database's triggers move the
roll-ups with the rows (``analytics.rollups``): the old rows' sums out, the new rows' in. It
never raises: analytics is never a reason for a run's settlement to fail; a failure is logged
and ``council analytics rebuild`` writes what is missing.

Every figure write adds to the same few roll-up rows (this month's, today's), so on PostgreSQL
one transaction-scoped advisory lock puts figure writes in line (a few milliseconds each) rather
than letting two of them lock those rows in different orders; a write that still fails (a
deadlock with a conversation's deletion) is tried again. SQLite has one writer at a time anyway.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import Connection, delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from llmcouncil.analytics.figures import RunFigures, run_figures
from llmcouncil.analytics.tables import ANSWER_FIGURES, PAIR_FIGURES, REVIEW_FIGURES, RUN_FIGURES
from llmcouncil.records import RunStatus
from llmcouncil.store import transactions
from llmcouncil.store.records import RunDetail
from llmcouncil.store.repository import Store
from llmcouncil.store.tables import RUNS

log = logging.getLogger(__name__)

_REBUILD_BATCH = 500
_TABLES = (RUN_FIGURES, ANSWER_FIGURES, REVIEW_FIGURES, PAIR_FIGURES)
_ATTEMPTS = 3
# pg_advisory_xact_lock's key for figure writes: "analytic" as a big-endian 64-bit integer.
FIGURES_LOCK = int.from_bytes(b"analytic", "big")


def _replace(figures: RunFigures) -> Callable[[Connection], None]:
    run_id = figures.run["run_id"]

    def work(connection: Connection) -> None:
        if connection.dialect.name == "postgresql":
            connection.execute(select(func.pg_advisory_xact_lock(FIGURES_LOCK)))
        settled_before = connection.execute(
            select(RUN_FIGURES.c.run_id).where(RUN_FIGURES.c.run_id == run_id)
        ).first()
        if settled_before is not None:  # (a delete's trigger runs even when it finds no row)
            for table in _TABLES:
                connection.execute(delete(table).where(table.c.run_id == run_id))
        connection.execute(insert(RUN_FIGURES), [figures.run])
        for table, rows in (
            (ANSWER_FIGURES, figures.answers),
            (REVIEW_FIGURES, figures.reviews),
            (PAIR_FIGURES, figures.pairs),
        ):
            if rows:  # one statement (not one per row): PostgreSQL's trigger runs once
                connection.execute(insert(table).values(rows))

    return work


async def store_run_figures(engine: AsyncEngine, figures: RunFigures) -> None:
    """Replace one run's figure rows by ``figures`` (tried again after a failed attempt)."""
    for attempt in range(1, _ATTEMPTS + 1):
        try:
            await transactions.write(engine, _replace(figures))
            return
        except Exception:
            if attempt == _ATTEMPTS:
                raise
            log.warning("writing the figures of run %s failed; trying again", figures.run["run_id"])


async def record_run_figures(engine: AsyncEngine, detail: RunDetail | None) -> bool:
    """Store the figures of a settled run; False (logged) when that was not possible."""
    if detail is None or detail.run.status == RunStatus.RUNNING:
        return False
    try:
        await store_run_figures(engine, run_figures(detail))
    except Exception:
        log.exception("could not record the analytics figures of run %s", detail.run.id)
        return False
    return True


async def rebuild_figures(store: Store, *, only_missing: bool = False) -> int:
    """Recompute the figures of every ended run (or of those without any); returns how many."""

    def ended(connection: Connection) -> list[str]:
        query = (
            select(RUNS.c.id).where(RUNS.c.status != RunStatus.RUNNING).order_by(RUNS.c.created_at)
        )
        if only_missing:
            query = query.where(~RUNS.c.id.in_(select(RUN_FIGURES.c.run_id)))
        return [str(row[0]) for row in connection.execute(query)]

    run_ids = await transactions.read(store.engine, ended)
    done = 0
    for start in range(0, len(run_ids), _REBUILD_BATCH):
        for run_id in run_ids[start : start + _REBUILD_BATCH]:
            if await record_run_figures(store.engine, await store.get_run(run_id)):
                done += 1
    return done
