"""Real storage faults for tests: the database itself refuses writes, no mock of it.

``StorageFault`` listens to SQLAlchemy's class-level ``before_cursor_execute`` event (the public
event API: every engine in the process, filtered to one database; nothing of a server is patched
or reached into). Once tripped, each write statement to that database first puts its connection
into a failing state, so the statement fails in the database, with the database's own error:

- ``full`` (SQLite): ``PRAGMA max_page_count`` set to the file's page count; a write that needs
  a new page fails with SQLITE_FULL, "database or disk is full", exactly as on a full disk.
- ``read_only``: SQLite ``PRAGMA query_only`` (SQLITE_READONLY, "attempt to write a readonly
  database"); PostgreSQL ``SET transaction_read_only`` (SQLSTATE 25006, "cannot execute INSERT
  in a read-only transaction").

``trip_on``: the fault starts at the first write whose SQL contains this text (e.g. a stage's
``INSERT INTO model_calls``), so a run's write-ahead goes through and its stage write does not.
``clear()`` ends the fault: SQLite connections get their limits back as they next write, so
leave the ``with`` block only when the database is done with (the engine disposed).
"""

from __future__ import annotations

from typing import Any, Literal

from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url

FaultKind = Literal["full", "read_only"]
_WRITES = ("INSERT", "UPDATE", "DELETE")
# SQLite's default max_page_count, and writes allowed again
_SQLITE_RESTORE = ["PRAGMA max_page_count = 1073741823", "PRAGMA query_only = 0"]


class StorageFault:
    def __init__(self, database_url: str, *, kind: FaultKind, trip_on: str | None = None) -> None:
        url = make_url(database_url)
        self._backend = url.get_backend_name()
        self._database = url.database
        if kind == "full" and self._backend != "sqlite":
            raise ValueError("a full database is made on SQLite; use read_only on PostgreSQL")
        self.kind = kind
        self._trip_on = trip_on
        self.tripped = False
        self._cleared = False
        self.trips = 0  # write statements run under the fault (each failed or fit in place)

    def __enter__(self) -> StorageFault:
        event.listen(Engine, "before_cursor_execute", self._before)
        return self

    def __exit__(self, *_exc: object) -> None:
        event.remove(Engine, "before_cursor_execute", self._before)

    def trip(self) -> None:
        self.tripped, self._cleared = True, False

    def clear(self) -> None:
        self.tripped, self._cleared = False, True

    def _before(self, conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if conn.engine.url.database != self._database:
            return
        if not statement.lstrip().upper().startswith(_WRITES):
            return
        if not self.tripped and not self._cleared and self._trip_on is not None:
            if self._trip_on in statement:
                self.tripped = True
        if self.tripped:
            self.trips += 1
            self._run(conn, self._failing())
        elif self._cleared and self._backend == "sqlite":
            self._run(conn, _SQLITE_RESTORE)

    def _failing(self) -> list[str]:
        if self._backend != "sqlite":
            return ["SET transaction_read_only = on"]
        if self.kind == "read_only":
            return ["PRAGMA query_only = 1"]
        return ["PRAGMA max_page_count = 1"]  # SQLite keeps it at the current page count

    @staticmethod
    def _run(conn: Any, statements: list[str]) -> None:
        cursor = conn.connection.dbapi_connection.cursor()
        try:
            for sql in statements:
                cursor.execute(sql)
        finally:
            cursor.close()
