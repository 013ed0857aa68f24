"""The model catalogue: parsing both list shapes, the cache and its clock, the file, retirements."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from llmcouncil.config import ProviderSettings, Settings, load_settings
from llmcouncil.providers.catalogue import (
    CatalogueFile,
    ModelCatalogue,
    closest_ids,
    parse_catalogue,
    parse_model,
)
from llmcouncil.providers.registry import ProviderRegistry
from llmcouncil.sim import SimConfig, SimServer

OPENROUTER_ENTRY: dict[str, Any] = {
    "id": "openai/gpt-5.4",
    "canonical_slug": "openai/gpt-5.4-20260305",
    "name": "OpenAI: GPT-5.4",
    "created": 1772668800,
    "context_length": 1050000,
    "architecture": {
        "modality": "text+image+file->text",
        "input_modalities": ["text", "image", "file"],
        "output_modalities": ["text"],
        "tokenizer": "GPT",
    },
    "pricing": {"prompt": "0.0000025", "completion": "0.000015", "request": "0"},
    "top_provider": {"context_length": 1050000, "max_completion_tokens": 128000},
    "supported_parameters": ["max_tokens", "reasoning", "response_format"],
    "expiration_date": None,
}


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def epoch(day: str) -> float:
    return datetime.fromisoformat(day).replace(tzinfo=UTC).timestamp()


def test_an_openrouter_entry_gives_prices_context_modalities_and_parameters() -> None:
    info = parse_model(OPENROUTER_ENTRY)

    assert info is not None
    assert info.name == "OpenAI: GPT-5.4" and info.context_length == 1_050_000
    assert info.prompt_price == pytest.approx(2.5e-6)
    assert info.completion_price == pytest.approx(15e-6)
    assert info.input_modalities == ("text", "image", "file")
    assert info.output_modalities == ("text",)
    assert "reasoning" in info.supported_parameters
    assert not info.deprecated and not info.expired(date(2026, 12, 1))


def test_an_expiration_date_makes_a_model_deprecated_then_expired() -> None:
    info = parse_model({**OPENROUTER_ENTRY, "expiration_date": "2026-11-05"})

    assert info is not None and info.deprecated
    assert not info.expired(date(2026, 11, 4))
    assert info.expired(date(2026, 11, 5))


def test_openai_entries_have_ids_and_a_shutdown_date_only() -> None:
    body = [
        {"id": "gpt-5.4", "object": "model", "created": 1, "owned_by": "openai"},
        {"id": "gpt-4.5-preview", "object": "model", "shutdown_date": "2025-07-14"},
        {"object": "model"},  # no id: skipped
        "not an entry",
    ]

    models = parse_catalogue(body)

    assert [m.id for m in models] == ["gpt-5.4", "gpt-4.5-preview"]
    assert models[0].name == "gpt-5.4" and models[0].context_length is None
    assert models[0].prompt_price is None and models[0].input_modalities == ("text",)
    assert models[1].expiration_date == date(2025, 7, 14)


@pytest.mark.parametrize(
    ("pricing", "expected"),
    [({"prompt": "-1"}, None), ({"prompt": "free"}, None), ({"prompt": 0}, 0.0), ({}, None)],
)
def test_prices_that_are_not_a_per_token_number_are_unknown(
    pricing: dict[str, Any], expected: float | None
) -> None:
    info = parse_model({"id": "x/y", "pricing": pricing})
    assert info is not None and info.prompt_price == expected


def test_closest_ids_prefer_the_same_vendor() -> None:
    current = ["google/gemini-3.1-pro-preview", "google/gemini-3-flash-preview", "x-ai/grok-4.20"]

    assert closest_ids("google/gemini-3-pro-preview", current)[0] == (
        "google/gemini-3.1-pro-preview"
    )
    assert closest_ids("x-ai/grok-4", current) == ["x-ai/grok-4.20"]
    assert closest_ids("acme/unrelated-thing", current) == []


async def test_the_cache_is_stale_after_max_age_and_a_failed_refresh_keeps_the_old_list() -> None:
    clock = Clock(epoch("2026-12-01"))
    catalogue = ModelCatalogue(max_age=3600, clock=clock)
    assert catalogue.stale("or")

    async def first() -> list[dict[str, Any]]:
        return [OPENROUTER_ENTRY]

    async def failing() -> list[dict[str, Any]]:
        raise OSError("network is down")

    assert await catalogue.refresh("or", first)
    clock.now += 3599
    assert not catalogue.stale("or")
    clock.now += 1
    assert catalogue.stale("or")

    assert not await catalogue.refresh("or", failing)
    assert catalogue.lookup("or", "openai/gpt-5.4") is not None
    assert catalogue.stale("or")  # still due: the next refresh tries again


async def test_a_restart_reads_the_file_without_the_network(tmp_path: Path) -> None:
    path = tmp_path / "cache" / "model_catalogue.json"
    clock = Clock(epoch("2026-12-01"))
    before = ModelCatalogue(max_age=3600, clock=clock, file=CatalogueFile(path))

    async def fetch() -> list[dict[str, Any]]:
        return [
            OPENROUTER_ENTRY,
            {"id": "anthropic/claude-3-opus", "expiration_date": "2026-01-05"},
        ]

    await before.refresh("openrouter", fetch)
    assert path.is_file() and not list(path.parent.glob("*.tmp"))

    after = ModelCatalogue(max_age=3600, clock=clock, file=CatalogueFile(path))
    await after.load()

    assert after.lookup("openrouter", "openai/gpt-5.4") == before.lookup(
        "openrouter", "openai/gpt-5.4"
    )
    assert not after.stale("openrouter")  # fetched_at came back with the list
    retired = after.retirement("openrouter", "anthropic/claude-3-opus")
    assert retired is not None and "expired on 2026-01-05" in retired.reason


async def test_a_damaged_file_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "model_catalogue.json"
    path.write_text("{not json")
    catalogue = ModelCatalogue(file=CatalogueFile(path))

    await catalogue.load()

    assert catalogue.providers() == []


def sim_settings(sim: SimServer, tmp_path: Path, **values: Any) -> Settings:
    return Settings.model_validate(
        {
            "database_url": f"sqlite+aiosqlite:///{tmp_path / 'council.db'}",
            "default_provider": "sim",
            "providers": {"sim": ProviderSettings(base_url=sim.base_url)},
            **values,
        }
    )


async def test_the_simulators_list_has_prices_images_and_retired_models(tmp_path: Path) -> None:
    async with SimServer(SimConfig.fast()) as sim:
        registry = ProviderRegistry(sim_settings(sim, tmp_path))
        try:
            assert await registry.refresh_catalogue(["openai/gpt-5.4"])
        finally:
            await registry.aclose()

    listed = dict(registry.catalogue_models(["openai/gpt-5.4"]))
    chairman = listed["google/gemini-3.1-pro-preview"]
    assert chairman.context_length and chairman.context_length >= 1_000_000
    assert chairman.prompt_price and chairman.completion_price
    assert "image" in chairman.input_modalities
    assert "image" in listed["google/gemini-2.5-flash-image"].output_modalities
    assert listed["google/gemini-2.0-flash-001"].deprecated
    assert registry.retirement("google/gemini-2.0-flash-001") is None  # not yet expired
    opus = registry.retirement("anthropic/claude-3-opus")
    assert opus is not None and "expired on" in opus.reason
    assert opus.suggestions and all(s.startswith("anthropic/") for s in opus.suggestions)
    gone = registry.retirement("openai/gpt-3-stale")
    assert gone is not None and "no longer" in gone.reason
    assert (tmp_path / "model_catalogue.json").is_file()  # beside the SQLite database


async def test_every_default_model_is_current_in_the_simulator(tmp_path: Path) -> None:
    async with SimServer(SimConfig.fast()) as sim:
        settings = sim_settings(sim, tmp_path)
        registry = ProviderRegistry(settings)
        try:
            problems = await registry.check_models(settings.model_refs())
        finally:
            await registry.aclose()

    assert problems == []
    assert registry.retired(settings.model_refs()) == []


async def test_check_models_names_a_retired_id_with_the_closest_current_ids(
    tmp_path: Path,
) -> None:
    async with SimServer(SimConfig.fast()) as sim:
        registry = ProviderRegistry(sim_settings(sim, tmp_path))
        try:
            problems = await registry.check_models(
                ["openai/gpt-5.4", "openai/gpt-4.5-preview", "x-ai/grok-9"]
            )
        finally:
            await registry.aclose()

    assert len(problems) == 2
    expired, missing = problems
    assert "openai/gpt-4.5-preview expired on" in expired
    assert "closest current ids: openai/" in expired
    assert "x-ai/grok-9 is no longer in the provider's model list" in missing
    assert "x-ai/grok-4" in missing


async def test_a_refresh_is_only_due_when_the_list_is_stale(tmp_path: Path) -> None:
    clock = Clock(epoch("2026-12-01"))
    async with SimServer(SimConfig.fast()) as sim:
        settings = sim_settings(sim, tmp_path, catalogue={"refresh_interval": 600})
        registry = ProviderRegistry(settings, clock=clock)
        try:
            await registry.refresh_catalogue(["openai/gpt-5.4"])
            fetched = registry.catalogue.provider("sim")
            await registry.refresh_catalogue(["openai/gpt-5.4"])
            assert registry.catalogue.provider("sim") is fetched  # not due: not fetched
            clock.now += 600
            await registry.refresh_catalogue(["openai/gpt-5.4"])
            assert registry.catalogue.provider("sim") is not fetched
        finally:
            await registry.aclose()


def test_the_cache_file_defaults_beside_a_sqlite_database_only(tmp_path: Path) -> None:
    sqlite = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'db' / 'c.db'}")
    postgres = Settings(database_url="postgresql+asyncpg://u@h/db")
    chosen = Settings(
        database_url="postgresql+asyncpg://u@h/db",
        catalogue={"cache_file": str(tmp_path / "m.json")},
    )

    assert sqlite.catalogue.cache_path(sqlite.database_url) == (
        tmp_path / "db" / "model_catalogue.json"
    )
    assert postgres.catalogue.cache_path(postgres.database_url) is None
    assert chosen.catalogue.cache_path(chosen.database_url) == tmp_path / "m.json"


async def test_every_id_of_the_example_config_is_current_in_the_simulator(tmp_path: Path) -> None:
    example = Path(__file__).resolve().parents[2] / "council.example.toml"
    settings = load_settings(config_file=example)
    refs = [ref for ref in settings.model_refs() if ":" not in ref]  # the OpenRouter ones
    async with SimServer(SimConfig.fast()) as sim:
        registry = ProviderRegistry(sim_settings(sim, tmp_path))
        try:
            assert await registry.check_models(refs) == []
        finally:
            await registry.aclose()
