"""What a caller holds for a run: its channel, its task, and the placeholders to restore.

``RunHandle.events`` yields the run's events with the privacy guard's placeholders restored to
the originals (one ``StreamRestorer`` per listener); ``RunObserver`` is told of every run a
``RunService`` launches.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import Protocol

from llmcouncil.council.events import CouncilEvent, RunChannel
from llmcouncil.council.pipeline import RunContext
from llmcouncil.privacy.restore import StreamRestorer
from llmcouncil.privacy.vault import PiiVault


class RunObserver(Protocol):
    def run_started(
        self, ctx: RunContext, channel: RunChannel, context: contextvars.Context
    ) -> None: ...


@dataclass(slots=True)
class RunHandle:
    run_id: str
    conversation_id: str
    channel: RunChannel
    task: asyncio.Task[None] | None  # None: the run had already ended; the channel replays it
    vault: PiiVault | None = None  # placeholders to restore in what this handle yields
    notices: tuple[str, ...] = ()  # from the run gate, e.g. a soft budget exceeded

    async def events(self) -> AsyncGenerator[CouncilEvent, None]:
        if self.vault is None or not len(self.vault):
            async for event in self.channel.listen():
                yield event
            return
        restorer = StreamRestorer(self.vault)  # one per listener: it buffers partial deltas
        async for event in self.channel.listen():
            for restored in restorer.feed(event):
                yield restored

    async def wait(self) -> None:
        if self.task is not None:
            await asyncio.shield(self.task)
