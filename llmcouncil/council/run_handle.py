"""What a caller holds for a run: its channel, its task, and the placeholders to restore.

``RunHandle.events`` yields the run's events with the privacy guard's placeholders restored to
the originals (one ``StreamRestorer`` per listener); ``RunHandle.result`` is the run as stored
when it ended, available as soon as it is read back, before usage is settled and the audit
record written (``RunHandle.wait`` waits for those too); ``RunObserver`` is told of every run
a ``RunService`` launches.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from typing import Protocol

from llmcouncil.council.events import CouncilEvent, RunChannel
from llmcouncil.council.handover import HandoverSignal
from llmcouncil.council.pipeline import RunContext
from llmcouncil.council.restored_events import StreamRestorer
from llmcouncil.council.transcript import replay_events
from llmcouncil.privacy.restore import Restoring
from llmcouncil.store.records import RunDetail


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
    vault: Restoring | None = None  # placeholders to restore in what this handle yields
    notices: tuple[str, ...] = ()  # from the run gate, e.g. a soft budget exceeded
    # How a draining instance asks the run to go to another one (council/handover.py).
    handover: HandoverSignal = field(default_factory=HandoverSignal)
    # The run as stored when it ended: set by the run's task before settlement, or at once
    # for a run that had already ended.
    stored: asyncio.Future[RunDetail] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )

    @classmethod
    def replayed(cls, detail: RunDetail) -> RunHandle:
        """A handle of a run that has already ended: its channel replays it as stored."""
        channel = RunChannel()
        for event in replay_events(detail):
            channel.emit(event)
        handle = cls(
            run_id=detail.run.id,
            conversation_id=detail.run.conversation_id,
            channel=channel,
            task=None,
            vault=detail.vault,
        )
        handle.stored.set_result(detail)
        return handle

    async def events(self) -> AsyncGenerator[CouncilEvent, None]:
        if self.vault is None or not len(self.vault):
            async for event in self.channel.listen():
                yield event
            return
        restorer = StreamRestorer(self.vault)  # one per listener: it buffers partial deltas
        async for event in self.channel.listen():
            for restored in restorer.feed(event):
                yield restored

    async def result(self) -> RunDetail:
        """The run as stored when it ended (whatever the outcome, cancellation included)."""
        return await asyncio.shield(self.stored)

    async def wait(self) -> None:
        """Until the run's task has ended: the run, its usage and its audit record are stored."""
        if self.task is not None:
            await asyncio.shield(self.task)
