"""Chapter summaries written by a background job once a book is read.

With ``documents.summaries = "background"``, a document that becomes ``ready`` with two
chapters or more gets the job ``summaries`` (its key: the document's id) on the deployment's
queue: a task of this process without Redis, a ``council worker`` with it. The job summarises
every chapter but the last that has no summary yet, so reading mode ("discuss chapter 12")
finds the earlier chapters' summaries made and shows them at once; a chapter the job has not
reached (or could not summarise) is still summarised by the run that needs it, as with the
default ``on_demand``, where only runs write them.

The calls are those a run would make (``summaries.ChapterSummaries``: the conversation's
preset's title model, then its chairman, through the ``ModelCaller`` with its retries,
fallbacks and breakers), on the stored, redacted text. They belong to no run, so the job
charges them itself, through the ``SummaryPayer`` the wiring hands it
(``usage/background.py``: the ledger and budgets of the conversation's owner, and the audit
log): it asks admission first, and a hard budget used up leaves the summaries to the runs,
which the same budget governs. Idempotent: a job
delivered twice finds the summaries made and makes none; a summary is stored only over none
(``DocumentStore.save_summaries``), so a run summarising the same chapter meanwhile costs one
more call but changes nothing stored.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Protocol

from llmcouncil.config import Settings
from llmcouncil.documents.repository import StoredDocument, StoredSection
from llmcouncil.documents.service import DocumentService
from llmcouncil.documents.summaries import (
    ChapterSummaries,
    SummaryModel,
    chapters_before_the_last,
    summary_writer,
)
from llmcouncil.errors import BudgetExceededError, NotFoundError
from llmcouncil.jobs.queue import JobQueue
from llmcouncil.records import CallRecord
from llmcouncil.store.tables import ConversationRow

log = logging.getLogger(__name__)

KIND = "summaries"
# Chapters summarised, stored and charged at a time (four rounds of the summaries' concurrency).
CHUNK = 12


class SummaryPayer(Protocol):
    """Who pays for calls made outside a run: ``usage.UsageService`` in a deployment."""

    async def admit(self, *, user_id: str | None, key_id: str | None) -> Any:
        """An admission; ``BudgetExceededError`` when a hard budget is used up."""
        ...

    async def release(self, admission: Any) -> None: ...

    async def charge_calls(
        self,
        calls: Sequence[CallRecord],
        *,
        admission: Any,
        user_id: str | None,
        conversation_id: str,
        document_id: str,
    ) -> Any: ...


class SummaryJobs:
    def __init__(
        self,
        service: DocumentService,
        settings: Settings,
        *,
        payer: SummaryPayer | None,
        queue: JobQueue | None = None,
    ) -> None:
        self.service = service
        self.settings = settings
        self.payer = payer
        self.queue = queue

    @property
    def enabled(self) -> bool:
        return self.settings.documents.summaries == "background" and self.queue is not None

    async def offer(self, document_id: str) -> None:
        """A document just became ready: its job, when summaries are made in the background
        and it has chapters to summarise (the job finds out which)."""
        if self.enabled and self.queue is not None:
            await self.queue.enqueue(KIND, document_id)

    async def run(self, document_id: str) -> int:
        """The job: the summaries made and stored (0 when none was wanted or possible)."""
        service = self.service
        summaries = service.summaries
        if summaries is None:  # no caller bound: this process cannot call models
            return 0
        try:
            conversation, document = await self._read(document_id)
        except NotFoundError:  # deleted meanwhile
            return 0
        wanted = chapters_before_the_last(document) if document.status == "ready" else []
        if not wanted:
            return 0
        preset = conversation.preset if conversation.preset in self.settings.presets else None
        chairman = conversation.chairman or self.settings.preset(preset).chairman
        writer = summary_writer(self.settings, conversation.preset, chairman=chairman)
        made = 0
        for start in range(0, len(wanted), CHUNK):
            chunk = wanted[start : start + CHUNK]
            try:
                made += await self._summarise(summaries, chunk, conversation, document_id, writer)
            except BudgetExceededError as exc:
                log.info("summaries of document %s left to runs: %s", document_id, exc.message)
                break
        return made

    async def _summarise(
        self,
        summaries: ChapterSummaries,
        chunk: Sequence[tuple[StoredSection, str]],
        conversation: ConversationRow,
        document_id: str,
        writer: SummaryModel,
    ) -> int:
        """One chunk admitted, summarised, stored and charged: a job stopped mid-book keeps what
        it paid for, and a budget used up stops it at the next chunk."""
        admission = None
        if self.payer is not None:
            admission = await self.payer.admit(user_id=conversation.user_id, key_id=None)
        try:
            outcome = await summaries.summarise(chunk, writer=writer)
            await self.service.documents.save_summaries(outcome.made)
        except BaseException:
            if self.payer is not None and admission is not None:
                await self.payer.release(admission)
            raise
        if self.payer is not None:
            await self.payer.charge_calls(
                outcome.records,
                admission=admission,
                user_id=conversation.user_id,
                conversation_id=conversation.id,
                document_id=document_id,
            )
        for note in outcome.missing:
            log.info("document %s: %s", document_id, note)
        return len(outcome.made)

    async def _read(self, document_id: str) -> tuple[ConversationRow, StoredDocument]:
        documents = self.service.documents
        conversation_id = await documents.conversation_of(document_id)
        conversation = await self.service.store.get_conversation(conversation_id)
        document = await documents.get(conversation_id, document_id, sections=True)
        return conversation, document
