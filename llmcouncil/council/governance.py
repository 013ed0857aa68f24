"""The seam between runs and the governance layer (accounts, budgets, usage, audit).

``RunService`` knows who starts a run (``RunActor``) and asks a ``RunGate`` before and after it:

* ``admit`` runs after the council is resolved and before anything is stored; it may refuse
  (policy: 403, budget: 402, rate: 429) and returns an admission the run carries;
* ``release`` gives the admission back when the run could not be started after all;
* ``finished`` runs when the run's task ends, whatever the outcome (usage, budget, audit), with
  the run as stored at its end (``None`` when it could not be read back);
* ``late`` runs when a kept late answer was stored after the run ended.

The implementation lives in ``llmcouncil.usage.gate``; this package does not import it, so the
council works without it (``OpenGate``: the CLI's ``council ask``, and tests of the engine).

``current_actor`` is set by the HTTP layer's authentication for the request being served; a run
started without an explicit actor (an entry point such as ``/v1`` or ``/mcp`` that does not pass
one) is attributed to it, so no guarded route can start an unowned, unbudgeted run.

``MayWrite`` is the caller's right to add to a conversation, given the conversation's owner:
the HTTP layer passes its principal's, and the run service applies it to the conversation it
reads for the run anyway (``check_may_write``), instead of the route reading it once more.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from llmcouncil.council.spec import CouncilSpec
from llmcouncil.errors import NotFoundError

if TYPE_CHECKING:
    from llmcouncil.store.records import RunDetail
    from llmcouncil.store.tables import ConversationRow

MayWrite = Callable[[str | None], bool]  # the conversation's owner (a user id) → allowed


def check_may_write(may_write: MayWrite, conversation: ConversationRow) -> None:
    """Another user's conversation does not exist for the caller, as a missing one."""
    if not may_write(conversation.user_id):
        raise NotFoundError(f"conversation {conversation.id} does not exist")


@dataclass(frozen=True, slots=True)
class RunActor:
    """Who starts a run. All None: local single-user mode (or the command line)."""

    user_id: str | None = None
    api_key_id: str | None = None
    name: str | None = None
    ip: str | None = None


current_actor: ContextVar[RunActor | None] = ContextVar("llmcouncil_run_actor", default=None)


class RunGate(Protocol):
    async def admit(self, actor: RunActor | None, spec: CouncilSpec) -> object: ...

    async def release(self, admission: object) -> None: ...

    async def finished(self, admission: object, run_id: str, detail: RunDetail | None) -> None: ...

    async def late(self, run_id: str) -> None: ...


class OpenGate:
    """Admits every run and records nothing."""

    async def admit(self, actor: RunActor | None, spec: CouncilSpec) -> object:  # noqa: ARG002
        return None

    async def release(self, admission: object) -> None:  # noqa: ARG002
        return None

    async def finished(
        self,
        admission: object,  # noqa: ARG002
        run_id: str,  # noqa: ARG002
        detail: RunDetail | None,  # noqa: ARG002
    ) -> None:
        return None

    async def late(self, run_id: str) -> None:  # noqa: ARG002
        return None


@dataclass(slots=True)
class RunTicket:
    """A run's admission by the gate. The run's task takes it (``hand_over``) and settles it
    with ``RunGate.finished``; a ticket not handed over is released when ``admitted`` ends."""

    grant: object  # the gate's own record of the admission
    notices: tuple[str, ...] = ()  # e.g. a soft budget exceeded
    handed_over: bool = False

    def hand_over(self) -> RunTicket:
        self.handed_over = True
        return self


@asynccontextmanager
async def admitted(
    gate: RunGate, actor: RunActor | None, spec: CouncilSpec
) -> AsyncIterator[RunTicket]:
    """``async with admitted(gate, actor, spec) as ticket``: the gate's admission for the block
    (it may refuse: nothing is stored yet); released again unless a run took it."""
    grant = await gate.admit(actor, spec)
    ticket = RunTicket(grant=grant, notices=tuple(getattr(grant, "warnings", ())))
    try:
        yield ticket
    finally:
        if not ticket.handed_over:
            await asyncio.shield(gate.release(grant))
