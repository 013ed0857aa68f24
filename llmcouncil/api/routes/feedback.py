"""A person's vote on a run: ``PUT``/``GET``/``DELETE /api/conversations/{id}/runs/{run}/vote``.

Whoever may write the conversation (its owner; anyone in local mode) may vote; another user's
conversation, or a run of another conversation, is a 404 like a missing one. The answer carries
how the council ranked the same answers, for the UI to show once the person has voted.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from llmcouncil.api.deps import RuntimeDep
from llmcouncil.api.guards import Asker, WritableConversation, client_of
from llmcouncil.api.runtime import Runtime
from llmcouncil.api.schemas import ErrorBody
from llmcouncil.auth.policy import Principal
from llmcouncil.auth.service import actor_of
from llmcouncil.errors import NotFoundError
from llmcouncil.feedback.schemas import VoteCast, VotePublic
from llmcouncil.feedback.service import FeedbackService, voter_of
from llmcouncil.store.records import RunDetail

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "Not signed in (users mode)"},
    403: {"model": ErrorBody, "description": "Role or scopes do not allow it"},
    404: {"model": ErrorBody, "description": "Unknown run or vote, or another user's"},
    409: {"model": ErrorBody, "description": "The run is still running, or has no answers"},
    422: {"model": ErrorBody, "description": "Unknown label, incomplete ranking, empty vote"},
}
router = APIRouter(prefix="/api/conversations", tags=["feedback"], responses=ERRORS)
VOTE_PATH = "/{conversation_id}/runs/{run_id}/vote"


def _service(runtime: Runtime) -> FeedbackService:
    return FeedbackService(
        runtime.store.engine, audit=runtime.governance.audit, observers=runtime.vote_observers
    )


async def _run(runtime: Runtime, conversation_id: str, run_id: str) -> RunDetail:
    try:
        detail = await runtime.store.get_run(run_id)
    except NotFoundError:
        detail = None
    if detail is None or detail.run.conversation_id != conversation_id:
        raise NotFoundError(f"run {run_id} does not exist in conversation {conversation_id}")
    return detail


def _voter(principal: Principal) -> str:
    return voter_of(principal.user_id)


@router.put(VOTE_PATH, response_model=VotePublic)
async def cast_vote(
    conversation_id: str,
    run_id: str,
    body: VoteCast,
    runtime: RuntimeDep,
    _writable: WritableConversation,
    principal: Asker,
    request: Request,
) -> VotePublic:
    """Cast or change your vote on a run (one per person per run)."""
    detail = await _run(runtime, conversation_id, run_id)
    view = await _service(runtime).cast(
        detail,
        voter=_voter(principal),
        user_id=principal.user_id,
        ballot=body.ballot(),
        actor=actor_of(principal, client_of(request)),
    )
    return VotePublic.of(view)


@router.get(VOTE_PATH, response_model=VotePublic)
async def get_vote(
    conversation_id: str,
    run_id: str,
    runtime: RuntimeDep,
    _writable: WritableConversation,
    principal: Asker,
) -> VotePublic:
    """Your vote on a run, with the council's ranking; 404 when you have not voted."""
    detail = await _run(runtime, conversation_id, run_id)
    return VotePublic.of(await _service(runtime).get(detail, voter=_voter(principal)))


@router.delete(VOTE_PATH, status_code=204)
async def withdraw_vote(
    conversation_id: str,
    run_id: str,
    runtime: RuntimeDep,
    _writable: WritableConversation,
    principal: Asker,
    request: Request,
) -> Response:
    """Withdraw your vote; 404 when there is none."""
    detail = await _run(runtime, conversation_id, run_id)
    await _service(runtime).withdraw(
        detail, voter=_voter(principal), actor=actor_of(principal, client_of(request))
    )
    return Response(status_code=204)
