"""Conversations: the original prototype's endpoints plus rename, delete, export and runs."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse, StreamingResponse

from llmcouncil.api.deps import RunsDep, RuntimeDep, StoreDep
from llmcouncil.api.guards import (
    Asker,
    ConversationReader,
    ReadableConversation,
    WritableConversation,
    actor_for_run,
)
from llmcouncil.api.results import (
    CancelResult,
    ContinueRequest,
    ContinueResult,
    ConversationPublic,
    ConversationSummaryPublic,
    CouncilResult,
)
from llmcouncil.api.run_events import parse_cursor
from llmcouncil.api.schemas import (
    ConversationCreate,
    ConversationSource,
    ConversationUpdate,
    ErrorBody,
    MessageCreate,
)
from llmcouncil.api.sse import run_stream
from llmcouncil.api.takeover import stored_focus
from llmcouncil.auth.policy import Principal
from llmcouncil.council.runs import RunHandle
from llmcouncil.council.spec import CouncilSpec, resolve_council
from llmcouncil.council.transcript import (
    conversation_markdown,
    conversation_payload,
    result_payload,
    summary_payload,
)
from llmcouncil.documents.context import Focus, reading
from llmcouncil.documents.service import document_service
from llmcouncil.presets.settings import StageReasoning
from llmcouncil.records import RunStatus
from llmcouncil.store.repository import ConversationDetail

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "Not signed in (users mode)"},
    403: {"model": ErrorBody, "description": "Role, scopes or council policy do not allow it"},
    404: {"model": ErrorBody, "description": "Unknown conversation or run, or another user's"},
    422: {"model": ErrorBody, "description": "Invalid input"},
}
router = APIRouter(prefix="/api/conversations", tags=["conversations"], responses=ERRORS)
IdempotencyKey = Annotated[
    str | None, Header(alias="Idempotency-Key", max_length=200, pattern=r"^[ -~]*$")
]
NOTICE_HEADER = "X-Council-Notice"


async def _check_policy(request: Request, principal: Principal, spec: CouncilSpec) -> None:
    if principal.user_id is not None:
        await request.app.state.runtime.governance.gate.check_policy(principal.user_id, spec)


def _reasoning(given: StageReasoning | None) -> dict[str, Any] | None:
    """What a client set of a council's reasoning (None: nothing, the preset's applies)."""
    return (given.model_dump(exclude_defaults=True) or None) if given is not None else None


async def _focus(request: Request, conversation_id: str, body: MessageCreate) -> Focus | None:
    """The chapter a message with ``document_id`` and ``section`` asks about."""
    if body.document_id is None or body.section is None:
        return None
    runtime = request.app.state.runtime
    service = document_service(
        store=runtime.store, privacy=runtime.runs.privacy, settings=runtime.settings
    )
    return await service.focus(conversation_id, body.document_id, body.section)


async def _retried_focus(request: Request, conversation_id: str, run_id: str) -> Focus | None:
    """The chapter a reading-mode run was asked about, so its retry reads the same chapter."""
    runtime = request.app.state.runtime
    service = document_service(
        store=runtime.store, privacy=runtime.runs.privacy, settings=runtime.settings
    )
    return await stored_focus(service, conversation_id, run_id)


def _notices(handle: RunHandle) -> dict[str, str]:
    return {NOTICE_HEADER: " | ".join(handle.notices)} if handle.notices else {}


@router.get("", response_model=list[ConversationSummaryPublic])
async def list_conversations(
    store: StoreDep,
    principal: ConversationReader,
    q: Annotated[str | None, Query(max_length=200)] = None,
    owner: Annotated[
        Literal["mine", "all"], Query(description="all: everyone's (needs the read-all grant)")
    ] = "mine",
    source: Annotated[
        list[ConversationSource] | None,
        Query(description="Only conversations started from these (repeat it); default: all"),
    ] = None,
) -> list[dict[str, Any]]:
    everyone = principal.local or (owner == "all" and principal.read_all_conversations)
    owner_id = None if everyone else principal.user_id
    summaries = await store.list_conversations(query=q, owner_id=owner_id, sources=source)
    return [summary_payload(s) for s in summaries]


@router.post("", response_model=ConversationPublic, response_model_exclude_unset=True)
async def create_conversation(
    runtime: RuntimeDep,
    principal: Asker,
    request: Request,
    body: ConversationCreate | None = None,
) -> dict[str, Any]:
    body = body or ConversationCreate()
    reasoning = _reasoning(body.reasoning)
    if body.preset or body.members or body.chairman or reasoning:
        spec = resolve_council(
            runtime.settings,
            preset=body.preset,
            members=body.members,
            chairman=body.chairman,
            reasoning=reasoning,
        )  # validates before anything is stored
        await _check_policy(request, principal, spec)
    row = await runtime.store.create_conversation(
        preset=body.preset,
        members=body.members,
        chairman=body.chairman,
        user_id=principal.user_id,
        source=body.source,
        reasoning=reasoning,
    )
    # A new conversation has no messages and no vault: nothing to read back.
    return conversation_payload(ConversationDetail(conversation=row, messages=[], runs={}))


@router.get(
    "/{conversation_id}", response_model=ConversationPublic, response_model_exclude_unset=True
)
async def get_conversation(
    conversation_id: str, store: StoreDep, _readable: ReadableConversation
) -> dict[str, Any]:
    return conversation_payload(await store.conversation_detail(conversation_id))


@router.patch(
    "/{conversation_id}", response_model=ConversationPublic, response_model_exclude_unset=True
)
async def update_conversation(
    conversation_id: str,
    body: ConversationUpdate,
    runtime: RuntimeDep,
    current: WritableConversation,
    principal: Asker,
    request: Request,
) -> dict[str, Any]:
    changes = body.model_dump(exclude_unset=True)
    if "reasoning" in changes:
        changes["reasoning"] = _reasoning(body.reasoning)
    if {"preset", "members", "chairman", "reasoning"} & changes.keys():
        merged = {
            "preset": current.preset,
            "members": current.members,
            "chairman": current.chairman,
            "reasoning": current.reasoning,
            **changes,
        }
        spec = resolve_council(
            runtime.settings,
            preset=merged["preset"],
            members=merged["members"],
            chairman=merged["chairman"],
            reasoning=merged["reasoning"],
        )
        await _check_policy(request, principal, spec)
    if "title" in changes:
        changes["title"] = " ".join(str(changes["title"]).split())
    await runtime.store.update_conversation(conversation_id, **changes)
    return conversation_payload(await runtime.store.conversation_detail(conversation_id))


@router.delete("/{conversation_id}", status_code=204)
async def delete_conversation(
    conversation_id: str, store: StoreDep, _writable: WritableConversation
) -> Response:
    await store.delete_conversation(conversation_id)
    return Response(status_code=204)


@router.get(
    "/{conversation_id}/export",
    response_model=None,
    responses={
        200: {
            "description": "Markdown (format=md, the default) or the conversation as JSON",
            "content": {
                "text/markdown": {"schema": {"type": "string"}},
                "application/json": {"schema": {"$ref": "#/components/schemas/ConversationPublic"}},
            },
        }
    },
)
async def export_conversation(
    conversation_id: str,
    store: StoreDep,
    _readable: ReadableConversation,
    format: Annotated[Literal["md", "json"], Query()] = "md",
) -> PlainTextResponse | dict[str, Any]:
    detail = await store.conversation_detail(conversation_id)
    if format == "json":
        return conversation_payload(detail)
    filename = f"council-{conversation_id[:8]}.md"
    return PlainTextResponse(
        conversation_markdown(detail),
        media_type="text/markdown",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.post(
    "/{conversation_id}/message",
    response_model=CouncilResult,
    response_model_exclude_unset=True,
    responses={
        413: {"model": ErrorBody},
        409: {"model": ErrorBody},
        502: {"model": ErrorBody, "description": "Every council member failed"},
    },
)
async def send_message(
    conversation_id: str,
    body: MessageCreate,
    runs: RunsDep,
    principal: Asker,
    request: Request,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> dict[str, Any] | JSONResponse:
    with reading(await _focus(request, conversation_id, body)):  # reading mode, when asked
        handle = await runs.start(
            conversation_id=conversation_id,
            content=body.content,
            idempotency_key=idempotency_key,
            actor=actor_for_run(principal, request),
            stream_tokens=False,  # nobody watches tokens here: no model_delta events
            may_write=principal.may_change_conversation,  # checked on the run's own read
            mode=body.mode,
            rounds=body.rounds,
        )
    response.headers.update(_notices(handle))
    # The answer as soon as the run is stored; usage and audit are settled right after.
    result = result_payload(await handle.result())
    if result["status"] == RunStatus.FAILED:
        # Every member failed (or the run broke): a gateway error naming each model's reason.
        error = dict(result["error"] or {"code": "council_failed", "message": "the run failed"})
        return JSONResponse(
            {"detail": {**error, "run_id": result["run_id"]}},
            status_code=502,
            headers=_notices(handle),
        )
    return result


@router.post(
    "/{conversation_id}/message/stream",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/event-stream": {}}},
        413: {"model": ErrorBody},
        409: {"model": ErrorBody},
    },
)
async def send_message_stream(
    conversation_id: str,
    body: MessageCreate,
    runs: RunsDep,
    principal: Asker,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> StreamingResponse:
    with reading(await _focus(request, conversation_id, body)):  # reading mode, when asked
        handle = await runs.start(
            conversation_id=conversation_id,
            content=body.content,
            idempotency_key=idempotency_key,
            actor=actor_for_run(principal, request),
            may_write=principal.may_change_conversation,  # checked on the run's own read
            mode=body.mode,
            rounds=body.rounds,
        )
    stream = run_stream(handle, runs)
    stream.headers.update(_notices(handle))
    return stream


@router.post(
    "/{conversation_id}/runs/{run_id}/retry",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}, 409: {"model": ErrorBody}},
)
async def retry_run(
    conversation_id: str,
    run_id: str,
    runs: RunsDep,
    _writable: WritableConversation,
    principal: Asker,
    request: Request,
) -> StreamingResponse:
    with reading(await _retried_focus(request, conversation_id, run_id)):
        handle = await runs.retry(
            conversation_id=conversation_id, run_id=run_id, actor=actor_for_run(principal, request)
        )
    stream = run_stream(handle, runs)
    stream.headers.update(_notices(handle))
    return stream


@router.get(
    "/{conversation_id}/runs/{run_id}/events",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def run_events(
    conversation_id: str,
    run_id: str,
    runtime: RuntimeDep,
    _readable: ReadableConversation,
    last_event_id: Annotated[
        str | None,
        Header(
            alias="Last-Event-ID",
            max_length=200,
            description=(
                "The id of the last event received: <run_id>:<epoch>:<n> or <run_id>:stored:<n>"
            ),
        ),
    ] = None,
    after: Annotated[
        int | None, Query(ge=0, description="Live events after event n (Last-Event-ID wins)")
    ] = None,
) -> StreamingResponse:
    """A run's events after the last one received, from whichever instance runs it (live), or
    as stored once it has ended; a viewer never keeps a run alive nor cancels it."""
    cursor = parse_cursor(run_id, last_event_id=last_event_id, after=after)
    assert runtime.run_events is not None  # built with the runtime
    return await runtime.run_events.response(
        conversation_id=conversation_id, run_id=run_id, cursor=cursor
    )


@router.post(
    "/{conversation_id}/runs/{run_id}/continue",
    response_model=ContinueResult,
    responses={402: {"model": ErrorBody}, 404: {"model": ErrorBody}, 409: {"model": ErrorBody}},
)
async def continue_answer(
    conversation_id: str,
    run_id: str,
    body: ContinueRequest,
    runs: RunsDep,
    _writable: WritableConversation,
    principal: Asker,
    request: Request,
) -> dict[str, Any]:
    """Ask the same model to finish an answer its output limit cut (finish_reason "length");
    the call is the asker's spend, within their policy and budget."""
    return await runs.continue_answer(
        conversation_id=conversation_id,
        run_id=run_id,
        stage=body.stage,
        model=body.model,
        actor=actor_for_run(principal, request),
    )


@router.post(
    "/{conversation_id}/runs/{run_id}/cancel", status_code=202, response_model=CancelResult
)
async def cancel_run(
    conversation_id: str, run_id: str, runs: RunsDep, _writable: WritableConversation
) -> dict[str, str]:
    cancelled = await runs.cancel(conversation_id=conversation_id, run_id=run_id)
    return {"run_id": run_id, "status": "cancelling" if cancelled else "not_running"}
