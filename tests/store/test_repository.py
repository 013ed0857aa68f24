"""The store on SQLite and PostgreSQL: write-ahead runs, stages, history, retry, crash recovery."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect as sa_inspect

from llmcouncil.errors import ConflictError, ModelFailure, NotFoundError
from llmcouncil.records import CallRecord, RunStatus, Usage
from llmcouncil.store.database import schema_status, upgrade
from llmcouncil.store.repository import Store
from llmcouncil.store.tables import RunRow


async def _run(
    store: Store, cid: str, content: str = "q", key: str | None = None, worker: str = "w1"
) -> tuple[str, str]:
    run, message = await store.start_run(
        conversation_id=cid,
        content=content,
        idempotency_key=key,
        council={"members": ["a"]},
        seed=7,
        simulated=False,
        worker_id=worker,
    )
    return run.id, message.id


def _columns(run: RunRow) -> dict[str, object]:
    return {c.key: getattr(run, c.key) for c in sa_inspect(RunRow).column_attrs}


async def test_schema_is_at_head(store: Store) -> None:
    current, head = await schema_status(store.engine)
    assert current == head != ()
    await upgrade(store.engine)  # idempotent


async def test_write_ahead_run_and_stages_round_trip(store: Store) -> None:
    conversation = await store.create_conversation()
    run_id, message_id = await _run(store, conversation.id, "What is 2+2?")
    detail = await store.get_run(run_id)
    assert detail.run.status == RunStatus.RUNNING and detail.run.stages_done == 0
    assert detail.run.created_at.tzinfo is not None
    answers = [
        CallRecord(
            stage=1,
            model="a",
            ok=True,
            position=0,
            text="4",
            answered_by="a-v2",
            usage=Usage(prompt_tokens=3, completion_tokens=1, total_tokens=4, cost=0.5),
            latency_ms=12.5,
            ttft_ms=3.0,
            finish_reason="stop",
        ),
        CallRecord(
            stage=1,
            model="b",
            ok=False,
            position=1,
            failure=ModelFailure(
                model="b", kind="rate_limited", message="HTTP 429: slow", status=429
            ),
        ),
    ]
    await store.record_stage(run_id, stage=1, calls=answers)
    review = CallRecord(
        stage=2,
        model="a",
        ok=True,
        text="FINAL RANKING:\n1. Response A",
        details={
            "presentation_order": ["Response A"],
            "parse_status": "ok",
            "parsed_ranking": ["Response A"],
            "own_label": "Response A",
        },
    )
    await store.record_stage(
        run_id,
        stage=2,
        calls=[review],
        label_to_model={"Response A": "a"},
        meta={"aggregate_rankings": [], "seed": 7},
    )
    assert await store.record_stage(run_id, stage=3, calls=[], final={"model": "c"}) is None
    chair = CallRecord(stage=3, model="c", ok=True, text="4!", usage=Usage(prompt_tokens=9))
    read_back = await store.record_stage(
        run_id,
        stage=3,
        calls=[chair],
        final={"model": "c", "response": "4!"},
        finish=RunStatus.COMPLETE,
        read_back=True,
    )
    detail = await store.get_run(run_id)
    # The run as the completing write read it back, in its job, is the run as stored.
    assert read_back is not None
    assert _columns(read_back.run) == _columns(detail.run) and read_back.calls == detail.calls
    assert detail.run.status == RunStatus.COMPLETE and detail.run.stages_done == 3
    assert detail.run.label_to_model == {"Response A": "a"}
    assert detail.run.final == {"model": "c", "response": "4!"}
    assert detail.run.finished_at is not None
    stored = {(c.stage, c.model): c for c in detail.calls}
    assert stored[(1, "a")].answered_by == "a-v2" and stored[(1, "a")].usage.cost == 0.5
    assert stored[(1, "a")].latency_ms == 12.5
    assert stored[(1, "b")].failure == answers[1].failure
    assert stored[(2, "a")].details["presentation_order"] == ["Response A"]
    full = await store.conversation_detail(conversation.id)
    assert [m.id for m in full.messages] == [message_id]
    assert [r.run.id for r in full.runs[message_id]] == [run_id]


async def test_history_holds_completed_turns_in_order(store: Store) -> None:
    conversation = await store.create_conversation()
    for i in range(3):
        run_id, _ = await _run(store, conversation.id, f"q{i}")
        if i != 1:  # the second turn never got a final answer
            await store.record_stage(
                run_id, stage=3, calls=[], final={"model": "c", "response": f"a{i}"}
            )
    assert await store.history(conversation.id, before_seq=4) == [("q0", "a0"), ("q2", "a2")]
    assert await store.history(conversation.id, before_seq=2) == [("q0", "a0")]


async def test_idempotency_key_is_unique_per_conversation(store: Store) -> None:
    first = await store.create_conversation()
    other = await store.create_conversation()
    run_id, _ = await _run(store, first.id, key="k")
    found = await store.find_run_by_key(first.id, "k")
    assert found is not None and found.id == run_id
    assert await store.find_run_by_key(other.id, "k") is None
    await _run(store, other.id, key="k")  # another conversation may reuse it
    with pytest.raises(ConflictError):
        await _run(store, first.id, key="k")
    # The failed insert left no orphan user message behind.
    assert len((await store.conversation_detail(first.id)).messages) == 1


async def test_crash_recovery_and_retry(store: Store) -> None:
    conversation = await store.create_conversation()
    dead, _ = await _run(store, conversation.id, worker="dead-process")
    mine, _ = await _run(store, conversation.id, worker="me")
    await store.record_stage(
        dead, stage=1, calls=[CallRecord(stage=1, model="a", ok=True, text="kept")]
    )
    await store.record_stage(
        dead, stage=0, calls=[CallRecord(stage=2, model="a", ok=True, text="half a stage")]
    )
    assert await store.interrupt_orphaned_runs(worker_id="me") == 1
    detail = await store.get_run(dead)
    assert detail.run.status == RunStatus.INTERRUPTED
    assert detail.run.error is not None and "stopped" in detail.run.error["message"]
    assert (await store.get_run(mine)).run.status == RunStatus.RUNNING
    with pytest.raises(ConflictError):
        await store.reset_for_retry(mine, worker_id="me")
    run = await store.reset_for_retry(dead, worker_id="me")
    assert run.status == RunStatus.RUNNING and run.attempts == 2 and run.error is None
    kept = (await store.get_run(dead)).calls
    assert [(c.stage, c.text) for c in kept] == [(1, "kept")]


async def test_list_search_rename_delete(store: Store) -> None:
    a = await store.create_conversation()
    b = await store.create_conversation(preset="default", members=["x", "y"], chairman="x")
    await store.update_conversation(a.id, title="50% off_sale")
    await store.update_conversation(b.id, title="Plain")
    assert [s.conversation.id for s in await store.list_conversations()] == [b.id, a.id]
    assert [s.conversation.id for s in await store.list_conversations(query="50%")] == [a.id]
    assert [s.conversation.id for s in await store.list_conversations(query="f_s")] == [a.id]
    assert await store.list_conversations(query="%") != []
    assert await store.list_conversations(query="_x") == []
    await _run(store, a.id)
    assert {s.conversation.id: s.message_count for s in await store.list_conversations()} == {
        a.id: 2,
        b.id: 0,
    }
    assert (await store.get_conversation(b.id)).members == ["x", "y"]
    await store.delete_conversation(a.id)
    with pytest.raises(NotFoundError):
        await store.get_conversation(a.id)
    with pytest.raises(NotFoundError):
        await store.delete_conversation(a.id)
    with pytest.raises(NotFoundError):
        await store.get_run("missing")
