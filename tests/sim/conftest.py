from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from llmcouncil.sim import SimConfig, SimServer


@pytest.fixture
async def sim() -> AsyncIterator[SimServer]:
    """A simulator with no latency, on a free loopback port."""
    async with SimServer(SimConfig.fast()) as server:
        yield server


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    # No per-host connection cap: some tests open hundreds of streams at once.
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        yield session
