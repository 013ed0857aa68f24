"""Fixtures for API tests that run the whole server on both databases."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from cryptography.fernet import Fernet
from gov_support import Governed, GovernedFactory, governed

__all__ = ["governed"]

GovernedOnDatabase = Callable[..., Awaitable[Governed]]


@pytest.fixture
def governed_on_database(database_url: str, governed: GovernedFactory) -> GovernedOnDatabase:
    """``await governed_on_database(**settings)``: a users-mode server on SQLite and on
    PostgreSQL (a non-SQLite database needs a configured vault key)."""

    async def start(**overrides: Any) -> Governed:
        if not database_url.startswith("sqlite"):
            overrides.setdefault("privacy", {"key": Fernet.generate_key().decode()})
        return await governed(database_url=database_url, **overrides)

    return start
