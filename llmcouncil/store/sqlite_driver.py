"""SQLite for the async engine with one thread hop per statement.

SQLAlchemy's ``sqlite+aiosqlite`` adapter makes every statement four round trips between the
event loop and aiosqlite's worker thread (open a cursor, execute, fetch, close). Each round trip
is a wake-up of the worker and of the loop, and under many concurrent councils it waits behind
everything else on the loop, while SQLite's write lock is held. This adapter runs the whole
statement (execute, fetch, read the description and row count, close) as one job on the same
worker thread, so a statement costs one round trip; a rollback with no transaction open (the
pool's reset of every connection it takes back) costs none. Transactions, isolation, the
connection pool and error translation are SQLAlchemy's and aiosqlite's own, unchanged.

It is selected for ``sqlite+aiosqlite`` URLs by ``database.create_engine`` (the URL the user
writes does not change); see docs/ARCHITECTURE.md for why this is not a library setting.
"""

from __future__ import annotations

import collections
import sqlite3
from collections.abc import Sequence
from typing import Any

from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
    SQLiteDialect_aiosqlite,
)

DRIVER = "llmcouncil_aiosqlite"

_Outcome = tuple[Any, list[Any] | None, int, int | None]


def _execute(
    connection: sqlite3.Connection, operation: str, parameters: Sequence[Any] | None
) -> _Outcome:
    cursor = connection.cursor()
    try:
        cursor.execute(operation, () if parameters is None else parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else None
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


def _executemany(
    connection: sqlite3.Connection, operation: str, parameters: Sequence[Sequence[Any]]
) -> _Outcome:
    cursor = connection.cursor()
    try:
        cursor.executemany(operation, parameters)
        return cursor.description, None, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    """A cursor whose statements each run as one job on aiosqlite's worker thread."""

    __slots__ = ("_description", "_rowcount", "_lastrowid")

    def __init__(self, adapt_connection: AsyncAdapt_aiosqlite_connection) -> None:
        # No driver cursor is opened here (the base class opens one, a round trip of its own).
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]
        self._soft_closed_memoized = {}  # type: ignore[assignment]
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> int:
        return self._lastrowid  # type: ignore[return-value]

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        async with self._adapt_connection._execute_mutex:
            outcome = await self._connection._execute(
                _execute, self._connection._conn, operation, parameters
            )
            self._store(outcome)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> Any:
        async with self._adapt_connection._execute_mutex:
            outcome = await self._connection._execute(
                _executemany, self._connection._conn, operation, seq_of_parameters
            )
            self._store(outcome)

    def _store(self, outcome: _Outcome) -> None:
        self._description, rows, self._rowcount, self._lastrowid = outcome
        self._rows = collections.deque(rows or ())

    async def _async_soft_close(self) -> None:
        return None  # nothing is open on the driver's side

    def close(self) -> None:
        self._rows.clear()


class OneHopConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls = OneHopCursor  # type: ignore[assignment]

    def rollback(self) -> None:
        # The pool rolls back every connection it takes back, and a read-only one or one that
        # just committed has no transaction open: sqlite3 would skip the ROLLBACK itself, so
        # skip the round trip to the worker thread too.
        driver = self._connection._connection
        if driver is not None and not driver.in_transaction:
            return
        super().rollback()


class OneHopDBAPI(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> OneHopConnection:
        # The base opens the driver connection (and marks its thread a daemon); re-wrap it.
        return OneHopConnection(self, super().connect(*arg, **kw)._connection)


class OneHopDialect(SQLiteDialect_aiosqlite):
    driver = "aiosqlite"  # as the engine reports it: still aiosqlite underneath
    supports_statement_cache = True

    @classmethod
    def import_dbapi(cls) -> OneHopDBAPI:
        return OneHopDBAPI(__import__("aiosqlite"), __import__("sqlite3"))


registry.register(f"sqlite.{DRIVER}", __name__, "OneHopDialect")
