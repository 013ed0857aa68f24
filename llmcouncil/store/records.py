"""What the store hands back (run and conversation details) and the model-call row mapping.

Calls are written as plain column dictionaries (``call_values``) so a stage's calls go in as one
Core ``INSERT … executemany`` instead of an ORM unit of work; rows read with Core on the hot
path become the ORM classes callers know through ``run_row`` and friends.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from llmcouncil.errors import ModelFailure
from llmcouncil.records import CallRecord, Usage
from llmcouncil.store.tables import ConversationRow, MessageRow, RunRow

DEFAULT_TITLE = "New Conversation"


class Placeholders(Protocol):
    """A conversation's opened privacy vault, as the store hands it on (privacy/ opens it)."""

    def restore(self, text: str) -> str: ...

    def __len__(self) -> int: ...


# (conversation id, sealed vault token) → the opened vault, or None when it will not open.
VaultOpener = Callable[[str, str | None], Placeholders | None]


@dataclass(frozen=True, slots=True)
class ConversationSummary:
    conversation: ConversationRow
    message_count: int
    vault: Placeholders | None = None  # opened only when the title may hold a placeholder


@dataclass(slots=True)
class RunDetail:
    run: RunRow
    calls: list[CallRecord] = field(default_factory=list)
    vault: Placeholders | None = None  # the conversation's placeholders, to restore what is shown


@dataclass(slots=True)
class ConversationDetail:
    conversation: ConversationRow
    messages: list[MessageRow]
    runs: dict[str, list[RunDetail]]  # message id → its runs, oldest first
    vault: Placeholders | None = None


def call_values(run_id: str, record: CallRecord) -> dict[str, Any]:
    """One ``model_calls`` row as Core insert parameters (every column but the id)."""
    return {
        "run_id": run_id,
        "stage": record.stage,
        "position": record.position,
        "model": record.model,
        "answered_by": record.answered_by,
        "fallback_from": record.fallback_from,
        "fallback_reason": record.fallback_reason,
        "ok": record.ok,
        "text": record.text,
        "error": record.failure.as_dict() if record.failure else None,
        "prompt_tokens": record.usage.prompt_tokens,
        "completion_tokens": record.usage.completion_tokens,
        "cost": record.usage.cost,
        "latency_ms": record.latency_ms,
        "ttft_ms": record.ttft_ms,
        "finish_reason": record.finish_reason,
        "simulated": record.simulated,
        # Thinking tokens ride in details (no column of their own): part of completion_tokens.
        "details": (
            {**record.details, "reasoning_tokens": record.usage.reasoning_tokens}
            if record.usage.reasoning_tokens
            else record.details or None
        ),
    }


def run_row(values: Mapping[Any, Any]) -> RunRow:
    """A ``runs`` row read with Core, as the ORM object callers use (detached)."""
    fields = dict(values)
    fields["meta"] = fields.pop("metadata", None)  # the attribute's name differs from the column's
    return RunRow(**fields)


def call_record(row: Any) -> CallRecord:
    """A ``model_calls`` row (ORM object, or Core row with the same column names)."""
    failure = None
    if row.error:
        failure = ModelFailure(
            model=str(row.error.get("model", row.model)),
            kind=str(row.error.get("kind", "internal")),
            message=str(row.error.get("message", "")),
            status=row.error.get("status"),
        )
    return CallRecord(
        stage=row.stage,
        model=row.model,
        ok=row.ok,
        position=row.position,
        text=row.text,
        answered_by=row.answered_by,
        fallback_from=row.fallback_from,
        fallback_reason=row.fallback_reason,
        failure=failure,
        usage=Usage(
            prompt_tokens=row.prompt_tokens,
            completion_tokens=row.completion_tokens,
            total_tokens=row.prompt_tokens + row.completion_tokens,
            cost=row.cost,
            reasoning_tokens=int((row.details or {}).get("reasoning_tokens") or 0),
        ),
        latency_ms=row.latency_ms,
        ttft_ms=row.ttft_ms,
        finish_reason=row.finish_reason,
        simulated=row.simulated,
        details=dict(row.details or {}),
    )
