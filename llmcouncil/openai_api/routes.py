"""``POST /v1/chat/completions``, ``GET /v1/models`` and ``GET /v1/models/{model}``.

Every request is a new stored conversation (its earlier turns seeded from the messages array),
so what a client sent and what the council did can be read back at ``/api/conversations/{id}``
and in the web UI; the id and that link come back in the ``council`` field. The run itself is
the same run any other client starts: same admission, privacy, resilience, events and store.
"""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Body, Request, Response
from fastapi.responses import StreamingResponse

from llmcouncil.api.deps import RunsDep, RuntimeDep
from llmcouncil.config import Settings
from llmcouncil.council.simulated import marked
from llmcouncil.council.transcript import result_payload
from llmcouncil.documents.inline import read_inline
from llmcouncil.documents.service import document_service
from llmcouncil.errors import CouncilFailedError, ModelFailure, OverloadedError
from llmcouncil.openai_api.disconnect import ClientGone, unless_disconnected
from llmcouncil.openai_api.messages import consultation, preset_for
from llmcouncil.openai_api.schemas import (
    MODEL_PREFIX,
    OWNER,
    ChatCompletion,
    ChatCompletionRequest,
    ModelCard,
    ModelList,
    usage_body,
)
from llmcouncil.openai_api.streaming import ChunkWriter, chat_stream

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Invalid request (OpenAI error format)"},
    404: {"description": "Unknown model (OpenAI error format)"},
    413: {"description": "Messages or an attached file past its limit (OpenAI error format)"},
    415: {"description": "An attached file of a type the council cannot read (OpenAI format)"},
    502: {"description": "Every council member failed (OpenAI error format)"},
}
router = APIRouter(prefix="/v1", tags=["openai"], responses=ERRORS)
_STARTED = int(time.time())
CLIENT_CLOSED_REQUEST = 499  # nobody reads it: the client is gone


def _card(settings: Settings, model_id: str, preset: str) -> dict[str, Any]:
    config = settings.presets[preset]
    return {
        "id": model_id,
        "object": "model",
        "created": _STARTED,
        "owned_by": OWNER,
        "council": {
            "preset": preset,
            "description": config.description,
            "members": config.members,
            "chairman": config.chairman,
        },
    }


@router.get("/models", response_model=ModelList)
async def list_models(runtime: RuntimeDep) -> dict[str, Any]:
    settings = runtime.settings
    cards = [_card(settings, MODEL_PREFIX, settings.default_preset)]
    cards += [_card(settings, f"{MODEL_PREFIX}/{name}", name) for name in settings.presets]
    return {"object": "list", "data": cards}


@router.get("/models/{model:path}", response_model=ModelCard)
async def get_model(model: str, runtime: RuntimeDep) -> dict[str, Any]:
    return _card(runtime.settings, model, preset_for(runtime.settings, model))


def _links(request: Request, conversation_id: str, run_id: str) -> dict[str, Any]:
    path = f"/api/conversations/{conversation_id}"
    return {
        "conversation_id": conversation_id,
        "run_id": run_id,
        "conversation_url": str(request.base_url).rstrip("/") + path,
    }


@router.post(
    "/chat/completions",
    response_model=ChatCompletion,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def chat_completions(
    request: Request,
    body: Annotated[ChatCompletionRequest, Body()],
    runtime: RuntimeDep,
    runs: RunsDep,
) -> Any:
    wanted = consultation(runtime.settings, body)
    documents = document_service(
        store=runtime.store, privacy=runtime.runs.privacy, settings=runtime.settings
    )
    # Bad files are refused before anything is stored; workers read them where they exist.
    attach = await read_inline(documents, wanted.attachments, uploads=runtime.document_uploads)
    opening = runs.open_conversation(
        content=wanted.question,
        preset=wanted.preset,
        history=wanted.history,
        system_prompt=wanted.system_prompt,
        stream_tokens=bool(body.stream),  # a waiting client is sent no token events
        source="v1",
        before_run=attach,
        mode=body.mode,
        rounds=body.rounds,
    )
    try:  # a long history's scan is dropped, and no run starts, if the client leaves first
        handle = await unless_disconnected(request, opening)
    except ClientGone:
        return Response(status_code=CLIENT_CLOSED_REQUEST)
    links = _links(request, handle.conversation_id, handle.run_id)
    if body.stream:
        writer = ChunkWriter(
            run_id=handle.run_id,
            model=body.model,
            council=links,
            include_usage=bool(body.stream_options and body.stream_options.include_usage),
            events=bool(body.council and body.council.events),
        )
        response: StreamingResponse = chat_stream(handle, runs, writer)
        return response
    detail = await handle.result()
    return _completion(body.model, result_payload(detail), links, simulated=detail.run.simulated)


def _completion(
    model: str, result: dict[str, Any], links: dict[str, Any], *, simulated: bool
) -> dict[str, Any]:
    error = result.get("error") or {}
    final = result.get("stage3")
    if result["status"] != "complete" or not isinstance(final, dict):
        failures = [ModelFailure(**f) for f in error.get("failures") or []]
        if error.get("code") == "cancelled":  # the server is shutting down: go elsewhere
            raise OverloadedError("the council was cancelled; try again", retry_after=1)
        if failures:
            raise CouncilFailedError("the council failed", failures=failures)
        message = str(error.get("message") or f"the council ended {result['status']}")
        raise CouncilFailedError(message, failures=[])
    usage = dict(result.get("usage") or {})
    return {
        "id": f"chatcmpl-{result['run_id']}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "system_fingerprint": None,
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": marked(str(final.get("response", "")), simulated=simulated),
                },
                "logprobs": None,
                # "length": the output limit cut the answer (POST …/runs/{id}/continue finishes it)
                "finish_reason": "length" if final.get("finish_reason") == "length" else "stop",
            }
        ],
        "usage": usage_body(usage),
        "council": {
            **links,
            "status": result["status"],
            "degraded": bool(final.get("degraded")),
            "chairman": final.get("model"),
            "cost": usage.get("cost"),
            "stage1": result["stage1"],
            "stage2": result["stage2"],
            "stage3": final,
            "mode": result.get("mode", "classic"),
            "stage1_rounds": result.get("stage1_rounds", []),
            "structured": final.get("structured"),
            "metadata": result["metadata"],
            "errors": result["errors"],
        },
    }
