"""Attaching documents to a conversation, and what a run is shown of them.

``DocumentService.attach`` reads a file off the event loop (``DocumentReader``), passes its text
through the privacy guard under the conversation's vault lock, and stores it with its sections
in one transaction (redacted again when another process wrote the vault meanwhile:
``store/vault_writes.py``); a file already attached (same SHA-256) is returned as it is.
Nothing is stored when any step refuses.

``DocumentService.pinned`` is what run preparation calls for every new run: the conversation's
documents as messages that go ahead of the history (``context.build_context``), within the
smallest context window among the run's models, and the record of exactly what was shown.
Reading mode is ``context.reading_focus``.
"""

from __future__ import annotations

import hashlib
import logging
import weakref
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from llmcouncil.config import Settings
from llmcouncil.documents.context import Focus, build_context, reading_focus
from llmcouncil.documents.extraction import DocumentReader, Extracted
from llmcouncil.documents.model import ExtractedDocument, ExtractedImage, Section
from llmcouncil.documents.pinned import PinnedContext, larger_shares
from llmcouncil.documents.redaction import RedactedTexts, redact_texts
from llmcouncil.documents.repository import DocumentStore, NewDocument, StoredDocument
from llmcouncil.documents.settings import DocumentSettings
from llmcouncil.documents.summaries import ChapterSummaries, SummaryModel, SummaryOutcome
from llmcouncil.documents.vision import ImageInput, image_records, reads_images
from llmcouncil.errors import ConflictError, ContentTooLargeError, StoreError
from llmcouncil.privacy.policy import PrivacyGuard, preset_policy
from llmcouncil.privacy.settings import PiiPolicy
from llmcouncil.privacy.vault import PiiVault
from llmcouncil.resilience.calls import ModelCaller
from llmcouncil.store.repository import Store
from llmcouncil.store.tables import ConversationRow
from llmcouncil.store.vault_writes import VaultWrite, retry_on_vault_change

log = logging.getLogger(__name__)

# Model reference → characters of documents it reads at most, when the provider says
# (its model list's context length); None: not known.
ContextWindow = Callable[[str], int | None]


@dataclass(frozen=True, slots=True)
class Attached:
    document: StoredDocument
    created: bool  # False: the same file was already attached


