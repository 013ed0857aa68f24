"""API keys: the caller's own (any role), or everyone's (administrators).

A key is shown once, in the answer to its creation; afterwards only its prefix (``lc_<prefix>``)
identifies it. Revoking takes effect with the next request that presents it. Another user's key
is a 404 to anyone but an administrator.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from llmcouncil.api.deps import RuntimeDep
from llmcouncil.api.guards import KeyHolder, client_of
from llmcouncil.api.schemas import ErrorBody
from llmcouncil.auth.accounts import key_public
from llmcouncil.auth.policy import Principal, Scope
from llmcouncil.auth.service import actor_of
from llmcouncil.auth.tables import ApiKeyRow
from llmcouncil.errors import ConflictError, NotFoundError

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "Not signed in"},
    403: {"model": ErrorBody, "description": "Scope not allowed for the role"},
    404: {"model": ErrorBody, "description": "Unknown key, or another user's"},
}
router = APIRouter(prefix="/api/keys", tags=["keys"], responses=ERRORS)


class KeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    scopes: list[str] | None = Field(
        default=None,
        max_length=10,
        description="Default: conversations. Known: conversations, keys, usage, audit, admin.",
    )
    expires_in_days: float | None = Field(default=None, gt=0, le=3650)


class KeyPublic(BaseModel):
    id: str
    user_id: str
    name: str
    prefix: str
    scopes: list[str]
    created_at: str
    expires_at: str | None
    last_used_at: str | None
    revoked_at: str | None
    active: bool


class KeyCreated(KeyPublic):
    key: str = Field(description="The secret key. It is shown this once and never again.")


def _may_manage(principal: Principal, row: ApiKeyRow) -> bool:
    return principal.local or principal.can(Scope.ADMIN) or row.user_id == principal.user_id


@router.get("", response_model=list[KeyPublic])
async def list_keys(
    principal: KeyHolder,
    runtime: RuntimeDep,
    user_id: Annotated[str | None, Query(description="Administrators: this user's keys.")] = None,
    everyone: Annotated[bool, Query(description="Administrators: every user's keys.")] = False,
) -> list[dict[str, Any]]:
    admin = principal.local or principal.can(Scope.ADMIN)
    owner = principal.user_id
    if admin and everyone:
        owner = None
    elif admin and user_id:
        owner = user_id
    if owner is None and not admin:
        return []
    rows = await runtime.governance.auth.store.list_keys(user_id=owner)
    return [key_public(r) for r in rows]


@router.post("", response_model=KeyCreated, status_code=201)
async def create_key(
    body: KeyCreate, principal: KeyHolder, request: Request, runtime: RuntimeDep
) -> dict[str, Any]:
    if principal.user_id is None:
        raise ConflictError(
            "API keys belong to user accounts, and this server runs without them (local "
            "mode); create an account with `council users create --admin NAME`"
        )
    auth = runtime.governance.auth
    owner = await auth.store.get_user(principal.user_id)
    issued = await auth.create_key(
        owner,
        name=body.name,
        scopes=body.scopes,
        expires_in_days=body.expires_in_days,
        actor=actor_of(principal, client_of(request)),
    )
    return {**key_public(issued.row), "key": issued.secret}


@router.delete("/{key_id}", status_code=204)
async def revoke_key(
    key_id: str, principal: KeyHolder, request: Request, runtime: RuntimeDep
) -> Response:
    auth = runtime.governance.auth
    row = await auth.store.get_key(key_id)
    if not _may_manage(principal, row):
        raise NotFoundError(f"API key {key_id} does not exist")
    await auth.revoke_key(key_id, actor=actor_of(principal, client_of(request)))
    return Response(status_code=204)
