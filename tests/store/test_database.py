"""This process's SQLite writes take turns in one lane (``database.writing``)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from support import POSTGRES_URL

from llmcouncil.store.database import create_engine, writing


async def test_writes_of_one_process_take_turns_in_arrival_order(tmp_path: Path) -> None:
    """``writing``: one writer at a time per SQLite engine, handed over first come, first
    served (no busy-handler naps); a PostgreSQL engine has no such lane."""
    engine = create_engine(f"sqlite:///{tmp_path / 'lane.sqlite'}")
    trace: list[str] = []

    async def writer(name: str) -> None:
        async with writing(engine):
            trace.append(f"{name}+")
            await asyncio.sleep(0.01)
            trace.append(f"{name}-")

    try:
        await asyncio.gather(*(writer(n) for n in "abc"))
        assert trace == ["a+", "a-", "b+", "b-", "c+", "c-"]
    finally:
        await engine.dispose()
    postgres = create_engine(POSTGRES_URL)
    trace.clear()
    try:

        async def pg_writer(name: str) -> None:
            async with writing(postgres):
                trace.append(f"{name}+")
                await asyncio.sleep(0.01)
                trace.append(f"{name}-")

        await asyncio.gather(*(pg_writer(n) for n in "ab"))  # no connection is opened
        assert trace[:2] == ["a+", "b+"]
    finally:
        await postgres.dispose()
