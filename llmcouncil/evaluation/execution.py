"""Every call of an evaluation is a run of the ordinary run machinery.

A strategy's answer and a judge's verdict are each one ``RunService`` run in a conversation of
its own: the same providers, resilience, privacy guard, gate (policy, budget, usage ledger, the
``council.run`` audit record) and storage as a question asked in the web UI. The conversation
is titled before the run, so no title call is spent; its council is the strategy's (members,
chairman) and the run's mode the strategy's (``classic``, ``select``, ``self-moa``, or
``answers`` for one model alone). Nothing here calls a provider directly.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from llmcouncil.council.governance import RunActor
from llmcouncil.council.runs import RunHandle, RunService
from llmcouncil.errors import NotFoundError, OverloadedError
from llmcouncil.records import RunStatus, Stage, usage_total
from llmcouncil.store.records import RunDetail
from llmcouncil.store.repository import Store

# A run refused for capacity (429) is tried again after its Retry-After, this many times.
OVERLOAD_RETRIES = 5


@dataclass(frozen=True, slots=True)
class RunRequest:
    """One question for one council shape."""

    content: str
    mode: str
    members: list[str] | None = None
    chairman: str | None = None
    preset: str | None = None
    title: str = "Evaluation"


@dataclass(slots=True)
class RunOutcome:
    ok: bool
    text: str = ""
    run_id: str | None = None
    conversation_id: str | None = None
    error: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float | None = None
    latency_ms: float = 0.0
    calls: int = 0
    simulated: bool = False
    interrupted: bool = False  # the run was cancelled or interrupted: not an answer, a pause
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "text": self.text,
            "run_id": self.run_id,
            "conversation_id": self.conversation_id,
            "error": self.error,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "cost": self.cost,
            "latency_ms": self.latency_ms,
            "calls": self.calls,
            "simulated": self.simulated,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunOutcome:
        return cls(**{k: v for k, v in data.items() if k in cls.__slots__})


class RunExecutor:
    """Runs one ``RunRequest`` through ``RunService`` and reads back what it produced."""

    def __init__(
        self,
        *,
        runs: RunService,
        store: Store,
        actor: RunActor | None,
        source: str,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.sleep = sleep  # between capacity refusals; tests hand in their own
        self.runs = runs
        self.store = store
        self.actor = actor
        self.source = source

    async def open(self, request: RunRequest) -> str:
        """A conversation for ``request``, titled so that no title call is made."""
        conversation = await self.store.create_conversation(
            preset=request.preset,
            members=request.members,
            chairman=request.chairman,
            user_id=self.actor.user_id if self.actor else None,
            source=self.source,
        )
        await self.store.set_title(conversation.id, request.title[:200])
        return conversation.id

    async def start(self, request: RunRequest, *, conversation_id: str) -> RunHandle:
        """The run, started (a capacity refusal waits its Retry-After and tries again)."""
        for attempt in range(OVERLOAD_RETRIES + 1):
            try:
                return await self.runs.start(
                    conversation_id=conversation_id,
                    content=request.content,
                    actor=self.actor,
                    stream_tokens=False,
                    mode=request.mode,
                )
            except OverloadedError as exc:
                if attempt == OVERLOAD_RETRIES:
                    raise
                await self.sleep(min(30.0, float(getattr(exc, "retry_after", 1) or 1)))
        raise AssertionError("unreachable")

    async def finish(self, handle: RunHandle, *, mode: str, started: float) -> RunOutcome:
        """What the run produced, once it is stored and settled (usage, budget, audit)."""
        await handle.wait()
        outcome = outcome_of(await handle.result(), mode=mode)
        outcome.conversation_id = handle.conversation_id
        outcome.latency_ms = round((time.monotonic() - started) * 1000, 1)
        return outcome

    async def resume(self, run_id: str, *, conversation_id: str) -> RunOutcome | None:
        """A run this evaluation started before a crash: its result, or its retry (which
        resumes after its last stored stage); None when it is gone."""
        try:
            detail = await self.store.get_run(run_id)
        except NotFoundError:  # a deleted conversation takes its runs with it
            return None
        if detail.run.status == RunStatus.COMPLETE:
            outcome = outcome_of(detail, mode=str(detail.run.council.get("mode", "classic")))
            outcome.conversation_id = conversation_id
            return outcome
        started = time.monotonic()
        live = self.runs.active(run_id)
        if live is None:
            live = await self.runs.retry(
                conversation_id=conversation_id, run_id=run_id, actor=self.actor
            )
        return await self.finish(
            live, mode=str(detail.run.council.get("mode", "classic")), started=started
        )

    async def latest_run(self, conversation_id: str) -> str | None:
        """The run a task's conversation holds (a crash between its start and its record)."""
        try:
            detail = await self.store.conversation_detail(conversation_id)
        except NotFoundError:
            return None
        runs = [run for batch in detail.runs.values() for run in batch]
        return runs[-1].run.id if runs else None


def outcome_of(detail: RunDetail, *, mode: str) -> RunOutcome:
    """The answer a run gave (a lone model's own text in ``answers`` mode), and its spend."""
    run = detail.run
    calls = detail.calls
    usage = usage_total(calls)
    outcome = RunOutcome(
        ok=False,
        run_id=run.id,
        prompt_tokens=usage.prompt_tokens,
        completion_tokens=usage.completion_tokens,
        cost=usage.cost,
        calls=len(calls),
        simulated=bool(run.simulated),
    )
    final = run.final or {}
    outcome.interrupted = run.status in (RunStatus.CANCELLED, RunStatus.INTERRUPTED)
    text: str | None = None
    if run.status == RunStatus.COMPLETE:
        if mode == "answers":
            answers = [c for c in calls if c.stage == Stage.ANSWERS and c.ok]
            text = answers[0].text if len(answers) == 1 else final.get("response")
        else:
            text = final.get("response")
    if not text:
        error = run.error or {}
        outcome.error = str(error.get("message") or f"the run ended {run.status}")
        return outcome
    if detail.vault is not None:
        text = detail.vault.restore(text)
    outcome.ok = True
    outcome.text = text
    outcome.details = {"kind": final.get("kind")}
    return outcome
