"""What a run produces, in one shape shared by the pipeline, the store and the API.

``CallRecord`` is one model's contribution to a stage. The ``*_item`` functions render records
in the original prototype's JSON shapes (plus our added fields); the live stream and a reloaded
conversation both go through them, so what a user sees after a reload is what they saw live.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from llmcouncil.errors import ModelFailure
from llmcouncil.providers.base import Usage

STAGE_TITLE = 0
STAGE_ANSWERS = 1
STAGE_REVIEWS = 2
STAGE_FINAL = 3

RUN_RUNNING = "running"
RUN_COMPLETE = "complete"
RUN_FAILED = "failed"
RUN_CANCELLED = "cancelled"
RUN_INTERRUPTED = "interrupted"


@dataclass(slots=True)
class CallRecord:
    stage: int
    model: str  # as configured: the member or chairman this call stands for
    ok: bool
    position: int = 0
    text: str = ""
    answered_by: str | None = None  # the model that really answered (fallback / upstream id)
    fallback_from: str | None = None
    fallback_reason: str | None = None
    failure: ModelFailure | None = None
    usage: Usage = field(default_factory=Usage)
    latency_ms: float | None = None
    ttft_ms: float | None = None
    finish_reason: str | None = None
    simulated: bool = False
    details: dict[str, Any] = field(default_factory=dict)

    def error_item(self) -> dict[str, Any]:
        failure = self.failure or ModelFailure(model=self.model, kind="internal", message="")
        return {"stage": self.stage, **failure.as_dict(), "model": self.model}


def _common(record: CallRecord) -> dict[str, Any]:
    return {
        "answered_by": record.answered_by,
        "fallback_from": record.fallback_from,
        "fallback_reason": record.fallback_reason,
        "usage": record.usage.as_dict(),
        "latency_ms": _ms(record.latency_ms),
        "ttft_ms": _ms(record.ttft_ms),
        "finish_reason": record.finish_reason,
        "simulated": record.simulated,
    }


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def stage1_item(record: CallRecord) -> dict[str, Any]:
    return {
        "model": record.model,
        "response": record.text,
        "reasoning": record.details.get("reasoning"),
        **_common(record),
    }


def stage2_item(record: CallRecord) -> dict[str, Any]:
    """A review. Rows stored before rankings had tiers (status "no_header" among them) render
    with one label per tier and no vote."""
    details = record.details
    ranking = list(details.get("parsed_ranking", []))
    tiers = details.get("parsed_tiers")
    return {
        "model": record.model,
        "ranking": record.text,
        "parsed_ranking": ranking,
        "parsed_tiers": [list(tier) for tier in tiers]
        if tiers is not None
        else [[label] for label in ranking],
        "parse_status": details.get("parse_status"),
        "parse_reason": details.get("parse_reason"),
        "parse_conflict": details.get("parse_conflict"),
        "parse_issues": list(details.get("parse_issues", [])),
        "parse_source": details.get("parse_source"),
        "presentation_order": list(details.get("presentation_order", [])),
        "own_label": details.get("own_label"),
        "vote": details.get("vote"),
        "repair": details.get("repair"),
        "reasoning": details.get("reasoning"),
        **_common(record),
    }


def stage3_item(record: CallRecord) -> dict[str, Any]:
    return {
        "model": record.model,
        "response": record.text,
        "reasoning": record.details.get("reasoning"),
        "degraded": False,
        "degraded_reason": None,
        **_common(record),
    }


def degraded_stage3(*, best: CallRecord | None, reason: str) -> dict[str, Any]:
    """Every chairman failed: say so, and offer the top-ranked answer as what it is."""
    if best is None:
        text = f"No final answer: {reason}"
    else:
        text = (
            f"**No synthesis was produced** — {reason}\n\n"
            f"The council's top-ranked answer, from {best.model}, follows unchanged:\n\n"
            f"{best.text}"
        )
    return {
        "model": None,
        "response": text,
        "reasoning": None,
        "degraded": True,
        "degraded_reason": reason,
        "top_ranked_model": best.model if best else None,
        "answered_by": None,
        "fallback_from": None,
        "fallback_reason": None,
        "usage": Usage().as_dict(),
        "latency_ms": None,
        "ttft_ms": None,
        "finish_reason": None,
        "simulated": bool(best and best.simulated),
    }


def usage_total(records: list[CallRecord]) -> Usage:
    total = Usage()
    for record in records:
        total = total + record.usage
    return total
