"""The append-only audit log: appending under the chain's rules, reading with filters, export.

Appends in one process are serialised by a lock. Across processes, PostgreSQL serialises them
with a transaction-scoped advisory lock taken before the tip is read, so the tip read and the
insert are one step; on SQLite the database's single writer does the same (and this process
remembers the tip it appended last instead of reading it each time), and the unique ``seq`` and
``prev_hash`` make the loser of any remaining race retry on top of the winner. Nothing in the
package updates or deletes a record.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import os
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, insert, select, text
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlalchemy.orm import Session

from llmcouncil.audit.chain import (
    GENESIS,
    Actor,
    AuditEntry,
    audit_time,
    canonical_json,
)
from llmcouncil.audit.settings import AuditSettings
from llmcouncil.audit.tables import AuditRow
from llmcouncil.audit.verify import Anchor, ChainReport, verify_chain
from llmcouncil.errors import ConfigError, StoreError
from llmcouncil.store import transactions

log = logging.getLogger(__name__)
_APPEND_TRIES = 20
_ADVISORY_KEY = 0x4C4C4D_41554454  # "LLM" "AUDT": one lock for the whole chain
# Built once (see store/statements.py): every council appends a record.
_INSERT = insert(AuditRow)
_TIP = select(AuditRow.seq, AuditRow.hash).order_by(AuditRow.seq.desc()).limit(1)


@dataclass(frozen=True, slots=True)
class AuditFilter:
    action: str | None = None  # exact, or a prefix ending in "." ("auth.")
    actor_user_id: str | None = None
    target: str | None = None
    outcome: str | None = None
    since: str | None = None  # ISO times, compared as the stored strings
    until: str | None = None
    after_seq: int | None = None
    before_seq: int | None = None


def chain_key(settings: AuditSettings) -> bytes | None:
    if not settings.key_env:
        return None
    value = os.environ.get(settings.key_env, "")
    if not value:
        raise ConfigError([f"audit.key_env names ${settings.key_env}, which is unset"])
    return value.encode()


class AuditLog:
    def __init__(self, engine: AsyncEngine, *, key: bytes | None = None) -> None:
        self._engine = engine
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._key = key
        self._lock = asyncio.Lock()
        self._advisory = engine.dialect.name == "postgresql"
        # SQLite: the (seq, hash) this process appended last, so an append does not read the
        # tip again. Another writer's record makes the insert collide on ``seq``; the tip is
        # then read afresh. PostgreSQL reads it under the advisory lock every time.
        self._tip: tuple[int, str] | None = None

    async def record(
        self,
        action: str,
        *,
        actor: Actor,
        outcome: str = "success",
        target: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> AuditEntry:
        # Round-trip the details through canonical JSON now, so the hashed value is exactly
        # what a reader will parse back from the stored text.
        stored_details = canonical_json(details or {})

        def append(session: Session) -> AuditEntry:
            if self._advisory:
                session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_KEY})
            entry = self._next(session, action, actor, outcome, target, stored_details)
            session.execute(_INSERT, _row(entry, stored_details))
            return entry

        async with self._lock:
            for attempt in range(_APPEND_TRIES):
                try:
                    entry = await transactions.write_session(self._engine, append)
                    if not self._advisory:
                        self._tip = (entry.seq, entry.hash)
                    return entry
                except IntegrityError:
                    # Another process appended first: chain onto its record after a short,
                    # jittered pause so two writers do not keep colliding in step.
                    self._tip = None
                    await asyncio.sleep(random.uniform(0, 0.005 * (attempt + 1)))
                except SQLAlchemyError as exc:
                    self._tip = None
                    raise StoreError(f"could not write the audit log: {exc}") from exc
                except BaseException:
                    self._tip = None
                    raise
        raise StoreError("could not append to the audit log: too much contention")

    def _next(
        self,
        session: Session,
        action: str,
        actor: Actor,
        outcome: str,
        target: str | None,
        details: str,
    ) -> AuditEntry:
        tip = self._tip or (session.execute(_TIP)).first()
        seq, prev = (int(tip[0]) + 1, str(tip[1])) if tip else (1, GENESIS)
        draft = AuditEntry(
            seq=seq,
            created_at=audit_time(),
            action=action,
            outcome=outcome,
            actor=actor,
            target=target,
            details=json.loads(details),
            prev_hash=prev,
        )
        return dataclasses.replace(draft, hash=draft.compute_hash(self._key))

    async def query(self, filters: AuditFilter, *, limit: int = 100) -> list[AuditEntry]:
        stmt = _filtered(select(AuditRow), filters).order_by(AuditRow.seq.desc()).limit(limit)
        async with self._sessions() as session:
            rows = (await session.scalars(stmt)).all()
        return [_entry(r) for r in rows]

    async def entries(
        self, filters: AuditFilter | None = None, *, batch: int = 500
    ) -> AsyncIterator[AuditEntry]:
        """Every matching record, oldest first, read in batches."""
        after = 0
        base = filters or AuditFilter()
        while True:
            stmt = (
                _filtered(select(AuditRow), base)
                .where(AuditRow.seq > after)
                .order_by(AuditRow.seq)
                .limit(batch)
            )
            async with self._sessions() as session:
                rows = (await session.scalars(stmt)).all()
            for row in rows:
                yield _entry(row)
            if len(rows) < batch:
                return
            after = rows[-1].seq

    async def verify(self, *, anchor: Anchor | None = None) -> ChainReport:
        return await verify_chain(self.entries(), key=self._key, anchor=anchor)


def _filtered(stmt: Select[AuditRow], f: AuditFilter) -> Select[AuditRow]:
    if f.action:
        if f.action.endswith("."):
            stmt = stmt.where(AuditRow.action.startswith(f.action, autoescape=True))
        else:
            stmt = stmt.where(AuditRow.action == f.action)
    if f.actor_user_id:
        stmt = stmt.where(AuditRow.actor_user_id == f.actor_user_id)
    if f.target:
        stmt = stmt.where(AuditRow.target == f.target)
    if f.outcome:
        stmt = stmt.where(AuditRow.outcome == f.outcome)
    if f.since:
        stmt = stmt.where(AuditRow.created_at >= f.since)
    if f.until:
        stmt = stmt.where(AuditRow.created_at < f.until)
    if f.after_seq is not None:
        stmt = stmt.where(AuditRow.seq > f.after_seq)
    if f.before_seq is not None:
        stmt = stmt.where(AuditRow.seq < f.before_seq)
    return stmt


def _row(entry: AuditEntry, details: str) -> dict[str, Any]:
    return {
        "seq": entry.seq,
        "created_at": entry.created_at,
        "action": entry.action,
        "outcome": entry.outcome,
        "actor_user_id": entry.actor.user_id,
        "actor_name": entry.actor.name,
        "actor_key_id": entry.actor.key_id,
        "actor_ip": entry.actor.ip,
        "target": entry.target,
        "details": details,
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
    }


def _entry(row: AuditRow) -> AuditEntry:
    try:
        details = json.loads(row.details)
    except ValueError:
        details = {"unparseable": row.details}  # verification then reports it as altered
    return AuditEntry(
        seq=row.seq,
        created_at=row.created_at,
        action=row.action,
        outcome=row.outcome,
        actor=Actor(
            user_id=row.actor_user_id, name=row.actor_name, key_id=row.actor_key_id, ip=row.actor_ip
        ),
        target=row.target,
        details=details if isinstance(details, dict) else {"value": details},
        prev_hash=row.prev_hash,
        hash=row.hash,
    )
