"""The store on a migrated database, for each database ``database_url`` names (SQLite and
PostgreSQL, tests/conftest.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from llmcouncil.store.database import create_engine, upgrade
from llmcouncil.store.repository import Store


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    engine = create_engine(database_url)
    await upgrade(engine)
    try:
        yield Store(engine)
    finally:
        await engine.dispose()
