"""``launch``: the real server with test-sized resilience settings, and a client for it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from resilience_support import Launch, quick_resilience
from support import LiveServer

from llmcouncil.resilience.settings import ResilienceSettings


@pytest.fixture
async def launch(make_settings: Any, start_server: Any) -> AsyncIterator[Launch]:
    clients: list[httpx.AsyncClient] = []

    async def start(
        resilience: ResilienceSettings | None = None, **overrides: Any
    ) -> tuple[LiveServer, httpx.AsyncClient]:
        settings = make_settings(resilience=resilience or quick_resilience(), **overrides)
        live: LiveServer = await start_server(settings)
        client = httpx.AsyncClient(base_url=live.base_url, timeout=30)
        clients.append(client)
        return live, client

    yield start
    for client in clients:
        await client.aclose()
