"""Evaluations: ``POST /api/evaluations`` (upload a dataset), status and progress, the report.

Anyone who may ask the council (admin, member) starts an evaluation; its runs are theirs (their
budget, usage and audit records, within their council policy). It runs in the background as a
job (``evaluation/jobs.py``); ``GET /api/evaluations/{id}`` shows its progress and
``/report`` (JSON) or ``/report.html`` its report once complete. Another person's evaluation is
a 404, like a missing one; administrators see everyone's.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from llmcouncil.api.deps import RuntimeDep
from llmcouncil.api.evaluation_report import EvaluationReport
from llmcouncil.api.guards import Asker, actor_for_run
from llmcouncil.api.routes.models import council_policy_of
from llmcouncil.api.runtime import Runtime
from llmcouncil.api.schemas import ErrorBody
from llmcouncil.auth.policy import Principal, Scope
from llmcouncil.errors import (
    ConflictError,
    ContentTooLargeError,
    PermissionDeniedError,
    ValidationFailedError,
)
from llmcouncil.evaluation.dataset import MAX_BYTES, EvalItem, parse_bytes, starter_dataset
from llmcouncil.evaluation.demo import demo_skills
from llmcouncil.evaluation.harness import EvaluationPlan
from llmcouncil.evaluation.html import render_html
from llmcouncil.evaluation.panel import check_judges
from llmcouncil.evaluation.repository import Evaluation
from llmcouncil.evaluation.service import EvaluationService, Viewer
from llmcouncil.evaluation.strategies import DEFAULT_STRATEGIES, build_strategies

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "Not signed in (users mode)"},
    403: {"model": ErrorBody, "description": "Role, scopes or council policy do not allow it"},
    404: {"model": ErrorBody, "description": "Unknown evaluation, or another person's"},
    409: {"model": ErrorBody, "description": "Not complete yet, or already running"},
    422: {"model": ErrorBody, "description": "Invalid dataset, strategies or judges"},
}
router = APIRouter(prefix="/api/evaluations", tags=["evaluations"], responses=ERRORS)


class EvaluationProgress(BaseModel):
    done: int
    total: int
    failed: int
    reused: int
    running: bool


class EvaluationPublic(BaseModel):
    id: str
    name: str
    status: str = Field(
        description="queued (for a worker), pending, running, complete, failed or interrupted"
    )
    simulated: bool
    questions: int
    strategies: list[str]
    judges: list[str]
    preset: str | None
    error: str | None
    created_at: datetime
    finished_at: datetime | None
    progress: EvaluationProgress


class EvaluationList(BaseModel):
    evaluations: list[EvaluationPublic]


def _service(request: Request, runtime: Runtime) -> EvaluationService:
    service: EvaluationService | None = getattr(request.app.state, "evaluations", None)
    if service is None or service.runs is not runtime.runs:
        service = EvaluationService(
            runs=runtime.runs,
            store=runtime.store,
            settings=runtime.settings,
            simulated=runtime.demo,
        )
        request.app.state.evaluations = service
    return service


async def stop_jobs(app: FastAPI) -> None:
    """At shutdown: stop running evaluations (they become ``interrupted``, resumable)."""
    service: EvaluationService | None = getattr(app.state, "evaluations", None)
    if service is not None:
        await service.aclose()


def _viewer(principal: Principal) -> Viewer:
    return Viewer(user_id=principal.user_id, sees_all=principal.local or principal.can(Scope.ADMIN))


async def _public(service: EvaluationService, evaluation: Evaluation) -> dict[str, Any]:
    return {
        "id": evaluation.id,
        "name": evaluation.name,
        "status": evaluation.status,
        "simulated": evaluation.simulated,
        "questions": len(evaluation.items),
        "strategies": evaluation.strategies,
        "judges": evaluation.judges,
        "preset": evaluation.preset,
        "error": evaluation.error,
        "created_at": evaluation.created_at,
        "finished_at": evaluation.finished_at,
        "progress": await service.progress(evaluation),
    }


def _names(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


async def _dataset(file: UploadFile | None, dataset: str | None) -> list[EvalItem]:
    if file is None:
        if dataset in (None, "", "starter"):
            return starter_dataset()
        raise ValidationFailedError("upload a dataset file, or give dataset=starter")
    if file.size is not None and file.size > MAX_BYTES:
        raise ContentTooLargeError(f"the file is {file.size} bytes; the limit is {MAX_BYTES}")
    data = await file.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ContentTooLargeError(f"the file is over {MAX_BYTES} bytes, the limit")
    return parse_bytes(data, filename=file.filename or "dataset.jsonl")


async def _check_policy(
    runtime: Runtime,
    principal: Principal,
    *,
    strategies: list[str],
    judges: list[str],
    preset: str | None,
) -> None:
    """Every model the evaluation would send data to must be one the caller may use."""
    policy = await council_policy_of(runtime, principal)
    if policy is None:
        return
    models = set(judges)
    for strategy in build_strategies(runtime.settings, strategies, preset=preset):
        request = strategy.request("probe", title="probe")
        models.update(request.members or [])
        models.update([request.chairman] if request.chairman else [])
    refused = sorted(m for m in models if not policy.allows_model(m))
    if refused:
        raise PermissionDeniedError(f"your council policy does not allow {', '.join(refused)}")


@router.post("", response_model=EvaluationPublic, status_code=202)
async def start_evaluation(
    request: Request,
    runtime: RuntimeDep,
    principal: Asker,
    file: Annotated[UploadFile | None, File(description="A .jsonl or .csv dataset")] = None,
    dataset: Annotated[str | None, Form(description="'starter' when no file is sent")] = None,
    name: Annotated[str | None, Form(max_length=200)] = None,
    strategies: Annotated[
        str | None, Form(description="Comma-separated (default: council, select, self-moa, …)")
    ] = None,
    judges: Annotated[str | None, Form(description="Comma-separated judge models")] = None,
    preset: Annotated[str | None, Form(max_length=100)] = None,
    concurrency: Annotated[int, Form(ge=1, le=64)] = 4,
    reuse: Annotated[bool, Form()] = False,
) -> dict[str, Any]:
    items = await _dataset(file, dataset)
    service = _service(request, runtime)
    chosen = _names(strategies) or list(DEFAULT_STRATEGIES)
    panel = check_judges(runtime.settings, _names(judges), preset=preset)
    await _check_policy(runtime, principal, strategies=chosen, judges=panel, preset=preset)
    plan = EvaluationPlan(
        name=name or (file.filename if file is not None and file.filename else "starter"),
        items=items,
        strategies=chosen,
        judges=panel,
        preset=preset,
        concurrency=concurrency,
        reuse=reuse,
    )
    if runtime.simulator is not None:  # demo mode: the simulator learns the answer key
        config = runtime.simulator.config
        runtime.simulator.configure(config.model_copy(update={"skills": demo_skills(items)}))
    evaluation = await service.start(plan, actor=actor_for_run(principal, request))
    return await _public(service, evaluation)


@router.get("", response_model=EvaluationList)
async def list_evaluations(
    request: Request, runtime: RuntimeDep, principal: Asker
) -> dict[str, Any]:
    service = _service(request, runtime)
    found = await service.list(viewer=_viewer(principal))
    return {"evaluations": [await _public(service, e) for e in found]}


@router.get("/{evaluation_id}", response_model=EvaluationPublic)
async def get_evaluation(
    evaluation_id: str,
    request: Request,
    runtime: RuntimeDep,
    principal: Asker,
    wait: Annotated[
        float, Query(ge=0, le=60, description="Seconds to wait for it to end (a long poll)")
    ] = 0,
) -> dict[str, Any]:
    service = _service(request, runtime)
    viewer = _viewer(principal)
    evaluation = await service.get(evaluation_id, viewer=viewer)
    if wait and service.active(evaluation):
        await service.wait(evaluation_id, timeout=wait)
        evaluation = await service.get(evaluation_id, viewer=viewer)
    return await _public(service, evaluation)


@router.post("/{evaluation_id}/resume", response_model=EvaluationPublic, status_code=202)
async def resume_evaluation(
    evaluation_id: str, request: Request, runtime: RuntimeDep, principal: Asker
) -> dict[str, Any]:
    service = _service(request, runtime)
    viewer = _viewer(principal)
    await service.resume(evaluation_id, viewer=viewer, actor=actor_for_run(principal, request))
    return await _public(service, await service.get(evaluation_id, viewer=viewer))


async def _report(
    evaluation_id: str, request: Request, runtime: Runtime, principal: Principal
) -> dict[str, Any]:
    service = _service(request, runtime)
    evaluation = await service.get(evaluation_id, viewer=_viewer(principal))
    if evaluation.status != "complete" or evaluation.report is None:
        raise ConflictError(f"evaluation {evaluation_id} is {evaluation.status}, not complete")
    return evaluation.report


@router.get("/{evaluation_id}/report", response_model=EvaluationReport)
async def evaluation_report(
    evaluation_id: str, request: Request, runtime: RuntimeDep, principal: Asker
) -> dict[str, Any]:
    return await _report(evaluation_id, request, runtime, principal)


@router.get(
    "/{evaluation_id}/report.html",
    # No response_class: errors stay documented as the JSON they are; only 200 is a page.
    response_model=None,
    responses={
        200: {
            "content": {"text/html": {"schema": {"type": "string"}}},
            "description": "A self-contained page",
        }
    },
)
async def evaluation_report_html(
    evaluation_id: str, request: Request, runtime: RuntimeDep, principal: Asker
) -> HTMLResponse:
    report = await _report(evaluation_id, request, runtime, principal)
    return HTMLResponse(render_html(report))
