"""Two processes writing one conversation's vault at once (SQLite and PostgreSQL): neither's
placeholders are lost, none collide, and a secret either redacted never leaves afterwards.

Each "process" has its own engine, store, privacy guard (the same key, as a deployment's
instances share it), run service and document service: nothing in memory is shared, so the
in-process vault lock orders nothing between them, as between ``council serve`` instances or
``council worker`` processes. One writer is held between its read of the conversation and its
write (``HeldStore``) while the other writes; the models are a ``FakeProvider`` whose requests
are what left the system.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from cryptography.fernet import Fernet

from llmcouncil.api.errors import council_error_response
from llmcouncil.config import ProviderSettings, Settings
from llmcouncil.council.pipeline import CouncilPipeline
from llmcouncil.council.runs import RunHandle, RunService
from llmcouncil.documents.processing import DocumentUploads
from llmcouncil.documents.service import DocumentService, document_service
from llmcouncil.documents.settings import DocumentSettings
from llmcouncil.errors import VaultContendedError
from llmcouncil.presets.settings import PresetSettings
from llmcouncil.privacy.policy import PrivacyGuard
from llmcouncil.providers.base import CompletionRequest
from llmcouncil.providers.fake import FakeProvider
from llmcouncil.providers.registry import ProviderRegistry
from llmcouncil.resilience.calls import ModelCaller
from llmcouncil.store.database import create_engine, upgrade
from llmcouncil.store.repository import Store
from llmcouncil.store.tables import ConversationRow

FIRST = "Kp4$mN8@rT2yB"
SECOND = "Zq9!vX2#pL7wQ"
MEMBERS = ("m1", "m2", "m3")
# Every member reply also reads as a ranking, so replies may be taken in any order.
REPLY = "They differ.\n\nFINAL RANKING:\n1. Response A\n2. Response B\n3. Response C"


class HeldStore(Store):
    """A store whose reads of a conversation call ``after_read`` before they return: the
    moment between a writer's read of the vault and its write."""

    after_read: Callable[[], Awaitable[None]] | None = None

    async def get_conversation(self, conversation_id: str) -> ConversationRow:
        row = await super().get_conversation(conversation_id)
        if self.after_read is not None:
            await self.after_read()
        return row

    async def conversation_with_history(
        self, conversation_id: str, *, before_seq: int
    ) -> tuple[ConversationRow, list[tuple[str, str]]]:
        read = await super().conversation_with_history(conversation_id, before_seq=before_seq)
        if self.after_read is not None:
            await self.after_read()
        return read


@dataclass
class Process:
    store: HeldStore
    privacy: PrivacyGuard
    runs: RunService
    documents: DocumentService
    uploads: DocumentUploads  # reads in ``process``, as a worker's job does

    def hold_next_read(self) -> tuple[asyncio.Event, asyncio.Event]:
        """(read, release): the next read sets ``read`` and returns once ``release`` is set."""
        read, release = asyncio.Event(), asyncio.Event()

        async def hold() -> None:
            self.store.after_read = None
            read.set()
            await release.wait()

        self.store.after_read = hold
        return read, release


@asynccontextmanager
async def _process(settings: Settings, fake: FakeProvider) -> AsyncIterator[Process]:
    registry = ProviderRegistry(settings)
    registry.add(fake)
    privacy = await PrivacyGuard.start(settings)
    engine = create_engine(settings.database_url)
    store = HeldStore(engine, open_vault=privacy.cipher.for_display)
    pipeline = CouncilPipeline(
        store=store, caller=ModelCaller(registry, settings), settings=settings
    )
    runs = RunService(
        store=store, pipeline=pipeline, settings=settings, simulated=False, privacy=privacy
    )
    documents = document_service(store=store, privacy=privacy, settings=settings)
    try:
        yield Process(store, privacy, runs, documents, DocumentUploads(documents, queue=None))
    finally:
        await runs.shutdown()
        await documents.aclose()
        await registry.aclose()
        await engine.dispose()


