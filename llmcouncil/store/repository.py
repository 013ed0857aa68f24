"""Repository functions: every read and write the pipeline and the API make, one transaction each.

Write-ahead: ``start_run`` commits the user message and a ``running`` run before any upstream
call; ``record_stage`` commits each stage as it completes; ``interrupt_orphaned_runs`` turns runs
a crash left ``running`` into ``interrupted`` at start-up, keeping their partial results.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from llmcouncil.council.results import (
    RUN_COMPLETE,
    RUN_INTERRUPTED,
    RUN_RUNNING,
    STAGE_FINAL,
    CallRecord,
)
from llmcouncil.errors import (
    ConflictError,
    ModelFailure,
    NotFoundError,
    PrivacyVaultError,
    StoreError,
)
from llmcouncil.privacy.vault import PiiVault, VaultCipher
from llmcouncil.providers.base import Usage
from llmcouncil.store.tables import ConversationRow, MessageRow, ModelCallRow, RunRow, utcnow

DEFAULT_TITLE = "New Conversation"
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ConversationSummary:
    conversation: ConversationRow
    message_count: int
    vault: PiiVault | None = None  # opened only when the title may hold a placeholder


@dataclass(slots=True)
class RunDetail:
    run: RunRow
    calls: list[CallRecord] = field(default_factory=list)
    vault: PiiVault | None = None  # the conversation's placeholders, to restore what is shown


@dataclass(slots=True)
class ConversationDetail:
    conversation: ConversationRow
    messages: list[MessageRow]
    runs: dict[str, list[RunDetail]]  # message id → its runs, oldest first
    vault: PiiVault | None = None


class Store:
    def __init__(self, engine: AsyncEngine, *, vaults: VaultCipher | None = None) -> None:
        self.engine = engine
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._vaults = vaults  # None: details carry no vault, placeholders show as stored

    def open_vault(self, conversation: ConversationRow) -> PiiVault | None:
        """The conversation's vault for display; one that will not open is logged, not fatal."""
        if self._vaults is None or not conversation.pii_vault:
            return None
        try:
            where = f"conversation {conversation.id}"
            return self._vaults.open(conversation.pii_vault, where=where)
        except PrivacyVaultError as exc:
            log.warning("%s; showing placeholders", exc.problems[0])
            return None

    async def ping(self) -> None:
        try:
            async with self.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except (SQLAlchemyError, OSError) as exc:
            raise StoreError(f"database is not reachable: {exc}") from exc

    # conversations -----------------------------------------------------------------------

    async def create_conversation(
        self,
        *,
        preset: str | None = None,
        members: list[str] | None = None,
        chairman: str | None = None,
        user_id: str | None = None,
    ) -> ConversationRow:
        row = ConversationRow(
            id=str(uuid.uuid4()),
            title=DEFAULT_TITLE,
            preset=preset,
            members=members,
            chairman=chairman,
            user_id=user_id,
        )
        async with self._sessions.begin() as session:
            session.add(row)
        return row

    async def list_conversations(
        self, *, query: str | None = None, limit: int = 500, owner_id: str | None = None
    ) -> list[ConversationSummary]:
        """``owner_id``: only that user's conversations; None: every conversation."""
        counts = (
            select(MessageRow.conversation_id, func.count().label("n"))
            .group_by(MessageRow.conversation_id)
            .subquery()
        )
        stmt = (
            select(ConversationRow, func.coalesce(counts.c.n, 0))
            .outerjoin(counts, counts.c.conversation_id == ConversationRow.id)
            .order_by(ConversationRow.updated_at.desc(), ConversationRow.id)
            .limit(limit)
        )
        if owner_id is not None:
            stmt = stmt.where(ConversationRow.user_id == owner_id)
        if query:
            escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            stmt = stmt.where(ConversationRow.title.ilike(f"%{escaped}%", escape="\\"))
        async with self._sessions() as session:
            rows = (await session.execute(stmt)).all()
        # A conversation's messages are user + assistant turns in the original API.
        return [
            ConversationSummary(
                conversation=c,
                message_count=int(n) * 2,
                vault=self.open_vault(c) if "<" in c.title else None,
            )
            for c, n in rows
        ]

    async def get_conversation(self, conversation_id: str) -> ConversationRow:
        async with self._sessions() as session:
            row = await session.get(ConversationRow, conversation_id)
        if row is None:
            raise NotFoundError(f"conversation {conversation_id} does not exist")
        return row

    async def update_conversation(self, conversation_id: str, **changes: Any) -> ConversationRow:
        async with self._sessions.begin() as session:
            row = await session.get(ConversationRow, conversation_id)
            if row is None:
                raise NotFoundError(f"conversation {conversation_id} does not exist")
            for name, value in changes.items():
                setattr(row, name, value)
            row.updated_at = utcnow()
        return row

    async def delete_conversation(self, conversation_id: str) -> None:
        async with self._sessions.begin() as session:
            result = await session.execute(
                delete(ConversationRow).where(ConversationRow.id == conversation_id)
            )
        if not getattr(result, "rowcount", 0):
            raise NotFoundError(f"conversation {conversation_id} does not exist")

    async def conversation_detail(self, conversation_id: str) -> ConversationDetail:
        async with self._sessions() as session:
            conversation = await session.get(ConversationRow, conversation_id)
            if conversation is None:
                raise NotFoundError(f"conversation {conversation_id} does not exist")
            messages = list(
                (
                    await session.scalars(
                        select(MessageRow)
                        .where(MessageRow.conversation_id == conversation_id)
                        .order_by(MessageRow.seq)
                    )
                ).all()
            )
            runs = list(
                (
                    await session.scalars(
                        select(RunRow)
                        .where(RunRow.conversation_id == conversation_id)
                        .order_by(RunRow.created_at, RunRow.id)
                    )
                ).all()
            )
            calls = await self._calls(session, [r.id for r in runs])
        by_message: dict[str, list[RunDetail]] = {}
        for run in runs:
            by_message.setdefault(run.message_id, []).append(
                RunDetail(run=run, calls=calls.get(run.id, []))
            )
        vault = self.open_vault(conversation)
        for details in by_message.values():
            for detail in details:
                detail.vault = vault
        return ConversationDetail(
            conversation=conversation, messages=messages, runs=by_message, vault=vault
        )

    async def history(self, conversation_id: str, *, before_seq: int) -> list[tuple[str, str]]:
        """Earlier (question, final answer) pairs of completed runs, oldest first."""
        stmt = (
            select(MessageRow.id, MessageRow.content, RunRow.final)
            .join(RunRow, RunRow.message_id == MessageRow.id)
            .where(
                MessageRow.conversation_id == conversation_id,
                MessageRow.seq < before_seq,
                RunRow.final.is_not(None),
            )
            .order_by(MessageRow.seq, RunRow.created_at)
        )
        async with self._sessions() as session:
            rows = (await session.execute(stmt)).all()
        pairs: dict[str, tuple[str, str]] = {}  # by message: a question asked twice is 2 turns
        for message_id, question, final in rows:
            if isinstance(final, dict) and final.get("response"):
                # a retried run's answer replaces
                pairs[message_id] = (question, str(final["response"]))
        return list(pairs.values())

    async def seed_history(
        self, conversation_id: str, turns: Sequence[tuple[str, dict[str, Any]]]
    ) -> None:
        """Earlier turns an API client supplied: each a question and a finished, never-run run
        whose ``final`` is the client's answer, in one transaction, before any real run."""
        messages = [
            MessageRow(id=str(uuid.uuid4()), conversation_id=conversation_id, seq=seq, content=q)
            for seq, (q, _final) in enumerate(turns, start=1)
        ]
        async with self._sessions.begin() as session:
            session.add_all(messages)
            await session.flush()
            session.add_all(
                RunRow(
                    id=str(uuid.uuid4()),
                    conversation_id=conversation_id,
                    message_id=m.id,
                    status=RUN_COMPLETE,
                    seed=0,
                    council={"seeded": True},
                    final=final,
                    stages_done=STAGE_FINAL,
                    attempts=1,
                    simulated=False,
                    finished_at=utcnow(),
                )
                for m, (_q, final) in zip(messages, turns, strict=True)
            )

    # runs ---------------------------------------------------------------------------------

    async def start_run(
        self,
        *,
        conversation_id: str,
        content: str,
        idempotency_key: str | None,
        council: dict[str, Any],
        seed: int,
        simulated: bool,
        worker_id: str,
        pii_vault: str | None = None,
        privacy: dict[str, Any] | None = None,
        user_id: str | None = None,
        api_key_id: str | None = None,
    ) -> tuple[RunRow, MessageRow]:
        """``pii_vault``: the conversation's re-sealed vault, written in the same transaction."""
        try:
            async with self._sessions.begin() as session:
                conversation = await session.get(ConversationRow, conversation_id)
                if conversation is None:
                    raise NotFoundError(f"conversation {conversation_id} does not exist")
                seq = await session.scalar(
                    select(func.coalesce(func.max(MessageRow.seq), 0)).where(
                        MessageRow.conversation_id == conversation_id
                    )
                )
                message = MessageRow(
                    id=str(uuid.uuid4()),
                    conversation_id=conversation_id,
                    seq=int(seq or 0) + 1,
                    content=content,
                )
                run = RunRow(
                    id=str(uuid.uuid4()),
                    conversation_id=conversation_id,
                    message_id=message.id,
                    status=RUN_RUNNING,
                    idempotency_key=idempotency_key,
                    seed=seed,
                    council=council,
                    simulated=simulated,
                    worker_id=worker_id,
                    user_id=user_id,
                    api_key_id=api_key_id,
                    stages_done=0,
                    attempts=1,
                    privacy=privacy,
                )
                conversation.updated_at = utcnow()
                if pii_vault is not None:
                    conversation.pii_vault = pii_vault
                session.add(message)
                await session.flush()
                session.add(run)
        except IntegrityError as exc:
            raise ConflictError("a run with this Idempotency-Key was started concurrently") from exc
        return run, message

    async def find_run_by_key(self, conversation_id: str, key: str) -> RunRow | None:
        async with self._sessions() as session:
            return await session.scalar(
                select(RunRow).where(
                    RunRow.conversation_id == conversation_id, RunRow.idempotency_key == key
                )
            )

    async def get_run(self, run_id: str) -> RunDetail:
        async with self._sessions() as session:
            run = await session.get(RunRow, run_id)
            if run is None:
                raise NotFoundError(f"run {run_id} does not exist")
            calls = await self._calls(session, [run_id])
            conversation = (
                await session.get(ConversationRow, run.conversation_id)
                if self._vaults is not None
                else None
            )
        vault = self.open_vault(conversation) if conversation is not None else None
        return RunDetail(run=run, calls=calls.get(run_id, []), vault=vault)

    async def save_vault(self, conversation_id: str, pii_vault: str) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                update(ConversationRow)
                .where(ConversationRow.id == conversation_id)
                .values(pii_vault=pii_vault)
            )

    async def get_message(self, message_id: str) -> MessageRow:
        async with self._sessions() as session:
            message = await session.get(MessageRow, message_id)
        if message is None:
            raise NotFoundError(f"message {message_id} does not exist")
        return message

    async def record_stage(
        self, run_id: str, *, stage: int, calls: Sequence[CallRecord], **run_fields: Any
    ) -> None:
        """Commit a completed stage: its calls, and what it decided, in one transaction."""
        async with self._sessions.begin() as session:
            session.add_all(_call_row(run_id, c) for c in calls)
            values = dict(run_fields)
            if stage > 0:
                values["stages_done"] = stage
            if values:
                await session.execute(update(RunRow).where(RunRow.id == run_id).values(**values))

    async def finish_run(
        self, run_id: str, *, status: str, error: dict[str, Any] | None = None
    ) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                update(RunRow)
                .where(RunRow.id == run_id)
                .values(status=status, error=error, finished_at=utcnow())
            )

    async def set_title(self, conversation_id: str, title: str) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                update(ConversationRow)
                .where(ConversationRow.id == conversation_id)
                .values(title=title)
            )

    async def reset_for_retry(self, run_id: str, *, worker_id: str) -> RunRow:
        """Drop the calls of unfinished stages and mark the run running again."""
        async with self._sessions.begin() as session:
            run = await session.get(RunRow, run_id, with_for_update=True)
            if run is None:
                raise NotFoundError(f"run {run_id} does not exist")
            if run.status == RUN_RUNNING:
                raise ConflictError(f"run {run_id} is still running")
            await session.execute(
                delete(ModelCallRow).where(
                    ModelCallRow.run_id == run_id, ModelCallRow.stage > run.stages_done
                )
            )
            run.status = RUN_RUNNING
            run.error = None
            run.finished_at = None
            run.attempts += 1
            run.worker_id = worker_id
        return run

    async def interrupt_orphaned_runs(self, *, worker_id: str) -> int:
        """Runs left ``running`` by another (dead) process become ``interrupted``."""
        try:
            async with self._sessions.begin() as session:
                result = await session.execute(
                    update(RunRow)
                    .where(
                        RunRow.status == RUN_RUNNING,
                        (RunRow.worker_id != worker_id) | RunRow.worker_id.is_(None),
                    )
                    .values(
                        status=RUN_INTERRUPTED,
                        finished_at=utcnow(),
                        error={
                            "code": "interrupted",
                            "message": "the server stopped while this run was in progress",
                        },
                    )
                )
        except OperationalError as exc:
            raise StoreError(f"database is not reachable: {exc}") from exc
        return int(getattr(result, "rowcount", 0) or 0)

    async def _calls(
        self, session: AsyncSession, run_ids: list[str]
    ) -> dict[str, list[CallRecord]]:
        if not run_ids:
            return {}
        rows = (
            await session.scalars(
                select(ModelCallRow)
                .where(ModelCallRow.run_id.in_(run_ids))
                .order_by(ModelCallRow.stage, ModelCallRow.position, ModelCallRow.id)
            )
        ).all()
        calls: dict[str, list[CallRecord]] = {}
        for row in rows:
            calls.setdefault(row.run_id, []).append(_call_record(row))
        return calls


