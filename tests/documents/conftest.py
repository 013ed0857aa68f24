"""The documents tests' shared fixture: reads by workers, in-process (``reading_support``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest
from cryptography.fernet import Fernet
from reading_support import Reading, opened_reading

from llmcouncil.config import Settings
from llmcouncil.documents.settings import DocumentSettings


@pytest.fixture
async def reading(
    database_url: str, make_settings: Callable[..., Settings]
) -> AsyncIterator[Reading]:
    """Files read in a thread (quick to start), secrets refused, on both databases."""
    settings = make_settings(
        database_url=database_url,
        documents=DocumentSettings(extraction="thread"),
        privacy={"key": Fernet.generate_key().decode(), "secrets": "block"},
    )
    async with opened_reading(settings) as reading:
        yield reading
