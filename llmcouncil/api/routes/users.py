"""Accounts, for administrators: list, create, read, and change role, policy or state.

There is no DELETE: an account is deactivated (``active: false``), which ends its sessions and
stops its keys at once and keeps the audit trail's references meaningful. The last active
administrator cannot be demoted or deactivated.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from llmcouncil.api.deps import RuntimeDep
from llmcouncil.api.guards import Admin, client_of
from llmcouncil.api.inputs import INT32_MAX
from llmcouncil.api.schemas import ErrorBody
from llmcouncil.auth.accounts import user_public
from llmcouncil.auth.service import actor_of
from llmcouncil.auth.settings import Role

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "Not signed in"},
    403: {"model": ErrorBody, "description": "Not an administrator"},
    404: {"model": ErrorBody, "description": "Unknown user"},
    409: {"model": ErrorBody, "description": "Username taken, or the last administrator"},
}
router = APIRouter(prefix="/api/users", tags=["users"], responses=ERRORS)


class RateLimitsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    requests_per_minute: int | None = Field(default=None, ge=1, le=INT32_MAX)
    runs_per_minute: int | None = Field(default=None, ge=1, le=INT32_MAX)


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=100)
    password: str | None = Field(
        default=None, max_length=1024, description="None: single sign-on only."
    )
    role: Role = "member"
    display_name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=320)


class UserUpdate(BaseModel):
    """Every field is optional; a policy list set to null inherits the role's again."""

    model_config = ConfigDict(extra="forbid")

    role: Role | None = None
    active: bool | None = None
    password: str | None = Field(default=None, max_length=1024)
    display_name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=320)
    allowed_presets: list[str] | None = Field(default=None, max_length=200)
    allowed_models: list[str] | None = Field(default=None, max_length=500)
    read_all_conversations: bool | None = None
    rate_limits: RateLimitsIn | None = None


class UserPublic(BaseModel):
    id: str
    username: str
    display_name: str | None
    email: str | None
    role: str
    active: bool
    sso: bool
    has_password: bool
    allowed_presets: list[str] | None
    allowed_models: list[str] | None
    read_all_conversations: bool
    rate_limits: dict[str, Any] | None
    created_at: str
    last_login_at: str | None


@router.get("", response_model=list[UserPublic])
async def list_users(_admin: Admin, runtime: RuntimeDep) -> list[dict[str, Any]]:
    return [user_public(u) for u in await runtime.governance.auth.store.list_users()]


@router.post("", response_model=UserPublic, status_code=201)
async def create_user(
    body: UserCreate, admin: Admin, request: Request, runtime: RuntimeDep
) -> dict[str, Any]:
    user = await runtime.governance.accounts.create_user(
        username=body.username,
        role=body.role,
        password=body.password,
        display_name=body.display_name,
        email=body.email,
        actor=actor_of(admin, client_of(request)),
    )
    return user_public(user)


@router.get("/{user_id}", response_model=UserPublic)
async def get_user(user_id: str, _admin: Admin, runtime: RuntimeDep) -> dict[str, Any]:
    return user_public(await runtime.governance.auth.store.get_user(user_id))


@router.patch("/{user_id}", response_model=UserPublic)
async def update_user(
    user_id: str, body: UserUpdate, admin: Admin, request: Request, runtime: RuntimeDep
) -> dict[str, Any]:
    changes = body.model_dump(exclude_unset=True)
    for name in ("role", "active", "read_all_conversations"):
        if name in changes and changes[name] is None:
            del changes[name]  # null means "leave as is" for these
    if "rate_limits" in changes and changes["rate_limits"] is not None:
        changes["rate_limits"] = {k: v for k, v in changes["rate_limits"].items() if v}
    user = await runtime.governance.accounts.update_user(
        user_id, changes=changes, actor=actor_of(admin, client_of(request))
    )
    return user_public(user)