class DocumentService:
    def __init__(
        self,
        *,
        store: Store,
        privacy: PrivacyGuard,
        settings: DocumentSettings,
        policy_for: Callable[[str | None], PiiPolicy],
        secrets_refused: bool = False,
        context_window: ContextWindow | None = None,
        image_input: ImageInput | None = None,
        reader: DocumentReader | None = None,
    ) -> None:
        """``policy_for`` gives a preset's ``pii_policy`` (the conversation's preset)."""
        self.store = store
        self.documents = DocumentStore(store.engine)
        self.reader = reader or DocumentReader(settings)
        self.settings = settings
        self.privacy = privacy
        self._policy_for = policy_for
        self._secrets_refused = secrets_refused
        self._context_window = context_window
        self._image_input = image_input
        self._summaries: ChapterSummaries | None = None
        # Told each document that became ready (the summaries job's ``offer``), when wired.
        self.on_ready: Callable[[str], Awaitable[None]] | None = None

    def bind(
        self,
        *,
        caller: ModelCaller | None = None,
        context_window: ContextWindow | None = None,
        image_input: ImageInput | None = None,
    ) -> None:
        """What the running server adds: the caller that writes chapter summaries, and the
        model catalogue's context windows and image inputs."""
        if caller is not None:
            self._summaries = ChapterSummaries(caller, max_chars=self.settings.summary_chars)
        if context_window is not None:
            self._context_window = context_window
        if image_input is not None:
            self._image_input = image_input

    @property
    def summaries(self) -> ChapterSummaries | None:
        """What writes chapter summaries; None until a caller is bound."""
        return self._summaries

    def reads_images(self, model: str) -> bool:
        """``documents.vision`` first, then the provider's model list (``vision.py``)."""
        return reads_images(model, configured=self.settings.vision, listed=self._image_input)

    async def aclose(self) -> None:
        await self.reader.aclose()

    def vault(self, token: str | None, *, conversation_id: str) -> PiiVault:
        """The conversation's placeholders, to restore what is shown to its owner."""
        return self.privacy.open_vault(token, conversation_id=conversation_id)

    async def attach(
        self,
        conversation_id: str,
        data: bytes,
        *,
        filename: str,
        content_type: str | None = None,
        extracted: Extracted | None = None,
    ) -> Attached:
        """``extracted``: the file as ``read`` returned it, when it was read beforehand."""
        self.check_size(data, filename=filename)
        await self.store.get_conversation(conversation_id)  # 404 before any work
        content_hash = hashlib.sha256(data).hexdigest()
        existing = await self.documents.find_by_hash(conversation_id, content_hash)
        if existing is not None:
            return Attached(existing, created=False)
        if await self.documents.count(conversation_id) >= self.settings.max_documents:
            raise ConflictError(
                f"the conversation already holds {self.settings.max_documents} documents; "
                "remove one first"
            )
        if extracted is None:
            extracted = await self.reader.read(data, filename=filename, content_type=content_type)

        async def redact_and_store() -> Attached:  # against the vault as it is now
            conversation = await self.store.get_conversation(conversation_id)
            new, vault = await self.redacted(
                extracted,
                conversation=conversation,
                filename=filename,
                content_hash=content_hash,
                size=len(data),
            )
            try:
                return Attached(await self.documents.add(new, vault=vault), created=True)
            except IntegrityError:  # the same file, attached by a request racing this one
                again = await self.documents.find_by_hash(conversation_id, content_hash)
                if again is None:
                    raise
                return Attached(again, created=False)

        async with self.privacy.writing(conversation_id):
            attached = await retry_on_vault_change(
                redact_and_store, conversation_id=conversation_id
            )
        if attached.created:
            await self.ready(attached.document.id)
        return attached

    async def ready(self, document_id: str) -> None:
        """``on_ready`` told of a document that became ready; a queue that cannot take its job
        loses the background summaries (runs write them), not the document."""
        if self.on_ready is None:
            return
        try:
            await self.on_ready(document_id)
        except StoreError as exc:
            log.warning("document %s: no background summaries: %s", document_id, exc.message)

    async def read(self, data: bytes, *, filename: str, content_type: str | None) -> Extracted:
        """Read a file without storing it (415, 422 and 413 as ``attach`` refuses them), so a
        client's files are all known good before its conversation is opened."""
        self.check_size(data, filename=filename)
        return await self.reader.read(data, filename=filename, content_type=content_type)

    def check_size(self, data: bytes, *, filename: str) -> None:
        if len(data) > self.settings.max_file_bytes:
            raise ContentTooLargeError(
                f"{filename!r} is {len(data)} bytes; the limit is "
                f"{self.settings.max_file_bytes} bytes"
            )

    async def redacted(
        self,
        extracted: ExtractedDocument | ExtractedImage,
        *,
        conversation: ConversationRow,
        filename: str,
        content_hash: str,
        size: int,
    ) -> tuple[NewDocument, VaultWrite | None]:
        """The document as it may be stored, against ``conversation``'s vault as it was read."""
        if isinstance(extracted, ExtractedImage):
            texts = await self._redact([filename], conversation)
            image = NewDocument(
                conversation_id=conversation.id,
                kind="image",
                media_type=extracted.media_type,
                filename=texts.texts[0],
                title=texts.texts[0],
                content_hash=content_hash,
                size_bytes=size,
                pages=None,
                meta={"width": extracted.width, "height": extracted.height},
                sections=[],
                privacy=texts.summary.as_json(),
                data=extracted.data,
            )
            return image, texts.vault_write
        sections = extracted.sections
        texts = await self._redact(
            [filename, extracted.title, *(s.title for s in sections), *(s.text for s in sections)],
            conversation,
        )
        n = len(sections)
        titles, bodies = texts.texts[2 : 2 + n], texts.texts[2 + n :]
        redacted = [
            Section(
                index=s.index,
                number=s.number,
                title=title,
                level=s.level,
                text=body,
                page_start=s.page_start,
                page_end=s.page_end,
            )
            for s, title, body in zip(sections, titles, bodies, strict=True)
        ]
        document = NewDocument(
            conversation_id=conversation.id,
            kind=extracted.kind,
            media_type=extracted.media_type,
            filename=texts.texts[0],
            title=texts.texts[1],
            content_hash=content_hash,
            size_bytes=size,
            pages=extracted.pages,
            meta=dict(extracted.metadata),
            sections=redacted,
            privacy=texts.summary.as_json(),
        )
        return document, texts.vault_write

    async def redacted_name(
        self, filename: str, *, conversation: ConversationRow
    ) -> tuple[str, VaultWrite | None]:
        """An upload's name as stored (redacted) and the re-sealed vault, if it changed."""
        texts = await self._redact([filename], conversation)
        return texts.texts[0], texts.vault_write

    async def _redact(self, texts: Sequence[str], conversation: ConversationRow) -> RedactedTexts:
        """Under the conversation preset's policy, against its vault as it was read."""
        return await redact_texts(
            self.privacy,
            texts,
            conversation_id=conversation.id,
            vault_token=conversation.pii_vault,
            policy=self._policy_for(conversation.preset),
            secrets_refused=self._secrets_refused,
        )

    async def focus(self, conversation_id: str, document_id: str, position: int) -> Focus:
        """Reading mode on the chapter that holds section ``position`` (404 when unknown, 409
        while the document is still being read or when it could not be)."""
        document = await self.documents.get(conversation_id, document_id)
        if document.status != "ready":
            raise ConflictError(
                f"the document {document.filename!r} is "
                + (
                    "still being read; ask again when it is ready"
                    if document.status == "processing"
                    else "not readable: remove it and attach a readable copy"
                )
            )
        _, section = await self.documents.section(conversation_id, document_id, position)
        return Focus(document_id=document_id, number=section.number.split(" ", 1)[0])

    def budget_for(self, models: Sequence[str]) -> int:
        """The smallest window among ``models``: every one of them must read what is sent."""
        sizes = []
        for model in models:
            known = self._context_window(model) if self._context_window else None
            configured = self.settings.model_context_chars.get(model)
            if configured is None and ":" in model:
                configured = self.settings.model_context_chars.get(model.split(":", 1)[1])
            sizes.append(configured or known or self.settings.context_chars)
        return min(sizes) if sizes else self.settings.context_chars

    async def pinned(
        self,
        conversation_id: str,
        *,
        question: str,
        models: Sequence[str],
        members: Sequence[str],
        summary_writer: SummaryModel | None = None,
        callers: Sequence[str] = (),
        preset: str | None = None,
        image_models: Sequence[str] | None = None,
        chains: Mapping[str, Sequence[str]] | None = None,
    ) -> PinnedContext | None:
        """What the run about ``question`` is shown of the conversation's documents. In
        reading mode, the chapters before the one discussed that have no summary get one
        first, written by ``summary_writer`` (its calls are in ``PinnedContext.summaries``).
        ``callers``: every model the run may call with the history (fallbacks too), of which
        those that read images are sent them, unless ``preset``'s pii_policy is block;
        ``image_models``: the models the record of each image names (default ``members``), which
        are also those given a larger share of the documents when their window (and that of
        each of their fallbacks, ``chains``) takes more than the smallest one."""
        documents = await self.documents.for_conversation(conversation_id)
        reading = [d.filename for d in documents if d.status == "processing"]
        if reading:
            raise ConflictError(
                f"the document {reading[0]!r} is still being read; ask again when it is ready "
                "(its status in GET …/documents turns ready)"
            )
        documents = [d for d in documents if d.status == "ready"]  # a failed one is left out
        if not documents:
            return None
        focus = reading_focus.get()
        summaries = SummaryOutcome()
        if focus is not None and self._summaries is not None and summary_writer is not None:
            summaries = await self._summaries.make(documents, focus, writer=summary_writer)
            await self.documents.save_summaries(summaries.made)
        images = [(d.id, d.filename) for d in documents if d.kind == "image"]
        blocked = bool(images) and self._policy_for(preset) == "block"
        readers = (
            frozenset(m for m in dict.fromkeys([*models, *callers]) if self.reads_images(m))
            if images and not blocked
            else frozenset()
        )
        smallest = self.budget_for(models)
        context = build_context(
            documents,
            question=question,
            budget_chars=smallest,
            focus=focus,
            show_images=bool(readers),
        )
        if context is None:
            return None
        chains = chains or {}
        everyone = dict.fromkeys([*models, *callers, *(image_models or ())])
        budgets = {m: self.budget_for([m]) for m in everyone}
        shares = {
            model: self.budget_for([model, *chains.get(model, ())])
            for model in dict.fromkeys(image_models if image_models is not None else members)
        }
        wider = larger_shares(
            documents,
            context,
            shares=shares,
            question=question,
            focus=focus,
            show_images=bool(readers),
        )
        return PinnedContext(
            wider=wider,
            budgets=budgets,
            context=context,
            documents=documents,
            members=list(members),
            summaries=summaries,
            readers=readers,
            images=image_records(
                images,
                models=members if image_models is None else image_models,
                readers=readers,
                blocked=blocked,
            ),
        )


_SERVICES: weakref.WeakKeyDictionary[Store, DocumentService] = weakref.WeakKeyDictionary()


def document_service(*, store: Store, privacy: PrivacyGuard, settings: Settings) -> DocumentService:
    """The one service of this store (the routes and run preparation share it)."""
    service = _SERVICES.get(store)
    if service is None:
        service = _SERVICES[store] = DocumentService(
            store=store,
            privacy=privacy,
            settings=settings.documents,
            policy_for=lambda preset: preset_policy(settings, preset),
            secrets_refused=settings.privacy.secrets == "block",
        )
    return service