@dataclass
class Deployment:
    a: Process
    b: Process
    fake: FakeProvider  # the upstream both call

    def sent(self) -> str:
        return "\n".join(m.content for r in self.fake.requests for m in r.messages)


@pytest.fixture
async def deployment(database_url: str) -> AsyncIterator[Deployment]:
    settings = Settings.model_validate(
        {
            "database_url": database_url,
            "default_provider": "fake",
            "providers": {"fake": ProviderSettings(base_url="http://fake.invalid/v1")},
            "presets": {
                "default": PresetSettings(members=list(MEMBERS), chairman="chair", title_model="t")
            },
            "privacy": {"key": Fernet.generate_key().decode()},
            "documents": DocumentSettings(extraction="thread"),
        }
    )
    engine = create_engine(settings.database_url)
    await upgrade(engine)
    await engine.dispose()
    fake = FakeProvider("fake")
    for model in MEMBERS:
        fake.enqueue(model, *(_reply for _ in range(20)))
    fake.enqueue("chair", *("The final answer." for _ in range(10)))
    fake.enqueue("t", *("A title" for _ in range(10)))
    async with _process(settings, fake) as a, _process(settings, fake) as b:
        yield Deployment(a, b, fake)


def _reply(_request: CompletionRequest) -> str:
    return REPLY


async def _finished(handle: RunHandle) -> None:
    async for _event in handle.events():
        pass
    assert (await handle.result()).run.status == "complete"


async def _stored_vault(process: Process, conversation_id: str) -> dict[str, str]:
    """Original → placeholder, as the conversation's stored vault holds them."""
    conversation = await process.store.get_conversation(conversation_id)
    vault = process.privacy.open_vault(conversation.pii_vault, conversation_id=conversation_id)
    return {original: placeholder for placeholder, (_entity, original) in vault.entries.items()}


async def _ask_about_both(deployment: Deployment, conversation_id: str) -> None:
    """A turn naming both secrets where no recognizer would find them: only the vault can."""
    question = f"is {FIRST} the same as {SECOND}?"
    assert deployment.a.privacy.detector.find(question) == []
    handle = await deployment.a.runs.start(conversation_id=conversation_id, content=question)
    await _finished(handle)


async def test_two_workers_reading_documents_into_one_conversation_keep_both_secrets(
    deployment: Deployment,
) -> None:
    a, b = deployment.a, deployment.b
    conversation = await a.store.create_conversation()
    texts = {
        "a.txt": f"The staging password={FIRST} is in the safe.\n".encode(),
        "b.txt": f"The backup password={SECOND} is in the drawer.\n".encode(),
    }
    first = await a.uploads.submit(
        conversation.id, texts["a.txt"], filename="a.txt", content_type="text/plain"
    )
    second = await b.uploads.submit(
        conversation.id, texts["b.txt"], filename="b.txt", content_type="text/plain"
    )
    # Worker a reads the vault for its document, then worker b stores its own before a writes.
    read, release = a.hold_next_read()
    reading = asyncio.create_task(a.uploads.process(first.document.id))
    await read.wait()
    await b.uploads.process(second.document.id)
    release.set()
    await reading

    vault = await _stored_vault(a, conversation.id)
    assert {FIRST, SECOND} <= vault.keys()
    assert vault[FIRST] != vault[SECOND]
    # Each document shows its own secret back to its owner: no placeholder means two values.
    shown = a.documents.vault(
        (await a.store.get_conversation(conversation.id)).pii_vault, conversation_id=conversation.id
    )
    for document, secret in ((first.document, FIRST), (second.document, SECOND)):
        stored = await a.documents.documents.get(conversation.id, document.id, sections=True)
        assert stored.status == "ready"
        text = "".join(s.text for s in stored.sections or [])
        assert secret not in text and secret in shown.restore(text)
    await _ask_about_both(deployment, conversation.id)
    sent = deployment.sent()
    assert FIRST not in sent and SECOND not in sent
    assert vault[FIRST] in sent and vault[SECOND] in sent


