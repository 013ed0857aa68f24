"""A ``FakeProvider`` council whose preset a test chooses (mode, rounds, early stop, …)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fake_council import CHAIR, MEMBERS, TITLER, FakeCouncil
from migrated_databases import migrated_sqlite

from llmcouncil.config import ProviderSettings, Settings
from llmcouncil.council.pipeline import CouncilPipeline
from llmcouncil.council.runs import RunService
from llmcouncil.presets.settings import PresetSettings
from llmcouncil.providers.fake import FakeProvider
from llmcouncil.providers.registry import ProviderRegistry
from llmcouncil.resilience.calls import ModelCaller
from llmcouncil.store.database import create_engine, upgrade
from llmcouncil.store.repository import Store


@asynccontextmanager
async def mode_council(tmp_path: Path, **preset: Any) -> AsyncIterator[FakeCouncil]:
    settings = Settings.model_validate(
        {
            "database_url": migrated_sqlite(tmp_path / "council.db"),
            "default_provider": "fake",
            "providers": {"fake": ProviderSettings(base_url="http://fake.invalid/v1")},
            "presets": {
                "default": PresetSettings(
                    members=list(MEMBERS), chairman=CHAIR, title_model=TITLER, **preset
                )
            },
        }
    )
    fake = FakeProvider("fake")
    registry = ProviderRegistry(settings)
    registry.add(fake)
    engine = create_engine(settings.database_url)
    await upgrade(engine)
    store = Store(engine)
    pipeline = CouncilPipeline(
        store=store, caller=ModelCaller(registry, settings), settings=settings
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


STRUCTURED_CHAIR = (
    "Blue light scatters most.\n\n<council_structure>\n"
    '{"consensus": ["Rayleigh scattering"], "contradictions": [{"point": "role of ozone", '
    '"positions": [{"responses": ["Response A"], "says": "matters"}, {"responses": '
    '["Response B"], "says": "does not"}]}], "gaps": ["sunsets"], '
    '"confidence": {"level": "high", "justification": "all agree on the mechanism"}}\n'
    "</council_structure>"
)
