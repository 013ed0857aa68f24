"""A run handed to another instance: what the run's side does when its instance drains.

A draining instance (api/drain.py, api/handover.py) does not cancel the runs it cannot finish
in time when another instance is alive: it hands them over. Each run carries a
``HandoverSignal``; the drain sets it, the run obeys at one of two moments:

* **at a stage boundary** (``at_boundary``): once a stage's results are stored and before the
  next stage's calls leave (``StageWriter.behind`` raises ``RunHandedOver``), so the instance
  that resumes it asks nobody again;
* **when stopped** (``on_cancel``): the run's task is cancelled at the drain's bound mid-stage;
  the stages already stored are kept, the calls of the stage in flight are made again on the
  instance that resumes it.

Handing over (``hand_over``) stores the run ``running`` with no owner and the error code
``handed_over`` (``RunStore.hand_over_run``), so the next sweep of a live instance takes it
over at once (api/takeover.py) and resumes it after its last stored stage. The run's stream
ends with an ``error`` event of code ``handed_over`` that says where to follow it; a request
waiting for the result gets ``HandedOverError`` (503).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from llmcouncil.council.events import CouncilEvent, EventType
from llmcouncil.errors import CouncilError, HandedOverError
from llmcouncil.store.repository import Store

log = logging.getLogger(__name__)

HANDED_OVER = HandedOverError.code


class HandoverSignal:
    """Set by a draining instance; read by the run at its stage boundaries and when stopped."""

    __slots__ = ("at_boundary", "on_cancel")

    def __init__(self) -> None:
        self.at_boundary = False  # hand over after the stage being stored, before the next
        self.on_cancel = False  # a cancellation of the run's task is a handover, not a cancel

    def request(self, *, mid_stage: bool = False) -> None:
        self.at_boundary = True
        if mid_stage:
            self.on_cancel = True

    @property
    def requested(self) -> bool:
        return self.at_boundary or self.on_cancel


class RunHandedOver(Exception):
    """Raised at a stage boundary of a run asked to hand over; ends the run's steps there."""


def handover_message(run_id: str, conversation_id: str) -> str:
    return (
        f"this server instance is stopping and handed run {run_id} over to another instance, "
        "where it goes on after its last stored stage: follow it there "
        f"(GET /api/conversations/{conversation_id}/runs/{run_id}/events with Last-Event-ID) "
        f"or read the conversation again until it has ended"
    )


def handover_error(error: dict[str, Any], run_id: str) -> HandedOverError | None:
    """The ``HandedOverError`` a stored run error stands for, if it is a handover."""
    if error.get("code") != HANDED_OVER:
        return None
    return HandedOverError(str(error.get("message") or "the run was handed over"), run_id=run_id)


async def hand_over(
    store: Store,
    *,
    run_id: str,
    conversation_id: str,
    emit: Callable[[CouncilEvent], None],
) -> bool:
    """Leave the run to the other instances and end its stream here; False when the database
    refused (the run then stays this instance's, left behind once it stops)."""
    error = {"code": HANDED_OVER, "message": handover_message(run_id, conversation_id)}
    try:
        await store.hand_over_run(run_id, error=error)
    except CouncilError as exc:
        log.error("could not hand run %s over: %s", run_id, exc)
        return False
    log.warning("run %s handed over to the other instances", run_id)
    emit(
        CouncilEvent(
            EventType.ERROR,
            {
                **error,
                "run_id": run_id,
                "events": f"/api/conversations/{conversation_id}/runs/{run_id}/events",
            },
        )
    )
    return True
