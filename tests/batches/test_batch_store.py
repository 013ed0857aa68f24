"""The batch tables on SQLite and PostgreSQL: a batch is claimed by one live instance at a time
and taken over only once that instance's heartbeat is older than the lease; an ended batch is
claimed by nobody; progress counts per status; a cancel skips what has not started."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from llmcouncil.batches.repository import BatchDraft, BatchStore, ItemResult
from llmcouncil.store.database import create_engine, upgrade
from llmcouncil.store.instances import InstanceRegistry
from llmcouncil.store.tables import utcnow

LEASE = 20.0


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    await upgrade(engine)
    try:
        yield engine
    finally:
        await engine.dispose()


def _draft(questions: int = 3) -> BatchDraft:
    return BatchDraft(
        user_id="u1",
        actor={"user_id": "u1", "api_key_id": None, "name": "mia", "ip": None},
        name="b",
        preset=None,
        mode=None,
        concurrency=2,
        questions=[f"question {i}" for i in range(questions)],
    )


async def test_one_live_instance_holds_a_batch_until_its_lease_passes(engine: AsyncEngine) -> None:
    batches = BatchStore(engine)
    instances = InstanceRegistry(engine)
    batch = await batches.create(_draft())
    start = utcnow()
    await instances.beat("a", host="h", now=start)
    await instances.beat("b", host="h", now=start)
    assert await batches.claim(batch.id, worker_id="a", lease=LEASE, now=start)
    assert (await batches.get(batch.id)).status == "running"
    # b, while a beats: refused; a again (a second delivery to it): its own.
    assert not await batches.claim(batch.id, worker_id="b", lease=LEASE, now=start)
    assert await batches.claim(batch.id, worker_id="a", lease=LEASE, now=start)
    later = start + timedelta(seconds=LEASE + 1)
    await instances.beat("b", host="h", now=later)
    assert await batches.claim(batch.id, worker_id="b", lease=LEASE, now=later)
    assert (await batches.get(batch.id)).worker_id == "b"
    assert await batches.finish(batch.id, "complete")
    assert not await batches.claim(batch.id, worker_id="b", lease=LEASE, now=later)
    assert not await batches.finish(batch.id, "cancelled")  # ended once only


async def test_progress_counts_and_a_cancel_skips_what_has_not_started(
    engine: AsyncEngine,
) -> None:
    batches = BatchStore(engine)
    batch = await batches.create(_draft(4))
    other = await batches.create(_draft(1))
    await batches.set_item(batch.id, 0, status="running", conversation_id="c0")
    result = ItemResult(
        ok=True,
        answer="yes",
        error=None,
        cost=0.5,
        prompt_tokens=10,
        completion_tokens=5,
        calls=9,
        latency_ms=12.0,
    )
    await batches.item_result(batch.id, 1, result)
    assert await batches.finish(batch.id, "cancelled", error="cancelled")
    assert await batches.skip_rest(batch.id, reason="cancelled") == 2
    counts = await batches.counts([batch.id, other.id])
    assert counts[batch.id] == {"pending": 0, "running": 1, "done": 1, "failed": 0, "skipped": 2}
    assert counts[other.id]["pending"] == 1
    items = await batches.items(batch.id)
    assert [i.status for i in items] == ["running", "done", "skipped", "skipped"]
    assert items[1].answer == "yes" and items[1].calls == 9 and items[0].conversation_id == "c0"
    assert [b.id for b in await batches.of_user(user_id="u1")] == [other.id, batch.id]
    assert await batches.unfinished() == [other.id]
