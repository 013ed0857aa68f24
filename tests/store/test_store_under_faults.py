"""The store when the database refuses writes or loses its connection, on SQLite and PostgreSQL.

Faults are the database's own (``storage_faults.StorageFault``): a SQLite file at its page
limit, a read-only SQLite connection or PostgreSQL transaction, a terminated backend.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from storage_faults import FaultKind, StorageFault

from llmcouncil.errors import ConflictError, StorageError, StoreError
from llmcouncil.records import CallRecord, RunStatus
from llmcouncil.store import transactions
from llmcouncil.store.database import create_engine, upgrade
from llmcouncil.store.repository import Store


def _kind(database_url: str) -> FaultKind:
    return "full" if database_url.startswith("sqlite") else "read_only"


async def _running_run(store: Store, *, worker: str = "w1") -> tuple[str, str]:
    conversation = await store.create_conversation()
    run, _message = await store.start_run(
        conversation_id=conversation.id,
        content="q",
        idempotency_key=None,
        council={"members": ["a"]},
        seed=1,
        simulated=False,
        worker_id=worker,
    )
    return conversation.id, run.id


def _answers(size: int = 3000) -> list[CallRecord]:
    # Bigger than a page's free room together: a write of them needs new pages.
    return [
        CallRecord(stage=1, model=f"m{i}", ok=True, position=i, text=f"answer {i} " + "x" * size)
        for i in range(4)
    ]


async def _stored_status(store: Store, run_id: str) -> tuple[str, object]:
    """The row as the database holds it (not this process's view of it)."""
    async with store.engine.connect() as connection:
        row = (
            await connection.execute(
                text("SELECT status, error FROM runs WHERE id = :id"), {"id": run_id}
            )
        ).one()
    error = json.loads(row.error) if isinstance(row.error, str) else row.error  # SQLite: text
    return str(row.status), error


async def test_a_refused_write_is_a_storage_error_with_the_databases_reason(
    store: Store, database_url: str
) -> None:
    _cid, run_id = await _running_run(store)
    with StorageFault(database_url, kind=_kind(database_url)) as fault:
        fault.trip()
        with pytest.raises(StorageError) as refused:
            await store.record_stage(run_id, stage=1, calls=_answers())
        detail = await store.get_run(run_id)  # reads still work
        fault.clear()
        await store.record_stage(run_id, stage=1, calls=_answers())
    assert refused.value.code == "storage_unavailable"
    assert isinstance(refused.value, StoreError)
    expected = "database or disk is full" if _kind(database_url) == "full" else "read-only"
    assert expected in refused.value.message
    assert detail.run.stages_done == 0
    assert (await store.get_run(run_id)).run.stages_done == 1


async def test_a_new_conversation_while_the_database_refuses_is_a_storage_error(
    store: Store, database_url: str
) -> None:
    with StorageFault(database_url, kind="read_only") as fault:
        fault.trip()
        with pytest.raises(StorageError) as refused:
            await store.create_conversation()
        fault.clear()
        await store.create_conversation()
    assert "read" in refused.value.message


async def test_constraint_errors_are_not_storage_failures(store: Store) -> None:
    conversation = await store.create_conversation()

    def duplicate(connection: Connection) -> None:
        connection.execute(
            text(
                "INSERT INTO conversations (id, title, created_at, updated_at) "
                "VALUES (:id, 't', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            ),
            {"id": conversation.id},
        )

    with pytest.raises(IntegrityError):
        await transactions.write(store.engine, duplicate)


async def test_a_refused_end_is_shown_then_written_once_the_database_works(
    store: Store, database_url: str
) -> None:
    cid, run_id = await _running_run(store)
    error = {"code": "storage_unavailable", "message": "storage unavailable: disk full"}
    with StorageFault(database_url, kind="read_only") as fault:
        fault.trip()
        with pytest.raises(StorageError):
            await store.finish_run(run_id, status=RunStatus.FAILED, error=error)
        assert await _stored_status(store, run_id) == (RunStatus.RUNNING, None)
        # This process shows the end it could not write, in every read of the run.
        assert (await store.get_run(run_id)).run.status == RunStatus.FAILED
        shown = (await store.conversation_detail(cid)).runs
        assert [d.run.status for details in shown.values() for d in details] == [RunStatus.FAILED]
        assert (await store.get_run(run_id)).run.error == error
        fault.clear()
        # The next read writes it.
        assert (await store.get_run(run_id)).run.status == RunStatus.FAILED
        assert await _stored_status(store, run_id) == (RunStatus.FAILED, error)
        assert len(store.unrecorded) == 0
        reset = await store.reset_for_retry(run_id, worker_id="w2")
    assert reset.status == RunStatus.RUNNING and reset.attempts == 2


async def test_a_running_row_resets_only_when_its_worker_says_it_is_idle(store: Store) -> None:
    _cid, run_id = await _running_run(store, worker="w1")
    with pytest.raises(ConflictError):
        await store.reset_for_retry(run_id, worker_id="w2")
    with pytest.raises(ConflictError):  # another worker's running run may be live
        await store.reset_for_retry(run_id, worker_id="w2", idle_worker="w2")
    reset = await store.reset_for_retry(run_id, worker_id="w1", idle_worker="w1")
    assert reset.status == RunStatus.RUNNING and reset.attempts == 2


async def test_a_retry_while_the_database_refuses_is_a_storage_error(
    store: Store, database_url: str
) -> None:
    _cid, run_id = await _running_run(store)
    with StorageFault(database_url, kind="read_only") as fault:
        fault.trip()
        with pytest.raises(StorageError):
            await store.finish_run(run_id, status=RunStatus.FAILED, error=None)
        with pytest.raises(StorageError):
            await store.reset_for_retry(run_id, worker_id="w1", idle_worker="w1")
        fault.clear()
        reset = await store.reset_for_retry(run_id, worker_id="w1", idle_worker="w1")
    assert reset.attempts == 2


@pytest.mark.postgres
async def test_a_lost_connection_is_a_storage_error_and_the_pool_recovers(
    database_url: str,
) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("a server connection to lose is PostgreSQL's")
    import asyncpg

    engine = create_engine(database_url)
    url = make_url(database_url)
    try:
        await upgrade(engine)
        store = Store(engine)
        _cid, run_id = await _running_run(store)
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
            admin = await asyncpg.connect(
                host=url.host, port=url.port, user=url.username, database=url.database
            )
            try:
                await admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = $1 AND pid <> pg_backend_pid()",
                    url.database,
                )
            finally:
                await admin.close()
            with pytest.raises(StorageError) as lost:
                await connection.execute(text("SELECT 1"))
        assert "connection" in lost.value.message
        assert (await store.get_run(run_id)).run.status == RunStatus.RUNNING  # a new connection
    finally:
        await engine.dispose()
