"""Documents in the database: stored with their sections in one transaction, read per run.

Plain functions of a connection run through ``store.transactions`` (a SQLite file's writer
thread, else the async engine), like the run path. A file already in the conversation (same
SHA-256) is not stored twice: ``add`` returns the stored one. Adding a document also stores
the conversation's re-sealed vault when the document's text added placeholders, in the same
transaction, so a placeholder never exists without its original, and only over the vault it was
read from (``store/vault_writes.py``).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from llmcouncil.documents.model import Section
from llmcouncil.documents.tables import DOCUMENT_CONTEXTS, DOCUMENT_SECTIONS, DOCUMENTS
from llmcouncil.errors import NotFoundError
from llmcouncil.store import transactions
from llmcouncil.store.tables import CONVERSATIONS, utcnow
from llmcouncil.store.vault_writes import VaultWrite, write_vault


@dataclass(slots=True)
class StoredSection:
    id: int
    document_id: str
    position: int
    number: str
    title: str
    level: int
    page_start: int | None
    page_end: int | None
    chars: int
    text: str
    summary: str | None

    @property
    def pages_label(self) -> str | None:
        return Section(0, "", "", 0, "", self.page_start, self.page_end).pages_label


@dataclass(slots=True)
class StoredDocument:
    id: str
    conversation_id: str
    kind: str
    media_type: str
    filename: str
    title: str
    content_hash: str
    size_bytes: int
    pages: int | None
    chars: int
    section_count: int
    meta: dict[str, Any]
    privacy: dict[str, Any] | None
    created_at: Any
    data: bytes | None = None
    sections: list[StoredSection] | None = None  # filled when asked for
    status: str = "ready"  # processing (its job not done), ready, failed (documents/processing)
    error: dict[str, Any] | None = None  # {code, message} when failed


_DOCUMENT_COLUMNS = [c for c in DOCUMENTS.c if c.name != "data"]


def _document(row: Mapping[Any, Any], *, data: bytes | None = None) -> StoredDocument:
    return StoredDocument(
        id=row["id"],
        conversation_id=row["conversation_id"],
        kind=row["kind"],
        media_type=row["media_type"],
        filename=row["filename"],
        title=row["title"],
        content_hash=row["content_hash"],
        size_bytes=row["size_bytes"],
        pages=row["pages"],
        chars=row["chars"],
        section_count=row["section_count"],
        meta=dict(row["metadata"] or {}),
        privacy=row["privacy"],
        created_at=row["created_at"],
        data=data,
        status=row.get("status") or "ready",
        error=row.get("error"),
    )


def _section(row: Mapping[Any, Any]) -> StoredSection:
    return StoredSection(
        id=row["id"],
        document_id=row["document_id"],
        position=row["position"],
        number=row["number"],
        title=row["title"],
        level=row["level"],
        page_start=row["page_start"],
        page_end=row["page_end"],
        chars=row["chars"],
        text=row["text"],
        summary=row["summary"],
    )


@dataclass(slots=True)
class NewDocument:
    conversation_id: str
    kind: str
    media_type: str
    filename: str
    title: str
    content_hash: str
    size_bytes: int
    pages: int | None
    meta: dict[str, Any]
    sections: Sequence[Section]
    privacy: dict[str, Any] | None
    data: bytes | None = None
    status: str = "ready"


class DocumentStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def find_by_hash(self, conversation_id: str, content_hash: str) -> StoredDocument | None:
        def work(connection: Connection) -> StoredDocument | None:
            row = (
                connection.execute(
                    select(*_DOCUMENT_COLUMNS).where(
                        DOCUMENTS.c.conversation_id == conversation_id,
                        DOCUMENTS.c.content_hash == content_hash,
                    )
                )
                .mappings()
                .first()
            )
            return _document(row) if row is not None else None

        return await transactions.read(self.engine, work)

    async def count(self, conversation_id: str) -> int:
        def work(connection: Connection) -> int:
            statement = select(func.count()).where(DOCUMENTS.c.conversation_id == conversation_id)
            return int(connection.execute(statement).scalar_one())

        return await transactions.read(self.engine, work)

    async def add(self, document: NewDocument, *, vault: VaultWrite | None) -> StoredDocument:
        """Store ``document`` with its sections and ``vault`` (when its text added
        placeholders) in one transaction; ``VaultChangedError`` and nothing stored when the
        conversation's vault is no longer the one ``vault`` was read from."""
        document_id = str(uuid.uuid4())
        values = {
            "id": document_id,
            "conversation_id": document.conversation_id,
            "kind": document.kind,
            "media_type": document.media_type,
            "filename": document.filename[:300],
            "title": document.title[:300],
            "content_hash": document.content_hash,
            "size_bytes": document.size_bytes,
            "pages": document.pages,
            "chars": sum(s.chars for s in document.sections),
            "section_count": len(document.sections),
            "metadata": document.meta,
            "data": document.data,
            "privacy": document.privacy,
            "created_at": utcnow(),
            "status": document.status,
            "error": None,
        }
        rows = section_rows(document_id, document)

        def work(connection: Connection) -> None:
            conversation_id = document.conversation_id
            if vault is not None:  # first: it may refuse the whole write
                write_vault(connection, conversation_id, vault)
            else:
                query = select(CONVERSATIONS.c.id).where(CONVERSATIONS.c.id == conversation_id)
                if connection.execute(query).first() is None:
                    raise NotFoundError(f"conversation {conversation_id} does not exist")
            connection.execute(insert(DOCUMENTS), values)
            if rows:
                connection.execute(insert(DOCUMENT_SECTIONS), rows)

        await transactions.write(self.engine, work)
        stored = _document(values)
        return stored

    async def list_documents(self, conversation_id: str) -> list[StoredDocument]:
        def work(connection: Connection) -> list[StoredDocument]:
            result = connection.execute(
                select(*_DOCUMENT_COLUMNS)
                .where(DOCUMENTS.c.conversation_id == conversation_id)
                .order_by(DOCUMENTS.c.created_at, DOCUMENTS.c.id)
            )
            return [_document(row) for row in result.mappings()]

        return await transactions.read(self.engine, work)

    async def get(
        self,
        conversation_id: str,
        document_id: str,
        *,
        sections: bool = False,
        data: bool = False,
    ) -> StoredDocument:
        columns = list(DOCUMENTS.c) if data else _DOCUMENT_COLUMNS

        def work(connection: Connection) -> StoredDocument:
            row = (
                connection.execute(
                    select(*columns).where(
                        DOCUMENTS.c.id == document_id,
                        DOCUMENTS.c.conversation_id == conversation_id,
                    )
                )
                .mappings()
                .first()
            )
            if row is None:
                raise NotFoundError(f"document {document_id} does not exist")
            document = _document(row, data=row["data"] if data else None)
            if sections:
                document.sections = _sections(connection, [document_id])[document_id]
            return document

        return await transactions.read(self.engine, work)

    async def for_conversation(self, conversation_id: str) -> list[StoredDocument]:
        """Every document of the conversation with its sections (and image bytes): a run's."""

        def work(connection: Connection) -> list[StoredDocument]:
            result = connection.execute(
                select(*DOCUMENTS.c)
                .where(DOCUMENTS.c.conversation_id == conversation_id)
                .order_by(DOCUMENTS.c.created_at, DOCUMENTS.c.id)
            )
            documents = [_document(row, data=row["data"]) for row in result.mappings()]
            by_id = _sections(connection, [d.id for d in documents])
            for document in documents:
                document.sections = by_id[document.id]
            return documents

        return await transactions.read(self.engine, work)

    async def section(
        self, conversation_id: str, document_id: str, position: int
    ) -> tuple[StoredDocument, StoredSection]:
        document = await self.get(conversation_id, document_id)

        def work(connection: Connection) -> StoredSection:
            row = (
                connection.execute(
                    select(*DOCUMENT_SECTIONS.c).where(
                        DOCUMENT_SECTIONS.c.document_id == document_id,
                        DOCUMENT_SECTIONS.c.position == position,
                    )
                )
                .mappings()
                .first()
            )
            if row is None:
                raise NotFoundError(f"document {document_id} has no section {position}")
            return _section(row)

        return document, await transactions.read(self.engine, work)

    async def conversation_of(self, document_id: str) -> str:
        def work(connection: Connection) -> str | None:
            query = select(DOCUMENTS.c.conversation_id).where(DOCUMENTS.c.id == document_id)
            return connection.execute(query).scalar()

        conversation_id = await transactions.read(self.engine, work)
        if conversation_id is None:
            raise NotFoundError(f"document {document_id} does not exist")
        return str(conversation_id)

    async def delete(self, conversation_id: str, document_id: str) -> None:
        def work(connection: Connection) -> int:
            result = connection.execute(
                delete(DOCUMENTS).where(
                    DOCUMENTS.c.id == document_id,
                    DOCUMENTS.c.conversation_id == conversation_id,
                )
            )
            return int(result.rowcount or 0)

        if not await transactions.write(self.engine, work):
            raise NotFoundError(f"document {document_id} does not exist")

    async def save_summaries(self, summaries: dict[int, str]) -> None:
        """Section id → summary; made once and kept: a section that has one already (written
        meanwhile by a run or the background job) keeps it."""
        if not summaries:
            return

        def work(connection: Connection) -> None:
            for section_id, summary in summaries.items():
                connection.execute(
                    update(DOCUMENT_SECTIONS)
                    .where(
                        DOCUMENT_SECTIONS.c.id == section_id,
                        DOCUMENT_SECTIONS.c.summary.is_(None),
                    )
                    .values(summary=summary)
                )

        await transactions.write(self.engine, work)

    async def record_context(
        self, *, run_id: str, conversation_id: str, context: dict[str, Any]
    ) -> None:
        values = {
            "run_id": run_id,
            "conversation_id": conversation_id,
            "context": context,
            "created_at": utcnow(),
        }

        def work(connection: Connection) -> None:
            connection.execute(
                delete(DOCUMENT_CONTEXTS).where(DOCUMENT_CONTEXTS.c.run_id == run_id)
            )
            connection.execute(insert(DOCUMENT_CONTEXTS), values)

        await transactions.write(self.engine, work)

    async def contexts(self, conversation_id: str) -> dict[str, dict[str, Any]]:
        """Run id → what that run was shown, for every run of the conversation that had any."""

        def work(connection: Connection) -> dict[str, dict[str, Any]]:
            result = connection.execute(
                select(DOCUMENT_CONTEXTS.c.run_id, DOCUMENT_CONTEXTS.c.context).where(
                    DOCUMENT_CONTEXTS.c.conversation_id == conversation_id
                )
            )
            return {row.run_id: dict(row.context) for row in result}

        return await transactions.read(self.engine, work)


def _sections(connection: Connection, document_ids: list[str]) -> dict[str, list[StoredSection]]:
    by_id: dict[str, list[StoredSection]] = {d: [] for d in document_ids}
    if not document_ids:
        return by_id
    result = connection.execute(
        select(*DOCUMENT_SECTIONS.c)
        .where(DOCUMENT_SECTIONS.c.document_id.in_(document_ids))
        .order_by(DOCUMENT_SECTIONS.c.document_id, DOCUMENT_SECTIONS.c.position)
    )
    for row in result.mappings():
        by_id[row["document_id"]].append(_section(row))
    return by_id


def section_rows(document_id: str, document: NewDocument) -> list[dict[str, Any]]:
    """The ``document_sections`` rows of a document read (no summary yet)."""
    return [
        {
            "document_id": document_id,
            "position": s.index,
            "number": s.number[:40],
            "title": s.title[:300],
            "level": s.level,
            "page_start": s.page_start,
            "page_end": s.page_end,
            "text": s.text,
            "chars": s.chars,
            "summary": None,
        }
        for s in document.sections
    ]
