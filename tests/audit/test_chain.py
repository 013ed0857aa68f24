"""The hash chain on SQLite and PostgreSQL: concurrent appends stay linear; any edit, deletion,
reordering or (with an anchor) truncation is found, and the report says where."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import delete, select, update

from llmcouncil.audit.chain import Actor, canonical_json
from llmcouncil.audit.log import AuditLog
from llmcouncil.audit.tables import AuditRow
from llmcouncil.audit.verify import Anchor
from llmcouncil.store.database import create_engine, upgrade

ALICE = Actor(user_id="u-1", name="alice", ip="10.0.0.1")


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[object]:
    engine = create_engine(database_url)
    await upgrade(engine)
    try:
        yield engine
    finally:
        await engine.dispose()


async def fill(log: AuditLog, n: int) -> None:
    for i in range(n):
        await log.record("test.event", actor=ALICE, target=f"t{i}", details={"i": i, "cost": 0.1})


async def test_concurrent_appends_from_two_writers_stay_one_chain(engine: object) -> None:
    first, second = AuditLog(engine), AuditLog(engine)  # type: ignore[arg-type]  # two processes
    await asyncio.gather(
        *(
            log.record("test.event", actor=ALICE, details={"i": i})
            for i in range(20)
            for log in (first, second)
        )
    )
    report = await first.verify()
    assert report.ok, report.problems
    assert report.records == 40 and report.head_seq == 40


async def test_an_edited_record_is_named(engine: object) -> None:
    log = AuditLog(engine)  # type: ignore[arg-type]
    await fill(log, 10)
    async with engine.begin() as conn:  # type: ignore[attr-defined]
        await conn.execute(
            update(AuditRow).where(AuditRow.seq == 5).values(details='{"cost":0.0,"i":4}')
        )
    report = await log.verify()
    assert [(p.seq, p.kind) for p in report.problems] == [(5, "altered")]
    assert "record 5" in report.problems[0].message


async def test_a_deleted_record_is_found(engine: object) -> None:
    log = AuditLog(engine)  # type: ignore[arg-type]
    await fill(log, 10)
    async with engine.begin() as conn:  # type: ignore[attr-defined]
        await conn.execute(delete(AuditRow).where(AuditRow.seq == 7))
    report = await log.verify()
    assert [(p.seq, p.kind) for p in report.problems] == [(7, "missing"), (8, "broken_link")]


async def test_reordered_records_are_found(engine: object) -> None:
    log = AuditLog(engine)  # type: ignore[arg-type]
    await fill(log, 6)
    async with engine.begin() as conn:  # type: ignore[attr-defined]
        rows = {r.seq: r for r in (await conn.execute(select(AuditRow))).all()}
        # Swap the contents of records 3 and 4 (each keeps its own hash, as a copy would).
        await conn.execute(delete(AuditRow).where(AuditRow.seq.in_([3, 4])))
        for seq, source in ((3, rows[4]), (4, rows[3])):
            values = dict(source._mapping)
            values["seq"] = seq
            await conn.execute(AuditRow.__table__.insert().values(**values))
    report = await log.verify()
    assert report.problems and {p.seq for p in report.problems} <= {3, 4, 5}
    assert any(p.kind == "altered" for p in report.problems)


async def test_a_cut_off_end_is_found_against_an_anchor(engine: object) -> None:
    log = AuditLog(engine)  # type: ignore[arg-type]
    await fill(log, 8)
    head = await log.verify()
    anchor = Anchor.parse(f"{head.head_seq}:{head.head_hash}")
    await fill(log, 2)
    assert (await log.verify(anchor=anchor)).ok  # the log grew past the anchor: fine
    async with engine.begin() as conn:  # type: ignore[attr-defined]
        await conn.execute(delete(AuditRow).where(AuditRow.seq >= 7))
    assert (await log.verify()).ok  # without an anchor a clean cut is invisible
    report = await log.verify(anchor=anchor)
    assert [(p.seq, p.kind) for p in report.problems] == [(8, "truncated")]


async def forge_last(engine: object, log: AuditLog) -> None:
    """Edit the last record and recompute its hash as plain SHA-256, as a database writer
    who knows the format (but not the key) would."""
    entry = [e async for e in log.entries()][-1]
    forged = dataclasses.replace(entry, details={**entry.details, "cost": 0.0})
    async with engine.begin() as conn:  # type: ignore[attr-defined]
        await conn.execute(
            update(AuditRow)
            .where(AuditRow.seq == entry.seq)
            .values(details=canonical_json(forged.details), hash=forged.compute_hash(None))
        )


@pytest.mark.parametrize("keyed", [False, True])
async def test_only_a_keyed_chain_resists_a_recomputed_hash(engine: object, keyed: bool) -> None:
    key = b"kept outside the database" if keyed else None
    log = AuditLog(engine, key=key)  # type: ignore[arg-type]
    await fill(log, 4)
    await forge_last(engine, log)
    report = await log.verify()
    if keyed:
        assert [(p.seq, p.kind) for p in report.problems] == [(4, "altered")]
    else:
        assert report.ok  # the documented limit of an unkeyed chain: use audit.key_env
