"""Migrations: one head, reached from every released revision on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncEngine

from llmcouncil.store.database import MIGRATIONS, create_engine, schema_status, upgrade
from llmcouncil.store.repository import Store

HEAD = "0016_background_usage"
# Revisions a database in use may be at: each released head, and both branches together.
RELEASED = [
    ("0001",),
    ("0002_governance",),
    ("0002_privacy",),
    ("0002_governance", "0002_privacy"),
    ("0014_conversation_reasoning",),
]


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@pytest.fixture
async def engine(blank_database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(blank_database_url)
    try:
        yield engine
    finally:
        await engine.dispose()


def test_the_migrations_have_one_head() -> None:
    assert ScriptDirectory.from_config(alembic_config()).get_heads() == [HEAD]


@pytest.mark.parametrize("revisions", RELEASED, ids="+".join)
async def test_upgrade_reaches_the_head_from_a_released_revision(
    engine: AsyncEngine, revisions: tuple[str, ...]
) -> None:
    async with engine.begin() as connection:
        for revision in revisions:
            await connection.run_sync(
                lambda sync, revision=revision: command.upgrade(alembic_config(sync), revision)
            )
        await connection.execute(
            text(
                "INSERT INTO conversations (id, title, created_at, updated_at) "
                "VALUES ('old', 'Before sources', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )

    await upgrade(engine)

    assert await schema_status(engine) == ((HEAD,), (HEAD,))
    store = Store(engine)
    [old] = await store.list_conversations()
    assert old.conversation.source == "web"  # unknown before: shown, not hidden
    new = await store.create_conversation(source="v1")
    listed = await store.list_conversations(sources=["v1"])
    assert [s.conversation.id for s in listed] == [new.id]


@pytest.mark.postgres
async def test_instances_starting_together_on_a_new_database_migrate_once(
    blank_database_url: str,
) -> None:
    """Three instances' start-ups racing on one new PostgreSQL database all succeed: the first
    migrates under the lock, the others find the schema done."""
    if not blank_database_url.startswith("postgresql"):
        pytest.skip("the lock is PostgreSQL's; one SQLite file is one machine's")
    engines = [create_engine(blank_database_url) for _ in range(3)]
    try:
        await asyncio.gather(*(upgrade(e) for e in engines))
        current, newest = await schema_status(engines[0])
        assert current == newest == (HEAD,)
    finally:
        for e in engines:
            await e.dispose()


async def test_documents_stored_before_background_reading_are_ready(engine: AsyncEngine) -> None:
    """0015: a document stored at 0014 was read at its upload, so it is ``ready``."""
    async with engine.begin() as connection:
        await connection.run_sync(
            lambda sync: command.upgrade(alembic_config(sync), "0014_conversation_reasoning")
        )
        await connection.execute(
            text(
                "INSERT INTO conversations (id, title, created_at, updated_at) "
                "VALUES ('c', 'Old', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
        await connection.execute(
            text(
                "INSERT INTO documents (id, conversation_id, kind, media_type, filename, title, "
                "content_hash, size_bytes, chars, section_count, created_at) VALUES "
                "('d', 'c', 'text', 'text/plain', 'a.txt', 'a', 'h', 1, 1, 1, CURRENT_TIMESTAMP)"
            )
        )
    await upgrade(engine)
    async with engine.connect() as connection:
        row = (await connection.execute(text("SELECT status, error FROM documents"))).one()
    assert tuple(row) == ("ready", None)
