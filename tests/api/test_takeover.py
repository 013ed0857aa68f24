"""A command-line process sweeping the instances (it resumes nothing) leaves the runs dead
instances left to the live ones, and marks them interrupted only when it is alone. Given times,
on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from llmcouncil.api.takeover import leave_to_live_instances
from llmcouncil.records import RunStatus
from llmcouncil.store.database import create_engine, upgrade
from llmcouncil.store.instances import InstanceRegistry
from llmcouncil.store.repository import Store

LEASE = 20.0
T0 = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    engine = create_engine(database_url)
    await upgrade(engine)
    try:
        yield Store(engine)
    finally:
        await engine.dispose()


async def _left_by(store: Store, worker: str) -> str:
    conversation = await store.create_conversation()
    run, _ = await store.start_run(
        conversation_id=conversation.id,
        content="q",
        idempotency_key=None,
        council={"members": ["a"]},
        seed=1,
        simulated=False,
        worker_id=worker,
    )
    return run.id


async def test_a_command_line_sweep_leaves_a_dead_instance_s_run_to_a_live_server(
    store: Store,
) -> None:
    registry = InstanceRegistry(store.engine)
    await registry.beat("dead", host="h", now=T0)
    run_id = await _left_by(store, "dead")
    later = T0 + timedelta(seconds=LEASE + 5)
    await registry.beat("server", host="h", now=later)
    await registry.beat("cli", host="h", now=later)
    sweep = leave_to_live_instances(store=store, registry=registry, instance_id="cli", lease=LEASE)
    assert await sweep(later) == 0  # the server will take it over
    assert (await store.get_run(run_id)).run.status == RunStatus.RUNNING

    await registry.leave("server")  # alone now: nobody else will
    assert await sweep(later) == 1
    assert (await store.get_run(run_id)).run.status == RunStatus.INTERRUPTED
