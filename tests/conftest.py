"""Shared fixtures: a simulated upstream and the real server on free loopback ports.

Every file the app writes goes under ``tmp_path``. Store-level fixtures run on SQLite and on
PostgreSQL (a fresh database per test, on the server named by ``COUNCIL_TEST_POSTGRES_URL``,
default the local ``postgres`` superuser over TCP), each a copy of one migrated once per test
process (``migrated_databases.py``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from migrated_databases import create_postgres, drop_postgres, drop_templates, migrated_sqlite
from support import (
    CHAIRMAN,
    MEMBERS,
    POSTGRES_URL,
    TEST_KEY_ENV,
    LiveServer,
    ServedApp,
    serve_app,
)

from llmcouncil.api.app import create_app
from llmcouncil.config import ProviderSettings, Settings
from llmcouncil.presets.settings import PresetSettings
from llmcouncil.sim import SimConfig, SimServer


@pytest.fixture
async def sim() -> AsyncIterator[SimServer]:
    server = SimServer(SimConfig.fast(base_ms=20))
    await server.start(host="127.0.0.1", port=0)
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture(scope="session", autouse=True)
def _migrated_templates() -> Iterator[None]:
    """The migrated templates this process made (``migrated_databases.py``), dropped at the end."""
    yield
    drop_templates()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A database at the newest schema, on SQLite and on PostgreSQL (``migrated_databases.py``)."""
    if request.param == "sqlite":
        yield migrated_sqlite(tmp_path / "council.db")
        return
    url = await create_postgres(POSTGRES_URL)
    try:
        yield url
    finally:
        await drop_postgres(POSTGRES_URL, url)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def blank_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database, never migrated: for tests of the migrations themselves."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'blank.db'}"
        return
    url = await create_postgres(POSTGRES_URL, migrated=False)
    try:
        yield url
    finally:
        await drop_postgres(POSTGRES_URL, url)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return migrated_sqlite(tmp_path / "council.db")


SettingsFactory = Callable[..., Settings]


@pytest.fixture
def make_settings(
    sim: SimServer, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> SettingsFactory:
    """Settings whose default provider is the simulated upstream, as a real deployment's is."""
    monkeypatch.setenv(TEST_KEY_ENV, "sk-test-not-a-real-key")

    def build(**overrides: Any) -> Settings:
        preset_fields = overrides.pop("preset", {})
        values: dict[str, Any] = {
            "database_url": sqlite_url,
            "default_provider": "sim",
            "providers": {
                "sim": ProviderSettings(
                    base_url=sim.base_url, api_key_env=TEST_KEY_ENV, structured_output=True
                )
            },
            "presets": {
                "default": PresetSettings(
                    members=list(MEMBERS),
                    chairman=CHAIRMAN,
                    title_model="google/gemini-2.5-flash",
                    **preset_fields,
                )
            },
        }
        values.update(overrides)
        return Settings.model_validate(values)

    return build


@pytest.fixture
async def start_server() -> AsyncIterator[Callable[[Settings], Any]]:
    """Start the real app under uvicorn on a free port, in the test's event loop; returns once
    it is listening with its lifespan started, and fails the test if it does not start."""
    served: list[ServedApp] = []

    async def start(settings: Settings) -> LiveServer:
        app = create_app(settings)
        one = await serve_app(app)
        served.append(one)
        return LiveServer(one.base_url, app)

    yield start
    for one in served:
        await one.stop()


@pytest.fixture
async def server(make_settings: SettingsFactory, start_server: Any) -> LiveServer:
    live: LiveServer = await start_server(make_settings())
    return live


@pytest.fixture
async def client(server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as http:
        yield http