def _call_row(run_id: str, record: CallRecord) -> ModelCallRow:
    return ModelCallRow(
        run_id=run_id,
        stage=record.stage,
        position=record.position,
        model=record.model,
        answered_by=record.answered_by,
        fallback_from=record.fallback_from,
        fallback_reason=record.fallback_reason,
        ok=record.ok,
        text=record.text,
        error=record.failure.as_dict() if record.failure else None,
        prompt_tokens=record.usage.prompt_tokens,
        completion_tokens=record.usage.completion_tokens,
        cost=record.usage.cost,
        latency_ms=record.latency_ms,
        ttft_ms=record.ttft_ms,
        finish_reason=record.finish_reason,
        simulated=record.simulated,
        details=record.details or None,
    )


def _call_record(row: ModelCallRow) -> CallRecord:
    failure = None
    if row.error:
        failure = ModelFailure(
            model=str(row.error.get("model", row.model)),
            kind=str(row.error.get("kind", "internal")),
            message=str(row.error.get("message", "")),
            status=row.error.get("status"),
        )
    return CallRecord(
        stage=row.stage,
        model=row.model,
        ok=row.ok,
        position=row.position,
        text=row.text,
        answered_by=row.answered_by,
        fallback_from=row.fallback_from,
        fallback_reason=row.fallback_reason,
        failure=failure,
        usage=Usage(
            prompt_tokens=row.prompt_tokens,
            completion_tokens=row.completion_tokens,
            total_tokens=row.prompt_tokens + row.completion_tokens,
            cost=row.cost,
        ),
        latency_ms=row.latency_ms,
        ttft_ms=row.ttft_ms,
        finish_reason=row.finish_reason,
        simulated=row.simulated,
        details=dict(row.details or {}),
    )
