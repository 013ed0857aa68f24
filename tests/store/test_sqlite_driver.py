"""The SQLite adapter that runs each statement as one job on aiosqlite's worker thread behaves as
the stock ``sqlite+aiosqlite`` one does: rows, row counts, RETURNING, executemany, errors,
transactions."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from llmcouncil.store import sqlite_driver
from llmcouncil.store.database import create_engine

META = MetaData()
ITEMS = Table(
    "items",
    META,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(20), unique=True),
    Column("n", Integer),
)


async def test_statements_rows_counts_and_errors(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}")
    assert engine.dialect.driver == "aiosqlite"
    assert engine.url.drivername == f"sqlite+{sqlite_driver.DRIVER}"
    try:
        async with engine.begin() as connection:
            await connection.run_sync(META.create_all)
            raw = await connection.get_raw_connection()
            assert isinstance(raw.dbapi_connection, sqlite_driver.OneHopConnection)
            first = await connection.execute(insert(ITEMS).values(name="a", n=1))
            assert first.inserted_primary_key == (1,)  # lastrowid
            many = await connection.execute(
                insert(ITEMS), [{"name": f"m{i}", "n": i} for i in range(5)]
            )
            assert many.rowcount == 5
            returned = await connection.execute(
                insert(ITEMS).values(name="r", n=9).returning(ITEMS.c.id, ITEMS.c.n)
            )
            assert returned.one() == (7, 9)
            changed = await connection.execute(update(ITEMS).where(ITEMS.c.n >= 3).values(n=0))
            assert changed.rowcount == 3  # m3, m4 and r
        async with engine.connect() as connection:
            rows = (await connection.execute(select(ITEMS).order_by(ITEMS.c.id))).all()
            assert [r.name for r in rows] == ["a", "m0", "m1", "m2", "m3", "m4", "r"]
            assert (await connection.execute(text("SELECT count(*) FROM items"))).scalar() == 7
            empty = await connection.execute(select(ITEMS).where(ITEMS.c.id < 0))
            assert empty.all() == [] and list(empty.keys()) == ["id", "name", "n"]
        with pytest.raises(IntegrityError):
            async with engine.begin() as connection:
                await connection.execute(insert(ITEMS).values(name="b", n=1))
                await connection.execute(insert(ITEMS).values(name="a", n=1))  # unique
        async with engine.connect() as connection:  # the failed transaction left nothing
            names = (await connection.execute(select(ITEMS.c.name))).scalars().all()
            assert "b" not in names and len(names) == 7
    finally:
        await engine.dispose()


async def test_plain_sqlite_urls_get_the_adapter_too(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'plain.sqlite'}")
    try:
        assert engine.url.drivername == f"sqlite+{sqlite_driver.DRIVER}"
        async with engine.connect() as connection:
            assert (await connection.execute(text("SELECT 41 + 1"))).scalar() == 42
    finally:
        await engine.dispose()


async def test_a_rollback_without_a_transaction_skips_the_worker_thread(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'rollback.sqlite'}")
    try:
        async with engine.begin() as connection:
            await connection.run_sync(META.create_all)
        async with engine.connect() as connection:
            raw = (await connection.get_raw_connection()).dbapi_connection
            assert isinstance(raw, sqlite_driver.OneHopConnection)
            # Called outside SQLAlchemy's greenlet, a round trip to the worker thread would
            # raise; with nothing open there is none to make.
            raw.rollback()
            await connection.execute(insert(ITEMS).values(name="x", n=1))
            assert raw._connection._connection is not None
            assert raw._connection._connection.in_transaction
            await connection.rollback()  # an open transaction is rolled back for real
            assert not raw._connection._connection.in_transaction
            count = await connection.execute(text("SELECT count(*) FROM items"))
            assert count.scalar() == 0
    finally:
        await engine.dispose()
