"""The evaluation tables on SQLite and PostgreSQL: tasks upserted by key, reuse per owner,
interrupted evaluations."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from llmcouncil.errors import NotFoundError
from llmcouncil.evaluation.repository import EvaluationDraft, EvaluationStore
from llmcouncil.store.database import create_engine, upgrade
from llmcouncil.store.tables import utcnow


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    await upgrade(engine)
    try:
        yield engine
    finally:
        await engine.dispose()


def _draft(user_id: str | None) -> EvaluationDraft:
    return EvaluationDraft(
        name="n",
        user_id=user_id,
        preset=None,
        strategies=["council", "chairman"],
        judges=["j"],
        items=[{"question": "q", "reference": "4", "category": "maths", "match": "judge"}],
        options={"concurrency": 2},
        simulated=False,
    )


async def test_tasks_are_kept_by_key_and_answers_reused_only_by_their_owner(
    engine: AsyncEngine,
) -> None:
    store = EvaluationStore(engine)
    mine = await store.create(_draft("u1"))
    theirs = await store.create(_draft("u2"))
    await store.started(
        mine.id,
        key="answer:0:council",
        kind="answer",
        run_id=None,
        conversation_id="c1",
        fingerprint="f",
    )
    await store.started(
        mine.id,
        key="answer:0:council",
        kind="answer",
        run_id="r1",
        conversation_id="c1",
        fingerprint="f",
    )
    tasks = await store.tasks(mine.id)
    assert [(t.status, t.run_id) for t in tasks.values()] == [("running", "r1")]
    await store.finished(
        mine.id,
        key="answer:0:council",
        kind="answer",
        ok=True,
        result={"ok": True, "text": "4", "run_id": "r1", "conversation_id": "c1"},
        fingerprint="f",
    )
    assert (await store.tasks(mine.id))["answer:0:council"].result == {
        "ok": True,
        "text": "4",
        "run_id": "r1",
        "conversation_id": "c1",
    }
    assert (await store.reusable("f", user_id="u1")) is not None
    assert await store.reusable("f", user_id="u2") is None
    assert await store.reusable("f", user_id=None) is None
    assert await store.tasks(theirs.id) == {}


async def test_statuses_reports_and_interruption(engine: AsyncEngine) -> None:
    store = EvaluationStore(engine)
    one = await store.create(_draft(None))
    two = await store.create(_draft(None))
    await store.set_status(one.id, "running")
    await store.set_status(two.id, "complete", report={"baseline": "council"})
    # No instance runs it (no heartbeat row): left behind by a stopped process.
    assert await store.interrupt_orphaned(worker_id="this", lease=20, now=utcnow()) == 1
    assert (await store.get(one.id)).status == "interrupted"
    done = await store.get(two.id)
    assert done.report == {"baseline": "council"} and done.finished_at is not None
    assert [e.id for e in await store.list()] == [two.id, one.id]
    with pytest.raises(NotFoundError):
        await store.get("nope")
