"""CPU per transaction through the stock ``sqlite+aiosqlite`` adapter and through ours.

    python bench/sqlite_adapter.py [--transactions 1000]

Each side writes (two UPDATEs and a four-row INSERT, one transaction) and reads (two SELECTs on
one connection) ``--transactions`` times on a scratch file, through an ORM session and through a
Core connection, and prints process CPU and wall microseconds per transaction. Rounds alternate
between the adapters because the machine's speed drifts.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import uvloop
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from llmcouncil.store import sqlite_driver

META = MetaData()
ROWS = Table("rows", META, Column("id", String, primary_key=True), Column("n", Integer))


async def measure(engine: AsyncEngine, transactions: int) -> dict[str, tuple[float, float]]:
    async with engine.begin() as connection:
        await connection.run_sync(META.drop_all)
        await connection.run_sync(META.create_all)
        await connection.execute(insert(ROWS), [{"id": str(i), "n": 0} for i in range(100)])
    sessions = async_sessionmaker(engine, expire_on_commit=False)

    async def write(scope: Any, i: int) -> None:
        await scope.execute(update(ROWS).where(ROWS.c.id == str(i % 100)).values(n=i))
        await scope.execute(update(ROWS).where(ROWS.c.id == str((i + 1) % 100)).values(n=i))
        await scope.execute(insert(ROWS), [{"id": f"x{i}-{j}", "n": j} for j in range(4)])

    async def read(scope: Any, i: int) -> None:
        (await scope.execute(select(ROWS).where(ROWS.c.id == str(i % 100)))).all()
        (await scope.execute(select(ROWS).where(ROWS.c.id == str((i + 3) % 100)))).all()

    async def session_write(i: int) -> None:
        async with sessions.begin() as session:
            await write(session, i)

    async def session_read(i: int) -> None:
        async with sessions() as session:
            await read(session, i)

    async def core_write(i: int) -> None:
        async with engine.begin() as connection:
            await write(connection, i)

    async def core_read(i: int) -> None:
        async with engine.connect() as connection:
            await read(connection, i)

    cases: dict[str, Callable[[int], Awaitable[None]]] = {
        "session write": session_write,
        "session read": session_read,
        "core write": core_write,
        "core read": core_read,
    }
    figures = {}
    for name, case in cases.items():
        wall, cpu = time.perf_counter(), time.process_time()
        for i in range(transactions):
            await case(i)
        figures[name] = (
            (time.process_time() - cpu) / transactions * 1e6,
            (time.perf_counter() - wall) / transactions * 1e6,
        )
    return figures


async def main(transactions: int, rounds: int) -> None:
    scratch = Path(tempfile.mkdtemp(prefix="council-sqlite-"))
    drivers = {"stock aiosqlite": "aiosqlite", "one round trip": sqlite_driver.DRIVER}
    for round_number in range(rounds):
        for label, driver in drivers.items():
            engine = create_async_engine(f"sqlite+{driver}:///{scratch / 'bench.sqlite'}")
            try:
                figures = await measure(engine, transactions)
            finally:
                await engine.dispose()
            for case, (cpu, wall) in figures.items():
                print(
                    f"round {round_number + 1}  {label:16} {case:14} "
                    f"CPU {cpu:6.0f} µs  wall {wall:6.0f} µs per transaction"
                )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transactions", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    uvloop.run(main(args.transactions, args.rounds))
