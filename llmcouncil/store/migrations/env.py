"""Alembic environment: runs on the connection handed over by ``store.database.upgrade``.

Without a handed-over connection (plain ``alembic`` on the command line) it opens one from
``COUNCIL_DATABASE_URL``.
"""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy import Connection

from llmcouncil.store.tables import Base

target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_standalone() -> None:
    from llmcouncil.store.database import create_engine

    engine = create_engine(os.environ.get("COUNCIL_DATABASE_URL", "sqlite:///./data/council.db"))
    async with engine.begin() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


handed_over = context.config.attributes.get("connection")
if handed_over is not None:
    _run(handed_over)
else:
    asyncio.run(_run_standalone())
