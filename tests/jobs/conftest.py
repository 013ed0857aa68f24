from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis
from jobs_support import REDIS


@pytest.fixture
async def queue_name() -> AsyncIterator[str]:
    """A queue of the test's own on the machine's Redis, removed afterwards."""
    name = f"test-{uuid.uuid4().hex[:12]}"
    yield name
    client = aioredis.from_url(REDIS)
    try:
        for pattern in (f"saq:{name}:*", f"saq:job:{name}:*"):
            async for key in client.scan_iter(match=pattern):
                await client.delete(key)
    finally:
        await client.aclose()