async def test_two_servers_starting_runs_in_one_conversation_keep_both_secrets(
    deployment: Deployment,
) -> None:
    a, b = deployment.a, deployment.b
    conversation = await a.store.create_conversation()
    asked = {FIRST: f"my password={FIRST} please", SECOND: f"my password={SECOND} please"}
    # Server a reads the conversation for its run; server b starts and stores one meanwhile.
    read, release = a.hold_next_read()
    starting = asyncio.create_task(
        a.runs.start(conversation_id=conversation.id, content=asked[FIRST])
    )
    await read.wait()
    handle_b = await b.runs.start(conversation_id=conversation.id, content=asked[SECOND])
    release.set()
    handle_a = await starting
    await _finished(handle_b)
    await _finished(handle_a)

    vault = await _stored_vault(a, conversation.id)
    assert {FIRST, SECOND} <= vault.keys()
    assert vault[FIRST] != vault[SECOND]
    # What the conversation shows its owner: each question as its user wrote it.
    detail = await a.store.conversation_detail(conversation.id)
    assert detail.vault is not None
    assert sorted(detail.vault.restore(m.content) for m in detail.messages) == sorted(
        asked.values()
    )
    await _ask_about_both(deployment, conversation.id)
    sent = deployment.sent()
    assert FIRST not in sent and SECOND not in sent


async def test_a_run_whose_vault_keeps_changing_fails_with_503_and_stores_nothing(
    deployment: Deployment,
) -> None:
    a, b = deployment.a, deployment.b
    conversation = await a.store.create_conversation()
    rival_writes = 0

    async def rival_writes_the_vault() -> None:
        """After every read of server a, a document with a new secret is added elsewhere."""
        nonlocal rival_writes
        rival_writes += 1
        data = f"note {rival_writes}: password=Rv{rival_writes}x$Qm8@Lp3z\n".encode()
        await b.documents.attach(conversation.id, data, filename=f"n{rival_writes}.txt")

    a.store.after_read = rival_writes_the_vault
    with pytest.raises(VaultContendedError) as raised:
        await a.runs.start(conversation_id=conversation.id, content=f"my password={FIRST} ok")
    a.store.after_read = None

    assert rival_writes == 5  # one read per attempt, every one lost
    response = council_error_response(raised.value)
    assert response.status_code == 503 and response.headers["Retry-After"] == "1"
    detail = await a.store.conversation_detail(conversation.id)
    assert (detail.messages, detail.runs) == ([], {})
    vault = await _stored_vault(a, conversation.id)
    assert FIRST not in vault and len(vault) == 5  # the rival's five, all kept
    assert deployment.fake.requests == []  # nothing left


async def test_a_document_job_whose_vault_keeps_changing_fails_and_stores_nothing(
    deployment: Deployment,
) -> None:
    a, b = deployment.a, deployment.b
    conversation = await a.store.create_conversation()
    submitted = await a.uploads.submit(
        conversation.id, f"password={FIRST}\n".encode(), filename="a.txt", content_type=None
    )
    rival_writes = 0

    async def rival_writes_the_vault() -> None:
        nonlocal rival_writes
        rival_writes += 1
        data = f"note {rival_writes}: password=Rv{rival_writes}x$Qm8@Lp3z\n".encode()
        await b.documents.attach(conversation.id, data, filename=f"n{rival_writes}.txt")

    a.store.after_read = rival_writes_the_vault
    await a.uploads.process(submitted.document.id)
    a.store.after_read = None

    stored = await a.documents.documents.get(conversation.id, submitted.document.id, sections=True)
    error: dict[str, Any] = stored.error or {}
    assert (stored.status, error.get("code"), stored.sections) == (
        "failed",
        "privacy_vault_contended",
        [],
    )
    assert FIRST not in await _stored_vault(a, conversation.id)
