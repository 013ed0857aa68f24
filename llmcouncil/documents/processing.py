"""An upload read in the background: stored ``processing`` at once, read by a job.

``DocumentUploads.submit`` answers an upload within the request: the file's size and type are
checked there (413, 415, 422 for an empty file: nothing stored, no job), its name is redacted,
and the document is stored with its bytes and the status ``processing``; then the job
``document`` (its key: the document's id) is enqueued on the deployment's ``JobQueue`` — a
task of this process without Redis, a ``council worker`` with it (jobs/deployment.py).

The job (``DocumentUploads.process``) reads the bytes in the spawned reader, redacts the text
under the conversation's vault lock and stores sections, title and the re-sealed vault with
the status ``ready`` in one transaction, dropping the bytes (an image keeps them); a file the
reader refuses becomes ``failed`` with the reason. The vault is stored only over the one the
text was redacted against: when another process (a second worker, a server) wrote it
meanwhile, the text is redacted again (``store/vault_writes.py``). It is idempotent: a job
delivered twice (SAQ delivers at least once; a crash before the last write) finds the document
no longer ``processing`` and does nothing, and the final write only changes a ``processing``
row.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from llmcouncil.documents.formats import detect_kind
from llmcouncil.documents.repository import NewDocument, StoredDocument, section_rows
from llmcouncil.documents.service import DocumentService
from llmcouncil.documents.tables import DOCUMENT_SECTIONS, DOCUMENTS
from llmcouncil.errors import ConflictError, CouncilError, NotFoundError, PiiBlockedError
from llmcouncil.jobs.queue import JobQueue
from llmcouncil.store import transactions
from llmcouncil.store.vault_writes import VaultWrite, retry_on_vault_change, write_vault

log = logging.getLogger(__name__)

KIND = "document"
PROCESSING, READY, FAILED = "processing", "ready", "failed"


@dataclass(frozen=True, slots=True)
class Submitted:
    document: StoredDocument
    created: bool  # False: the same file was already attached


class DocumentUploads:
    def __init__(self, service: DocumentService, queue: JobQueue | None = None) -> None:
        self.service = service
        self.queue = queue

    @property
    def by_workers(self) -> bool:
        """Whether its jobs run in ``council worker`` processes rather than in this one."""
        return self.queue is not None and self.queue.engine != "local"

    async def submit(
        self, conversation_id: str, data: bytes, *, filename: str, content_type: str | None
    ) -> Submitted:
        """Store the upload ``processing`` and enqueue its job; bad input refused first."""
        service = self.service
        service.check_size(data, filename=filename)
        kind = detect_kind(data, filename=filename, content_type=content_type)  # 415
        await service.store.get_conversation(conversation_id)  # 404
        content_hash = hashlib.sha256(data).hexdigest()
        existing = await service.documents.find_by_hash(conversation_id, content_hash)
        if existing is not None:
            return Submitted(existing, created=False)
        if await service.documents.count(conversation_id) >= service.settings.max_documents:
            raise ConflictError(
                f"the conversation already holds {service.settings.max_documents} documents; "
                "remove one first"
            )

        async def redact_and_store() -> StoredDocument:  # against the vault as it is now
            conversation = await service.store.get_conversation(conversation_id)
            name, vault = await service.redacted_name(filename, conversation=conversation)
            pending = NewDocument(
                conversation_id=conversation_id,
                kind=kind,
                media_type=content_type or "application/octet-stream",
                filename=name,
                title=name,
                content_hash=content_hash,
                size_bytes=len(data),
                pages=None,
                meta={"suffix": PurePosixPath(filename.lower()).suffix[:12]},
                sections=[],
                privacy=None,
                data=data,
                status=PROCESSING,
            )
            return await service.documents.add(pending, vault=vault)

        async with service.privacy.writing(conversation_id):
            document = await retry_on_vault_change(
                redact_and_store, conversation_id=conversation_id
            )
        if self.queue is not None:
            await self.queue.enqueue(KIND, document.id)
        return Submitted(document, created=True)

    async def process(self, document_id: str) -> None:
        """The job: read, redact and store the document, or mark it failed."""
        service = self.service
        row = await _pending(service, document_id)
        if row is None:  # done, failed or deleted: a second delivery does nothing
            return
        # The stored (redacted) name, with the upload's suffix the reader goes by.
        suffix = str((row["metadata"] or {}).get("suffix") or "")
        name = row["filename"] or "document"
        if suffix and not name.lower().endswith(suffix):
            name += suffix
        try:
            extracted = await service.reader.read(
                row["data"], filename=name, content_type=row["media_type"]
            )
        except CouncilError as exc:
            await _fail(service, document_id, exc)
            return
        conversation_id = row["conversation_id"]

        async def redact_and_store() -> bool:  # against the vault as it is now
            conversation = await service.store.get_conversation(conversation_id)
            new, vault = await service.redacted(
                extracted,
                conversation=conversation,
                filename=row["filename"],
                content_hash=row["content_hash"],
                size=row["size_bytes"],
            )
            return await _complete(service, document_id, new, vault=vault)

        try:
            async with service.privacy.writing(conversation_id):
                done = await retry_on_vault_change(
                    redact_and_store, conversation_id=conversation_id
                )
        except NotFoundError:  # the conversation went while the job ran
            return
        except CouncilError as exc:  # the privacy policy refused it, the vault kept changing…
            await _fail(service, document_id, exc)
            return
        if done:
            await service.ready(document_id)

    async def recover(self) -> int:
        """At start-up (in-process queue): the documents a stopped process left processing."""
        if self.queue is None:
            return 0

        def work(connection: Connection) -> list[str]:
            query = select(DOCUMENTS.c.id).where(DOCUMENTS.c.status == PROCESSING)
            return [str(r[0]) for r in connection.execute(query)]

        pending = await transactions.read(self.service.documents.engine, work)
        for document_id in pending:
            await self.queue.enqueue(KIND, document_id)
        return len(pending)


async def refuse_while_reading(engine: AsyncEngine, conversation_id: str) -> None:
    """409 when a document of the conversation is still being read: a question now would be
    answered without it. Checked before a run stores anything (council/write_ahead.py)."""

    def work(connection: Connection) -> str | None:
        query = select(DOCUMENTS.c.filename).where(
            DOCUMENTS.c.conversation_id == conversation_id, DOCUMENTS.c.status == PROCESSING
        )
        return connection.execute(query.limit(1)).scalar()

    name = await transactions.read(engine, work)
    if name is not None:
        raise ConflictError(
            f"the document {name!r} is still being read; ask again when it is ready "
            "(its status in GET …/documents turns ready)"
        )


async def _pending(service: DocumentService, document_id: str) -> dict[str, Any] | None:
    def work(connection: Connection) -> dict[str, Any] | None:
        row = (
            connection.execute(
                select(*DOCUMENTS.c).where(
                    DOCUMENTS.c.id == document_id, DOCUMENTS.c.status == PROCESSING
                )
            )
            .mappings()
            .first()
        )
        return dict(row) if row is not None else None

    return await transactions.read(service.documents.engine, work)


async def _fail(service: DocumentService, document_id: str, exc: CouncilError) -> None:
    """Stored as ``{code, message}``, with the entity types of a privacy refusal, so a client
    waiting for the read gets the error back as it was (``worker_reads.failure_error``)."""
    log.info("document %s could not be read: %s", document_id, exc.message)
    error: dict[str, Any] = {"code": exc.code, "message": exc.message}
    if isinstance(exc, PiiBlockedError):
        error["entities"] = exc.entities

    def work(connection: Connection) -> None:
        connection.execute(
            update(DOCUMENTS)
            .where(DOCUMENTS.c.id == document_id, DOCUMENTS.c.status == PROCESSING)
            .values(status=FAILED, error=error, data=None)
        )

    await transactions.write(service.documents.engine, work)


async def _complete(
    service: DocumentService, document_id: str, new: NewDocument, *, vault: VaultWrite | None
) -> bool:
    """Sections, title and vault stored with the status ``ready``, in one transaction (True);
    nothing when the document is no longer ``processing`` (False), nothing and
    ``VaultChangedError`` when the conversation's vault is no longer the one ``vault`` was read
    from."""
    rows = section_rows(document_id, new)
    values = {
        "status": READY,
        "error": None,
        "kind": new.kind,
        "media_type": new.media_type,
        "title": new.title[:300],
        "pages": new.pages,
        "chars": sum(s.chars for s in new.sections),
        "section_count": len(new.sections),
        "metadata": new.meta,
        "privacy": new.privacy,
        "data": new.data,  # an image's bytes; None for a text
    }

    def work(connection: Connection) -> bool:
        changed = connection.execute(
            update(DOCUMENTS)
            .where(DOCUMENTS.c.id == document_id, DOCUMENTS.c.status == PROCESSING)
            .values(**values)
        )
        if not changed.rowcount:  # done by another delivery meanwhile, or deleted
            return False
        if vault is not None:  # raising rolls the document's update back too
            write_vault(connection, new.conversation_id, vault)
        if rows:
            connection.execute(insert(DOCUMENT_SECTIONS), rows)
        return True

    return await transactions.write(service.documents.engine, work)
