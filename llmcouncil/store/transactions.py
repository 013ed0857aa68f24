"""One transaction as one job: ``read(engine, work)`` and ``write(engine, work)``.

``work`` is a plain function of a SQLAlchemy ``Connection`` that runs a whole transaction's
statements. On a SQLite file it runs on a thread of its own, through a synchronous engine on the
same file: the event loop hands over the job and gets the result back, one wake-up each way,
instead of a round trip for every statement with SQLAlchemy's compiling and row handling on the
loop. Under many concurrent councils the loop is the server's busiest resource, and a write that
waits for the loop between its statements holds SQLite's only write lock while it waits
(measured in docs/PERFORMANCE.md). Writes go to one thread, whose queue is this process's write
lane: each starts the moment the one before it has committed, with no turn of the loop between
them. Reads go to a small pool of their own, so they never queue behind a write (WAL lets
readers and the writer run at once). The few writes still made on the async engine (accounts,
settings, renames) meet the thread's in SQLite's busy handler, as another process's would.

``read_session`` and ``write_session`` hand ``work`` an ORM ``Session`` on that connection
instead, flushed before the transaction commits.

PostgreSQL, and SQLite in memory (one database per connection, which another engine could not
see), run the same function on the async engine's connection through ``run_sync``.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import Session

from llmcouncil.store.database import sqlite_pragmas, writing
from llmcouncil.store.failures import translate_storage_failures

T = TypeVar("T")

READ_THREADS = 2


class _Threads:
    """The synchronous engine and the threads that serve one async SQLite engine."""

    def __init__(self, engine: AsyncEngine) -> None:
        url = engine.url.set(drivername="sqlite")
        self.engine: Engine = create_engine(
            url,
            connect_args={"timeout": 30, "check_same_thread": False},
            pool_size=READ_THREADS + 1,
        )
        event.listen(self.engine, "connect", sqlite_pragmas)
        translate_storage_failures(self.engine)
        self.writer = ThreadPoolExecutor(1, thread_name_prefix="council-db-write")
        self.readers = ThreadPoolExecutor(READ_THREADS, thread_name_prefix="council-db-read")

    def close(self) -> None:
        self.writer.shutdown(wait=False)
        self.readers.shutdown(wait=False)
        self.engine.dispose()


_THREADS: weakref.WeakKeyDictionary[Engine, _Threads] = weakref.WeakKeyDictionary()
_THREADS_LOCK = threading.Lock()


def _threads(engine: AsyncEngine) -> _Threads | None:
    """The threads for a SQLite file engine (started on first use); None for any other."""
    if engine.dialect.name != "sqlite" or engine.url.database in (None, "", ":memory:"):
        return None
    key = engine.sync_engine
    threads = _THREADS.get(key)
    if threads is None:
        with _THREADS_LOCK:
            threads = _THREADS.get(key)
            if threads is None:
                threads = _THREADS[key] = _Threads(engine)
                event.listen(key, "engine_disposed", _on_dispose)
    return threads


def _on_dispose(engine: Engine) -> None:
    # The async engine was disposed (shutdown, or tests between cases): its threads go too; a
    # later use starts new ones.
    threads = _THREADS.pop(engine, None)
    if threads is not None:
        threads.close()


def _in_transaction(engine: Engine, work: Callable[[Connection], T]) -> T:
    with engine.begin() as connection:
        return work(connection)


def _in_connection(engine: Engine, work: Callable[[Connection], T]) -> T:
    with engine.connect() as connection:
        return work(connection)


async def _handed(future: Future[T]) -> T:
    """The job's result; a caller cancelled meanwhile still waits for the job to end.

    The job cannot be stopped once it runs. A caller that went on at once would release what it
    holds (the audit log's append lock, say) while its write may still commit, and the next
    holder would race with it.
    """
    waiting = asyncio.wrap_future(future)
    try:
        return await asyncio.shield(waiting)
    except asyncio.CancelledError:
        if not future.cancel():  # it had started: let it finish, then report the cancel
            await asyncio.wait([waiting])
        raise


async def read(engine: AsyncEngine, work: Callable[[Connection], T]) -> T:
    """``work(connection)`` on a connection of its own, no transaction kept open after."""
    threads = _threads(engine)
    if threads is None:
        async with engine.connect() as connection:
            return await connection.run_sync(work)
    return await _handed(threads.readers.submit(_in_connection, threads.engine, work))


async def write(engine: AsyncEngine, work: Callable[[Connection], T]) -> T:
    """``work(connection)`` in one transaction, committed when it returns, rolled back if it
    raises; in turn with this process's other writes."""
    threads = _threads(engine)
    if threads is not None:
        return await _handed(threads.writer.submit(_in_transaction, threads.engine, work))
    async with writing(engine):
        async with engine.begin() as connection:
            return await connection.run_sync(work)


def _with_session(work: Callable[[Session], T], *, flush: bool) -> Callable[[Connection], T]:
    def on_connection(connection: Connection) -> T:
        # The session joins the connection's transaction, which ``write`` commits or rolls
        # back; closing the session leaves it as it is.
        with Session(bind=connection, expire_on_commit=False) as session:
            result = work(session)
            if flush:
                session.flush()
            return result

    return on_connection


async def read_session(engine: AsyncEngine, work: Callable[[Session], T]) -> T:
    return await read(engine, _with_session(work, flush=False))


async def write_session(engine: AsyncEngine, work: Callable[[Session], T]) -> T:
    return await write(engine, _with_session(work, flush=True))
