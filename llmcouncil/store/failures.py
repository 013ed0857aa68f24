"""Storage failures: the driver errors that mean the database cannot take a statement right now.

A full disk, a read-only database, an I/O error or a lost connection is not a bug in a query:
the request that met it should answer 503 and a run it broke should end, with the reason, and be
retryable once the database works again. ``translate_storage_failures`` puts a SQLAlchemy
``handle_error`` hook on an engine that raises ``StorageError`` (``raise … from`` the driver's
error) for exactly those, wherever the statement was made: the run path, the conversation
routes, accounts, usage and audit alike. Every other error (a constraint, a bad statement) is
left as the driver raised it, so ``IntegrityError`` keeps meaning a conflict.

Which errors count:

- SQLite (``sqlite3.Error.sqlite_errorcode``, primary code): FULL ("database or disk is full"),
  IOERR, READONLY, CANTOPEN, NOMEM, BUSY and LOCKED (the busy timeout ran out), PROTOCOL.
- PostgreSQL (SQLSTATE): class 08 (connection), 53 (insufficient resources: disk full, out of
  memory, too many connections), 57 (operator intervention: shutdown, terminated), 58 (system
  I/O), and 25006 (read-only transaction).
- Any error SQLAlchemy itself recognises as a disconnect, and ``OSError`` from the driver
  ("No space left on device", a refused connection).

A pool's pre-ping is left alone: its failure is how a dead pooled connection gets replaced.
"""

from __future__ import annotations

import errno
import sqlite3
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.engine import Dialect, ExceptionContext
from sqlalchemy.ext.asyncio import AsyncEngine

from llmcouncil.errors import StorageError

_SQLITE_CODES = {
    sqlite3.SQLITE_BUSY: "the database is locked by another writer",
    sqlite3.SQLITE_LOCKED: "the database is locked",
    sqlite3.SQLITE_NOMEM: "the database ran out of memory",
    sqlite3.SQLITE_READONLY: "the database is read-only",
    sqlite3.SQLITE_IOERR: "the database could not read or write its file",
    sqlite3.SQLITE_FULL: "the database or its disk is full",
    sqlite3.SQLITE_CANTOPEN: "the database file cannot be opened",
    sqlite3.SQLITE_PROTOCOL: "the database's lock protocol failed",
}

_PG_CLASSES = {
    "08": "the connection to the database failed",
    "53": "the database is out of resources (disk, memory or connections)",
    "57": "the database server stopped the session",
    "58": "the database server could not read or write its files",
}
_PG_STATES = {"25006": "the database is read-only"}


def storage_failure(error: BaseException, *, disconnect: bool = False) -> str | None:
    """Why the database cannot take statements now, if ``error`` means that; else None."""
    for cause in _chain(error):
        if isinstance(cause, sqlite3.Error):
            code = getattr(cause, "sqlite_errorcode", None)
            if code is not None and (code & 0xFF) in _SQLITE_CODES:
                return _SQLITE_CODES[code & 0xFF]
        state = getattr(cause, "sqlstate", None)
        if isinstance(state, str) and len(state) == 5:
            if state in _PG_STATES:
                return _PG_STATES[state]
            if state[:2] in _PG_CLASSES:
                return _PG_CLASSES[state[:2]]
        if isinstance(cause, OSError):
            if cause.errno == errno.ENOSPC:
                return "no space left on the database's device"
            return "the database could not be reached"
    return "the connection to the database was lost" if disconnect else None


def _chain(error: BaseException) -> list[BaseException]:
    """``error``, the driver error SQLAlchemy wraps, and what caused those (no cycles)."""
    seen: list[BaseException] = []
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop(0)
        if current is None or any(current is s for s in seen) or len(seen) > 8:
            continue
        seen.append(current)
        pending += [getattr(current, "orig", None), current.__cause__, current.__context__]
    return seen


def _describe(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _on_error(context: ExceptionContext) -> BaseException | None:
    if context.is_pre_ping:  # the pool replaces the connection itself
        return None
    if not isinstance(context.original_exception, Exception) or isinstance(
        context.original_exception, TimeoutError
    ):
        return None  # a cancelled or interrupted statement is not a storage failure
    reason = storage_failure(context.original_exception, disconnect=context.is_disconnect)
    if reason is None:
        return None
    return StorageError(f"storage unavailable: {reason} ({_describe(context.original_exception)})")


def _connect(dialect: Dialect, _record: Any, cargs: Any, cparams: Any) -> Any:
    # A refused or unreachable server is an OSError from the driver, which SQLAlchemy passes
    # on unwrapped (``handle_error`` only sees the driver's own error classes).
    try:
        return dialect.connect(*cargs, **cparams)
    except OSError as exc:
        reason = storage_failure(exc) or "the database could not be reached"
        raise StorageError(f"storage unavailable: {reason} ({_describe(exc)})") from exc


def translate_storage_failures(engine: Engine | AsyncEngine) -> None:
    """From now on, ``engine`` raises ``StorageError`` for a storage failure (idempotent)."""
    sync = engine.sync_engine if isinstance(engine, AsyncEngine) else engine
    if not event.contains(sync, "handle_error", _on_error):
        event.listen(sync, "handle_error", _on_error)
        event.listen(sync, "do_connect", _connect)
