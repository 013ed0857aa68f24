"""Usage and budgets: tokens and cost per run, user, key and model; spending limits.

``GET /api/usage`` and ``GET /api/usage/budgets`` answer everyone with the ``usage`` scope:
members see their own figures, administrators and auditors everyone's. Budgets are set by
administrators (``/api/budgets``): per user or per key, or as the default for every user or key,
per day, week, month or in total, in currency (``limit_cost``) or tokens; hard ones refuse a run
with 402 once used up, soft ones only warn (``X-Council-Notice`` and the audit record).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator

from llmcouncil.api.deps import RuntimeDep
from llmcouncil.api.guards import Admin, UsageReader, client_of
from llmcouncil.api.inputs import INT32_MAX
from llmcouncil.api.schemas import ErrorBody
from llmcouncil.auth.service import actor_of
from llmcouncil.usage.service import budget_public

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "Not signed in"},
    403: {"model": ErrorBody, "description": "Missing scope or role"},
    404: {"model": ErrorBody, "description": "Unknown budget"},
}
router = APIRouter(tags=["usage"], responses=ERRORS)


class UsageRow(BaseModel):
    group: str
    id: str | None
    name: str | None
    runs: int
    calls: int
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    cost: float
    first: str | None
    last: str | None


class UsagePublic(BaseModel):
    currency: str
    group_by: str
    rows: list[UsageRow]


class BudgetSet(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subject_type: Literal["user", "key"]
    subject_id: str | None = Field(
        default=None, max_length=36, description="None: the default for every user (or key)."
    )
    period: Literal["day", "week", "month", "total"]
    limit_cost: float | None = Field(default=None, ge=0)
    limit_tokens: int | None = Field(default=None, ge=0, le=INT32_MAX)
    hard: bool = True

    @model_validator(mode="after")
    def _some_limit(self) -> BudgetSet:
        if self.limit_cost is None and self.limit_tokens is None:
            raise ValueError("set limit_cost, limit_tokens or both")
        return self


class BudgetPublic(BaseModel):
    id: str
    subject_type: str
    subject_id: str | None
    applies_to: str | None
    period: str
    limit_cost: float | None
    limit_tokens: int | None
    hard: bool
    period_start: str | None = None
    period_end: str | None = None
    spent_cost: float | None = None
    spent_tokens: int | None = None
    reserved_cost: float | None = None
    reserved_tokens: int | None = None
    exceeded: bool | None = None


@router.get("/api/usage", response_model=UsagePublic)
async def usage(
    principal: UsageReader,
    runtime: RuntimeDep,
    group_by: Literal["user", "key", "model", "run"] = "model",
    since: Annotated[datetime | None, Query(description="ISO time, inclusive.")] = None,
    until: Annotated[datetime | None, Query(description="ISO time, exclusive.")] = None,
    user_id: Annotated[str | None, Query(max_length=36)] = None,
    key_id: Annotated[str | None, Query(max_length=36)] = None,
) -> dict[str, Any]:
    if not principal.sees_all_usage:
        user_id = principal.user_id  # members: their own figures only
    await runtime.runs.settled()  # runs already answered are in the figures
    rows = await runtime.governance.usage.summary(
        group_by=group_by,
        since=_aware(since),
        until=_aware(until),
        user_id=user_id,
        api_key_id=key_id,
    )
    return {"currency": runtime.settings.usage.currency, "group_by": group_by, "rows": rows}


@router.get("/api/usage/budgets", response_model=list[BudgetPublic])
async def my_budgets(principal: UsageReader, runtime: RuntimeDep) -> list[dict[str, Any]]:
    """The budgets that apply to the caller (and the key it uses), this period's figures."""
    await runtime.runs.settled(principal.user_id)
    return await runtime.governance.usage.budget_status(
        user_id=principal.user_id, key_id=principal.api_key_id
    )


@router.get("/api/budgets", response_model=list[BudgetPublic])
async def list_budgets(_admin: Admin, runtime: RuntimeDep) -> list[dict[str, Any]]:
    await runtime.runs.settled()
    return [budget_public(b) for b in await runtime.governance.usage.list_budgets()]


@router.put("/api/budgets", response_model=BudgetPublic)
async def set_budget(
    body: BudgetSet, admin: Admin, request: Request, runtime: RuntimeDep
) -> dict[str, Any]:
    """Create the budget for (subject, period), or change the existing one."""
    governance = runtime.governance
    if body.subject_id is not None:
        if body.subject_type == "user":
            await governance.auth.store.get_user(body.subject_id)  # 404 when unknown
        else:
            await governance.auth.store.get_key(body.subject_id)
    row = await governance.usage.set_budget(**body.model_dump())
    await governance.audit.record(
        "budget.set",
        actor=actor_of(admin, client_of(request)),
        target=row.id,
        details=body.model_dump(),
    )
    return budget_public(row)


@router.delete("/api/budgets/{budget_id}", status_code=204)
async def delete_budget(
    budget_id: str, admin: Admin, request: Request, runtime: RuntimeDep
) -> Response:
    row = await runtime.governance.usage.delete_budget(budget_id)
    await runtime.governance.audit.record(
        "budget.delete",
        actor=actor_of(admin, client_of(request)),
        target=budget_id,
        details={"subject_type": row.subject_type, "subject_id": row.subject_id},
    )
    return Response(status_code=204)


def _aware(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment
