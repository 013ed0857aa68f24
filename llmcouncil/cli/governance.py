"""Shared by ``council users``, ``keys`` and ``audit``: the governance layer on the database.

Commands act as the operator at this machine: their audit records name the OS user
(``cli:<name>``), since whoever can run them can read the configuration and the database.
"""

from __future__ import annotations

import asyncio
import getpass
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from llmcouncil.audit.chain import Actor
from llmcouncil.cli.common import settings_from

if TYPE_CHECKING:
    from llmcouncil.api.governance import Governance

T = TypeVar("T")


def cli_actor() -> Actor:
    try:
        who = getpass.getuser()
    except (KeyError, OSError):
        who = "unknown"
    return Actor(name=f"cli:{who}")


def with_governance(config: Path | None, work: Callable[[Governance], Awaitable[T]]) -> T:
    from llmcouncil.api.governance import Governance
    from llmcouncil.store.database import create_engine, upgrade
    from llmcouncil.store.repository import Store

    settings = settings_from(config)

    async def run() -> T:
        engine = create_engine(settings.database_url)
        try:
            await upgrade(engine)
            governance = await Governance.start(settings, engine=engine, store=Store(engine))
            try:
                return await work(governance)
            finally:
                await governance.aclose()
        finally:
            await engine.dispose()

    return asyncio.run(run())
