"""Repository functions: every read and write the pipeline and the API make, one transaction each.

``Store`` is the conversation side (listing, details, history, titles, the privacy vault) on top
of ``RunStore`` (``store/runs.py``: the write-ahead run path); the detail types live in
``store/records.py`` and are re-exported here, where callers import them from.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, delete, func, select, update

from llmcouncil.errors import NotFoundError
from llmcouncil.records import CallRecord, RunStatus, Stage
from llmcouncil.store import statements as sql
from llmcouncil.store import transactions
from llmcouncil.store.records import (
    DEFAULT_TITLE,
    ConversationDetail,
    ConversationSummary,
    RunDetail,
    run_row,
)
from llmcouncil.store.runs import RunStore, calls_of
from llmcouncil.store.tables import (
    ConversationRow,
    MessageRow,
    RunRow,
    utcnow,
)
from llmcouncil.store.vault_writes import VaultWrite, write_vault

__all__ = ["DEFAULT_TITLE", "ConversationDetail", "ConversationSummary", "RunDetail", "Store"]


class Store(RunStore):
    # conversations -----------------------------------------------------------------------

    async def create_conversation(
        self,
        *,
        preset: str | None = None,
        members: list[str] | None = None,
        chairman: str | None = None,
        user_id: str | None = None,
        source: str = "web",
        reasoning: dict[str, Any] | None = None,
    ) -> ConversationRow:
        now = utcnow()
        values: dict[str, Any] = {
            "id": str(uuid.uuid4()),
            "title": DEFAULT_TITLE,
            "preset": preset,
            "members": members,
            "chairman": chairman,
            "reasoning": reasoning,
            "pii_vault": None,
            "user_id": user_id,
            "source": source,
            "created_at": now,
            "updated_at": now,
        }
        await transactions.write(
            self.engine, lambda connection: connection.execute(sql.INSERT_CONVERSATION, values)
        )
        return ConversationRow(**values)

    async def list_conversations(
        self,
        *,
        query: str | None = None,
        limit: int = 500,
        owner_id: str | None = None,
        sources: Sequence[str] | None = None,
    ) -> list[ConversationSummary]:
        """``owner_id``: only that user's conversations; None: every conversation.

        ``sources``: only conversations started from one of these (web, api, cli, v1, mcp).
        """
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
        if sources is not None:
            stmt = stmt.where(ConversationRow.source.in_(list(sources)))
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
        return await transactions.read(
            self.engine, lambda connection: _conversation(connection, conversation_id)
        )

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
        def work(
            connection: Connection,
        ) -> tuple[ConversationRow, list[MessageRow], list[RunRow], dict[str, list[CallRecord]]]:
            conversation = _conversation(connection, conversation_id)
            key = {"conversation_id": conversation_id}
            messages = [
                MessageRow(**m)
                for m in connection.execute(sql.MESSAGES_OF_CONVERSATION, key).mappings()
            ]
            runs = [
                run_row(self.unrecorded.overlay(r))
                for r in connection.execute(sql.RUNS_OF_CONVERSATION, key).mappings()
            ]
            return conversation, messages, runs, calls_of(connection, [r.id for r in runs])

        await self.unrecorded.try_write(self.engine)
        conversation, messages, runs, calls = await transactions.read(self.engine, work)
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
        return await transactions.read(
            self.engine,
            lambda connection: _history(connection, conversation_id, before_seq=before_seq),
        )

    async def conversation_with_history(
        self, conversation_id: str, *, before_seq: int
    ) -> tuple[ConversationRow, list[tuple[str, str]]]:
        """``get_conversation`` and ``history`` on one connection: the start of a run reads both."""

        def work(connection: Connection) -> tuple[ConversationRow, list[tuple[str, str]]]:
            row = _conversation(connection, conversation_id)
            return row, _history(connection, conversation_id, before_seq=before_seq)

        return await transactions.read(self.engine, work)

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
                    status=RunStatus.COMPLETE,
                    seed=0,
                    council={"seeded": True},
                    final=final,
                    stages_done=Stage.FINAL,
                    attempts=1,
                    simulated=False,
                    finished_at=utcnow(),
                )
                for m, (_q, final) in zip(messages, turns, strict=True)
            )

    async def save_vault(self, conversation_id: str, pii_vault: VaultWrite) -> None:
        """The re-sealed vault, if the stored one is still the one it was read as (else
        ``VaultChangedError``, nothing written: store/vault_writes.py)."""
        await transactions.write(
            self.engine, lambda connection: write_vault(connection, conversation_id, pii_vault)
        )

    async def set_title(self, conversation_id: str, title: str) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                update(ConversationRow)
                .where(ConversationRow.id == conversation_id)
                .values(title=title)
            )


def _conversation(connection: Connection, conversation_id: str) -> ConversationRow:
    row = (
        connection.execute(sql.CONVERSATION, {"conversation_id": conversation_id})
        .mappings()
        .first()
    )
    if row is None:
        raise NotFoundError(f"conversation {conversation_id} does not exist")
    return ConversationRow(**row)


def _history(
    connection: Connection, conversation_id: str, *, before_seq: int
) -> list[tuple[str, str]]:
    rows = connection.execute(
        sql.HISTORY, {"conversation_id": conversation_id, "before_seq": before_seq}
    ).all()
    pairs: dict[str, tuple[str, str]] = {}  # by message: a question asked twice is 2 turns
    for message_id, question, final in rows:
        if isinstance(final, dict) and final.get("response"):
            # a retried run's answer replaces
            pairs[message_id] = (question, str(final["response"]))
    return list(pairs.values())
