"""One transaction as one job (``store.transactions``): on a SQLite file, on threads of its own;
elsewhere, on the async engine's connection."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest
from sqlalchemy import Column, Connection, Integer, MetaData, String, Table, insert, select
from sqlalchemy.exc import IntegrityError

from llmcouncil.store import transactions
from llmcouncil.store.database import create_engine

META = MetaData()
ITEMS = Table("items", META, Column("id", Integer, primary_key=True), Column("name", String))


async def _engine(url: str):  # type: ignore[no-untyped-def]
    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.run_sync(META.drop_all)
        await connection.run_sync(META.create_all)
    return engine


def _names(connection: Connection) -> list[str]:
    return [str(n) for n in connection.scalars(select(ITEMS.c.name).order_by(ITEMS.c.id))]


async def test_commits_and_rolls_back_on_every_database(database_url: str) -> None:
    """The same function commits when it returns and leaves nothing when it raises, on a
    SQLite file (threads), in SQLite memory and on PostgreSQL (the async connection)."""
    for url in (database_url, "sqlite:///:memory:"):
        engine = await _engine(url)
        try:

            def add(connection: Connection, name: str = "first") -> int:
                connection.execute(insert(ITEMS).values(id=1, name=name))
                return 1

            def add_then_fail(connection: Connection) -> None:
                connection.execute(insert(ITEMS).values(id=2, name="half"))
                raise LookupError("the work changed its mind")

            assert await transactions.write(engine, add) == 1
            with pytest.raises(LookupError, match="changed its mind"):
                await transactions.write(engine, add_then_fail)
            with pytest.raises(IntegrityError):  # the database's own errors, unchanged
                await transactions.write(engine, add)
            assert await transactions.read(engine, _names) == ["first"]
        finally:
            await engine.dispose()


async def test_sqlite_file_work_runs_on_its_threads_and_they_end_with_the_engine(
    tmp_path: Path,
) -> None:
    engine = await _engine(f"sqlite:///{tmp_path / 'threads.sqlite'}")
    seen: dict[str, threading.Thread] = {}

    def write(connection: Connection) -> None:
        seen["write"] = threading.current_thread()
        connection.execute(insert(ITEMS).values(id=1, name="x"))

    def read(connection: Connection) -> list[str]:
        seen["read"] = threading.current_thread()
        return _names(connection)

    try:
        await transactions.write(engine, write)
        assert await transactions.read(engine, read) == ["x"]
        # what the async engine reads is what the thread wrote: the same file
        async with engine.connect() as connection:
            assert await connection.run_sync(_names) == ["x"]
    finally:
        await engine.dispose()
    assert seen["write"].name.startswith("council-db-write")
    assert seen["read"].name.startswith("council-db-read")
    for thread in seen.values():  # idle workers leave once the dispose shut their executor down
        await asyncio.to_thread(thread.join, 60)  # 60 s: a guard against a hang only
    assert not any(t.is_alive() for t in seen.values())
    # after dispose, the engine still works: new threads are started on first use
    assert await transactions.read(engine, _names) == ["x"]
    await engine.dispose()


async def test_a_cancelled_writer_waits_for_its_job_and_keeps_the_lane(tmp_path: Path) -> None:
    """A write already running on its thread cannot be stopped: the cancelled caller gets its
    CancelledError once the job has committed, and the next writer starts only then."""
    engine = await _engine(f"sqlite:///{tmp_path / 'cancel.sqlite'}")
    started, release = threading.Event(), threading.Event()
    order: list[str] = []

    def slow(connection: Connection) -> None:
        started.set()
        release.wait(60)  # a guard against a hang only
        connection.execute(insert(ITEMS).values(id=1, name="slow"))
        order.append("slow committed")

    def next_write(connection: Connection) -> None:
        order.append("next started")
        connection.execute(insert(ITEMS).values(id=2, name="next"))

    try:
        slow_task = asyncio.create_task(transactions.write(engine, slow))
        await asyncio.to_thread(started.wait, 60)
        next_task = asyncio.create_task(transactions.write(engine, next_write))
        slow_task.cancel()
        await asyncio.sleep(0.05)
        assert not slow_task.done()  # still waiting for its job
        assert order == []
        release.set()
        with pytest.raises(asyncio.CancelledError):
            await slow_task
        await next_task
        assert order == ["slow committed", "next started"]
        assert await transactions.read(engine, _names) == ["slow", "next"]
    finally:
        release.set()
        await engine.dispose()
