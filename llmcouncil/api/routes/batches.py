"""Batches: ``POST /api/batches`` (many questions, one council), status, results, cancel.

Anyone who may ask the council (admin, member) submits a batch; each question becomes a run
of their own (their budget, usage, audit records and council policy), in a conversation of
source ``batch``. The batch runs as a background job (``jobs/``: ``council worker`` processes
with Redis, this process without); ``GET /api/batches/{id}`` shows its progress from the
database on any instance, ``/results`` its answers as JSON, CSV or JSON Lines. Another
person's batch is a 404, like a missing one; administrators see everyone's.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from llmcouncil.api.deps import RuntimeDep
from llmcouncil.api.guards import Asker, actor_for_run
from llmcouncil.api.routes.models import council_policy_of
from llmcouncil.api.runtime import Runtime
from llmcouncil.api.schemas import ErrorBody
from llmcouncil.auth.policy import Principal, Scope
from llmcouncil.batches.export import MEDIA_TYPES, filename, item_row, render
from llmcouncil.batches.repository import ACTIVE, Batch
from llmcouncil.batches.service import (
    MAX_CONCURRENCY,
    MAX_QUESTIONS,
    BatchPlan,
    BatchService,
    Viewer,
)
from llmcouncil.council.spec import CouncilSpec
from llmcouncil.errors import PermissionDeniedError
from llmcouncil.presets.settings import ModeName

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "Not signed in (users mode)"},
    403: {"model": ErrorBody, "description": "Role, scopes or council policy do not allow it"},
    404: {"model": ErrorBody, "description": "Unknown batch, or another person's"},
    409: {"model": ErrorBody, "description": "The batch has ended (cancel)"},
    413: {"model": ErrorBody, "description": "A question over the content limit"},
    422: {"model": ErrorBody, "description": "No questions, too many, an empty one, bad preset"},
}
router = APIRouter(prefix="/api/batches", tags=["batches"], responses=ERRORS)


class BatchCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    questions: list[str] = Field(min_length=1, max_length=MAX_QUESTIONS)
    preset: str | None = Field(default=None, max_length=100)
    mode: ModeName | None = Field(default=None, description="In place of the preset's mode")
    name: str | None = Field(default=None, max_length=200)
    concurrency: int = Field(
        default=2, ge=1, le=MAX_CONCURRENCY, description="Questions of this batch run at once"
    )


class BatchProgress(BaseModel):
    total: int
    pending: int
    running: int
    done: int = Field(description="Answered")
    failed: int = Field(description="Ran, but gave no answer (or was refused)")
    skipped: int = Field(description="Never run: the batch was cancelled or out of budget")


class BatchPublic(BaseModel):
    id: str
    name: str
    status: str = Field(
        description="queued, running, complete, cancelled, budget_exhausted or failed"
    )
    preset: str | None
    mode: str | None
    concurrency: int
    error: str | None
    engine: str = Field(description="Where its job runs: redis (workers) or local (this server)")
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    progress: BatchProgress


class BatchList(BaseModel):
    batches: list[BatchPublic]


class BatchItemPublic(BaseModel):
    position: int
    question: str
    status: str = Field(description="pending, running, done, failed or skipped")
    answer: str | None
    error: str | None
    conversation_id: str | None
    run_id: str | None
    cost: float | None
    prompt_tokens: int
    completion_tokens: int
    calls: int
    latency_ms: float | None


class BatchResults(BaseModel):
    batch: BatchPublic
    items: list[BatchItemPublic]


def _service(request: Request, runtime: Runtime) -> BatchService:
    service: BatchService | None = getattr(request.app.state, "batches", None)
    if service is None or service.runs is not runtime.runs:
        service = BatchService(runs=runtime.runs, store=runtime.store, settings=runtime.settings)
        request.app.state.batches = service
    return service


async def start_jobs(app: FastAPI) -> None:
    """At start-up: the service, and (in-process queue) the batches left unfinished resume."""
    runtime: Runtime = app.state.runtime
    service = BatchService(runs=runtime.runs, store=runtime.store, settings=runtime.settings)
    app.state.batches = service
    await service.recover()


async def stop_jobs(app: FastAPI) -> None:
    """At shutdown: batches running here stop; each resumes where it was at the next start."""
    service: BatchService | None = getattr(app.state, "batches", None)
    if service is not None:
        await service.aclose()


def _viewer(principal: Principal) -> Viewer:
    return Viewer(user_id=principal.user_id, sees_all=principal.local or principal.can(Scope.ADMIN))


def _public(service: BatchService, batch: Batch, counts: dict[str, int]) -> dict[str, Any]:
    return {
        "id": batch.id,
        "name": batch.name,
        "status": batch.status,
        "preset": batch.preset,
        "mode": batch.mode,
        "concurrency": batch.concurrency,
        "error": batch.error,
        "engine": service.queue.engine,
        "created_at": batch.created_at,
        "started_at": batch.started_at,
        "finished_at": batch.finished_at,
        "progress": {"total": batch.total, **counts},
    }


async def _one(service: BatchService, batch: Batch) -> dict[str, Any]:
    return _public(service, batch, (await service.counts([batch]))[batch.id])


async def _check_policy(runtime: Runtime, principal: Principal, spec: CouncilSpec) -> None:
    """Every model the batch would send questions to must be one the caller may use."""
    policy = await council_policy_of(runtime, principal)
    if policy is None:
        return
    if spec.preset is not None and not policy.allows_preset(spec.preset):
        raise PermissionDeniedError(f"your council policy does not allow preset {spec.preset}")
    refused = sorted({m for m in [*spec.members, spec.chairman] if not policy.allows_model(m)})
    if refused:
        raise PermissionDeniedError(f"your council policy does not allow {', '.join(refused)}")


@router.post("", response_model=BatchPublic, status_code=202)
async def submit_batch(
    body: BatchCreate, request: Request, runtime: RuntimeDep, principal: Asker
) -> dict[str, Any]:
    service = _service(request, runtime)
    plan = BatchPlan(
        questions=body.questions,
        name=body.name or "batch",
        preset=body.preset,
        mode=body.mode,
        concurrency=body.concurrency,
    )
    await _check_policy(runtime, principal, service.check(plan))
    batch = await service.submit(plan, actor=actor_for_run(principal, request))
    return await _one(service, batch)


@router.get("", response_model=BatchList)
async def list_batches(request: Request, runtime: RuntimeDep, principal: Asker) -> dict[str, Any]:
    service = _service(request, runtime)
    found = await service.visible(viewer=_viewer(principal))
    counts = await service.counts(found)
    return {"batches": [_public(service, b, counts[b.id]) for b in found]}


@router.get("/{batch_id}", response_model=BatchPublic)
async def get_batch(
    batch_id: str,
    request: Request,
    runtime: RuntimeDep,
    principal: Asker,
    wait: Annotated[
        float, Query(ge=0, le=60, description="Seconds to wait for it to end (a long poll)")
    ] = 0,
) -> dict[str, Any]:
    service = _service(request, runtime)
    viewer = _viewer(principal)
    batch = await service.get(batch_id, viewer=viewer)
    if wait and batch.status in ACTIVE:
        await service.wait(batch_id, timeout=wait)
        batch = await service.get(batch_id, viewer=viewer)
    return await _one(service, batch)


@router.post("/{batch_id}/cancel", response_model=BatchPublic)
async def cancel_batch(
    batch_id: str, request: Request, runtime: RuntimeDep, principal: Asker
) -> dict[str, Any]:
    service = _service(request, runtime)
    batch = await service.cancel(batch_id, viewer=_viewer(principal))
    return await _one(service, batch)


@router.get(
    "/{batch_id}/results",
    response_model=BatchResults,
    responses={
        200: {
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/x-ndjson": {"schema": {"type": "string"}},
            },
            "description": "JSON (default), CSV or JSON Lines: one row per question, in order",
        }
    },
)
async def batch_results(
    batch_id: str,
    request: Request,
    runtime: RuntimeDep,
    principal: Asker,
    format: Annotated[Literal["json", "csv", "jsonl"], Query()] = "json",
) -> Any:
    service = _service(request, runtime)
    batch = await service.get(batch_id, viewer=_viewer(principal))
    items = await service.items(batch)
    if format == "json":
        return {"batch": await _one(service, batch), "items": [item_row(i) for i in items]}
    return Response(
        content=render(items, format),
        media_type=MEDIA_TYPES[format],
        headers={"Content-Disposition": f'attachment; filename="{filename(batch, format)}"'},
    )
