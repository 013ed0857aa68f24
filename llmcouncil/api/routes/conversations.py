"""Conversations: the original prototype's endpoints plus rename, delete, export and runs."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Response
from fastapi.responses import JSONResponse, PlainTextResponse, StreamingResponse

from llmcouncil.api.deps import RunsDep, RuntimeDep, StoreDep
from llmcouncil.api.schemas import (
    CancelResult,
    ConversationCreate,
    ConversationPublic,
    ConversationSummaryPublic,
    ConversationUpdate,
    CouncilResult,
    ErrorBody,
    MessageCreate,
)
from llmcouncil.api.sse import run_stream
from llmcouncil.council.results import RUN_FAILED
from llmcouncil.council.spec import resolve_council
from llmcouncil.council.transcript import (
    conversation_markdown,
    conversation_payload,
    result_payload,
    summary_payload,
)

ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "Unknown conversation or run"},
    422: {"model": ErrorBody, "description": "Invalid input"},
}
router = APIRouter(prefix="/api/conversations", tags=["conversations"], responses=ERRORS)
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)]


@router.get("", response_model=list[ConversationSummaryPublic])
async def list_conversations(
    store: StoreDep, q: Annotated[str | None, Query(max_length=200)] = None
) -> list[dict[str, Any]]:
    return [summary_payload(s) for s in await store.list_conversations(query=q)]


@router.post("", response_model=ConversationPublic)
async def create_conversation(
    runtime: RuntimeDep, body: ConversationCreate | None = None
) -> dict[str, Any]:
    body = body or ConversationCreate()
    if body.preset or body.members or body.chairman:
        resolve_council(
            runtime.settings, preset=body.preset, members=body.members, chairman=body.chairman
        )  # validates before anything is stored
    row = await runtime.store.create_conversation(
        preset=body.preset, members=body.members, chairman=body.chairman
    )
    return conversation_payload(await runtime.store.conversation_detail(row.id))


@router.get("/{conversation_id}", response_model=ConversationPublic)
async def get_conversation(conversation_id: str, store: StoreDep) -> dict[str, Any]:
    return conversation_payload(await store.conversation_detail(conversation_id))


@router.patch("/{conversation_id}", response_model=ConversationPublic)
async def update_conversation(
    conversation_id: str, body: ConversationUpdate, runtime: RuntimeDep
) -> dict[str, Any]:
    changes = body.model_dump(exclude_unset=True)
    if {"preset", "members", "chairman"} & changes.keys():
        current = await runtime.store.get_conversation(conversation_id)
        merged = {
            "preset": current.preset,
            "members": current.members,
            "chairman": current.chairman,
            **changes,
        }
        resolve_council(
            runtime.settings,
            preset=merged["preset"],
            members=merged["members"],
            chairman=merged["chairman"],
        )
    if "title" in changes:
        changes["title"] = " ".join(str(changes["title"]).split())
    await runtime.store.update_conversation(conversation_id, **changes)
    return conversation_payload(await runtime.store.conversation_detail(conversation_id))


@router.delete("/{conversation_id}", status_code=204)
async def delete_conversation(conversation_id: str, store: StoreDep) -> Response:
    await store.delete_conversation(conversation_id)
    return Response(status_code=204)


@router.get("/{conversation_id}/export", response_model=None)
async def export_conversation(
    conversation_id: str,
    store: StoreDep,
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
    store: StoreDep,
    idempotency_key: IdempotencyKey = None,
) -> dict[str, Any] | JSONResponse:
    handle = await runs.start(
        conversation_id=conversation_id, content=body.content, idempotency_key=idempotency_key
    )
    await handle.wait()
    result = result_payload(await store.get_run(handle.run_id))
    if result["status"] == RUN_FAILED:
        # Every member failed (or the run broke): a gateway error naming each model's reason.
        error = dict(result["error"] or {"code": "council_failed", "message": "the run failed"})
        return JSONResponse({"detail": {**error, "run_id": result["run_id"]}}, status_code=502)
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
    idempotency_key: IdempotencyKey = None,
) -> StreamingResponse:
    handle = await runs.start(
        conversation_id=conversation_id, content=body.content, idempotency_key=idempotency_key
    )
    return run_stream(handle, runs)


@router.post(
    "/{conversation_id}/runs/{run_id}/retry",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}, 409: {"model": ErrorBody}},
)
async def retry_run(conversation_id: str, run_id: str, runs: RunsDep) -> StreamingResponse:
    handle = await runs.retry(conversation_id=conversation_id, run_id=run_id)
    return run_stream(handle, runs)


@router.post(
    "/{conversation_id}/runs/{run_id}/cancel", status_code=202, response_model=CancelResult
)
async def cancel_run(conversation_id: str, run_id: str, runs: RunsDep) -> dict[str, str]:
    cancelled = await runs.cancel(conversation_id=conversation_id, run_id=run_id)
    return {"run_id": run_id, "status": "cancelling" if cancelled else "not_running"}
