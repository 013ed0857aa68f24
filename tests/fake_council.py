"""A council on ``FakeProvider``: a real store (SQLite under tmp_path), the real policy layer,
pipeline and run service, and in-process models with queued replies."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from migrated_databases import migrated_sqlite

from llmcouncil.config import ProviderSettings, Settings
from llmcouncil.council.events import CouncilEvent
from llmcouncil.council.pipeline import TITLE_WRITE_GRACE_SECONDS, CouncilPipeline
from llmcouncil.council.runs import RunHandle, RunService
from llmcouncil.presets.settings import PresetSettings
from llmcouncil.providers.fake import FakeProvider
from llmcouncil.providers.registry import ProviderRegistry
from llmcouncil.resilience.calls import ModelCaller
from llmcouncil.store.database import create_engine, upgrade
from llmcouncil.store.repository import Store

MEMBERS = ("m1", "m2", "m3")
CHAIR = "chair"
TITLER = "titler"


def ranking(*labels: str) -> str:
    lines = "\n".join(f"{i}. Response {label}" for i, label in enumerate(labels, start=1))
    return f"They differ in depth.\n\nFINAL RANKING:\n{lines}"


@dataclass
class FakeCouncil:
    fake: FakeProvider
    fake_registry: ProviderRegistry
    store: Store
    runs: RunService
    settings: Settings

    def queue_answers(self, *, title: str = "A title") -> None:
        self.fake.enqueue(TITLER, title)
        for member in MEMBERS:
            self.fake.enqueue(member, f"The answer of {member}.")

    def queue_reviews(self) -> None:
        for member in MEMBERS:
            self.fake.enqueue(member, ranking("A", "B", "C"))

    async def ask(self, question: str = "Why is the sky blue?") -> RunHandle:
        conversation = await self.store.create_conversation(preset=None)
        return await self.runs.start(conversation_id=conversation.id, content=question)


async def events_of(handle: RunHandle) -> list[CouncilEvent]:
    return [event async for event in handle.events()]


@asynccontextmanager
async def fake_council(
    tmp_path: Path, *, title_write_grace: float | None = TITLE_WRITE_GRACE_SECONDS
) -> AsyncIterator[FakeCouncil]:
    settings = Settings.model_validate(
        {
            "database_url": migrated_sqlite(tmp_path / "council.db"),
            "default_provider": "fake",
            "providers": {"fake": ProviderSettings(base_url="http://fake.invalid/v1")},
            "presets": {
                "default": PresetSettings(members=list(MEMBERS), chairman=CHAIR, title_model=TITLER)
            },
        }
    )
    fake = FakeProvider("fake")
    registry = ProviderRegistry(settings)
    registry.add(fake)
    engine = create_engine(settings.database_url)
    await upgrade(engine)
    store = Store(engine)
    caller = ModelCaller(registry, settings)
    pipeline = CouncilPipeline(
        store=store, caller=caller, settings=settings, title_write_grace=title_write_grace
    )
    runs = RunService(store=store, pipeline=pipeline, settings=settings, simulated=False)
    try:
        yield FakeCouncil(
            fake=fake, fake_registry=registry, store=store, runs=runs, settings=settings
        )
    finally:
        await runs.shutdown()
        await registry.aclose()
        await engine.dispose()
