"""Engine creation and migrations, for SQLite (embedded default) and PostgreSQL.

SQLite runs in WAL mode with foreign keys on and a busy timeout, so readers never block the
writer and cascading deletes work. SQLite has one writer at a time, and a writer that finds the
lock taken sleeps in SQLite's busy handler (1, 2, 5 … 100 ms naps) while holding a pooled
connection. The frequent writes (the run path, settlement, the audit log) go through
``transactions.write``, whose single writer thread is their lane on a SQLite file; on SQLite in
memory they run on this async engine and take ``writing(engine)`` first, an asyncio lock per
engine that hands the turn straight to the next waiter. The rarer writes (accounts, settings,
renames) meet them in the busy handler. PostgreSQL needs no lane.

Migrations run through Alembic on an existing async connection (``run_sync``), so the server
can upgrade at start-up inside its own event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from llmcouncil.errors import ConfigError, StoreError
from llmcouncil.store import sqlite_driver
from llmcouncil.store.failures import translate_storage_failures

MIGRATIONS = Path(__file__).parent / "migrations"


def create_engine(url: str) -> AsyncEngine:
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigError([f"database_url is not a database URL: {exc}"]) from exc
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if parsed.drivername in ("sqlite", "sqlite+aiosqlite"):
            # aiosqlite underneath, one worker-thread round trip per statement (sqlite_driver)
            parsed = parsed.set(drivername=f"sqlite+{sqlite_driver.DRIVER}")
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(parsed, connect_args={"timeout": 30})
        event.listen(engine.sync_engine, "connect", sqlite_pragmas)
        translate_storage_failures(engine)
        return engine
    if backend == "postgresql":
        if parsed.drivername in ("postgresql", "postgres"):
            parsed = parsed.set(drivername="postgresql+asyncpg")
        engine = create_async_engine(parsed, pool_size=10, max_overflow=20, pool_pre_ping=True)
        translate_storage_failures(engine)
        return engine
    raise ConfigError(
        [f"database_url: unsupported database {backend!r} (use sqlite or postgresql)"]
    )


_WRITE_LANES: weakref.WeakKeyDictionary[Engine, asyncio.Lock] = weakref.WeakKeyDictionary()


@contextlib.asynccontextmanager
async def writing(engine: AsyncEngine) -> AsyncIterator[None]:
    """Wait for this process's turn to write (SQLite only), then hold it for the block.

    Take it before opening the write transaction and never inside another one's block.
    """
    if engine.dialect.name != "sqlite":
        yield
        return
    lane = _WRITE_LANES.get(engine.sync_engine)
    if lane is None:
        lane = _WRITE_LANES[engine.sync_engine] = asyncio.Lock()
    async with lane:
        yield


def sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def _upgrade(connection: Connection) -> None:
    # "heads": features developed side by side may add migrations on separate branches.
    command.upgrade(_alembic_config(connection), "heads")


def _current(connection: Connection) -> tuple[str, ...]:
    return tuple(sorted(MigrationContext.configure(connection).get_current_heads()))


# Several instances starting together on one new PostgreSQL database would each create the
# schema; a transaction-scoped advisory lock lets the first migrate and the others find it done.
MIGRATION_LOCK = 0x6C6D636F756E63  # "lmcounc"


async def upgrade(engine: AsyncEngine) -> None:
    """Bring the schema to the newest revision (one instance at a time on PostgreSQL)."""
    try:
        async with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                await connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK}
                )
            await connection.run_sync(_upgrade)
    except SQLAlchemyError as exc:
        raise StoreError(f"database migration failed: {exc}") from exc
    except OSError as exc:
        raise StoreError(f"database is not reachable: {exc}") from exc


async def schema_status(engine: AsyncEngine) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(revisions the database is at, newest revisions), as sorted tuples."""
    heads = tuple(sorted(ScriptDirectory.from_config(_alembic_config()).get_heads()))
    async with engine.connect() as connection:
        current = await connection.run_sync(_current)
    return current, heads
