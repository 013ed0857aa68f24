"""Shared fixtures: a simulated upstream and the real server on free loopback ports.

Every file the app writes goes under ``tmp_path``. Store-level fixtures run on SQLite and on
PostgreSQL (a fresh database per test, on the server named by ``COUNCIL_TEST_POSTGRES_URL``,
default the local ``postgres`` superuser over TCP).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import make_url
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


async def _create_pg_database() -> str:
    import asyncpg  # type: ignore[import-untyped]

    url = make_url(POSTGRES_URL)
    name = f"council_test_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(
        host=url.host,
        port=url.port,
        user=url.username,
        password=url.password,
        database=url.database,
    )
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return url.set(database=name).render_as_string(hide_password=False)


async def _drop_pg_database(db_url: str) -> None:
    import asyncpg

    url = make_url(POSTGRES_URL)
    name = make_url(db_url).database
    conn = await asyncpg.connect(
        host=url.host,
        port=url.port,
        user=url.username,
        password=url.password,
        database=url.database,
    )
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'council.db'}"
        return
    url = await _create_pg_database()
    try:
        yield url
    finally:
        await _drop_pg_database(url)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'council.db'}"


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
