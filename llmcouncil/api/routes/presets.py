"""Saved presets: ``GET``/``POST /api/presets``, ``DELETE /api/presets/{id}``.

Anyone who may ask the council keeps personal presets; administrators also keep shared ones,
which everyone sees. A preset's models must be ones the caller may send data to (their council
policy), and a list shows only presets the caller could run. Another person's personal preset is
a 404, like a missing one.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from llmcouncil.api.deps import RuntimeDep
from llmcouncil.api.guards import Asker
from llmcouncil.api.routes.models import council_policy_of
from llmcouncil.api.schemas import ErrorBody
from llmcouncil.auth.policy import Principal, Scope
from llmcouncil.config import resolve_model
from llmcouncil.errors import NotFoundError, PermissionDeniedError, ValidationFailedError
from llmcouncil.presets.repository import (
    PresetDraft,
    SavedPreset,
    delete_preset,
    get_preset,
    list_presets,
    save_preset,
)
from llmcouncil.presets.schemas import SavedPresetCreate, SavedPresetList, SavedPresetPublic

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "Not signed in (users mode)"},
    403: {"model": ErrorBody, "description": "A model the caller may not use; shared: not admin"},
    404: {"model": ErrorBody, "description": "Unknown preset, or another person's"},
    422: {"model": ErrorBody, "description": "Invalid council"},
}
router = APIRouter(prefix="/api/presets", tags=["presets"], responses=ERRORS)
LOCAL_OWNER = "local"


def owner_of(principal: Principal) -> str:
    return principal.user_id or LOCAL_OWNER


def _public(preset: SavedPreset, principal: Principal) -> dict[str, Any]:
    return {
        "id": preset.id,
        "name": preset.name,
        "description": preset.description,
        "members": preset.members,
        "chairman": preset.chairman,
        "mode": preset.mode,
        "reasoning": preset.reasoning,
        "shared": preset.shared,
        "mine": preset.owner == owner_of(principal) or preset.created_by == principal.username,
        "created_by": preset.created_by,
        "created_at": preset.created_at,
        "updated_at": preset.updated_at,
    }


@router.get("", response_model=SavedPresetList)
async def saved_presets(runtime: RuntimeDep, principal: Asker) -> dict[str, Any]:
    policy = await council_policy_of(runtime, principal)
    found = await list_presets(runtime.store.engine, owner=owner_of(principal))
    return {
        "presets": [
            _public(p, principal)
            for p in found
            if policy is None or all(policy.allows_model(m) for m in p.models)
        ]
    }


@router.post("", response_model=SavedPresetPublic, status_code=201)
async def save(
    body: SavedPresetCreate, runtime: RuntimeDep, principal: Asker, response: Response
) -> dict[str, Any]:
    if body.shared and not principal.can(Scope.ADMIN):
        raise PermissionDeniedError("only administrators save shared presets")
    settings = runtime.settings
    unknown = [
        m
        for m in dict.fromkeys([*body.members, body.chairman])
        if resolve_model(settings, m).provider not in settings.providers
    ]
    if unknown:
        raise ValidationFailedError(f"unknown provider in {', '.join(unknown)}")
    policy = await council_policy_of(runtime, principal)
    refused = [
        m
        for m in dict.fromkeys([*body.members, body.chairman])
        if policy is not None and not policy.allows_model(m)
    ]
    if refused:
        raise PermissionDeniedError(f"you may not use {', '.join(refused)}")
    draft = PresetDraft(
        name=body.name,
        description=body.description,
        members=body.members,
        chairman=body.chairman,
        mode=body.mode,
        reasoning=body.reasoning.model_dump(exclude_defaults=True),
        shared=body.shared,
        owner=owner_of(principal),
        created_by=principal.username,
    )
    saved, replaced = await save_preset(runtime.store.engine, draft)
    if replaced:
        response.status_code = 200
    return _public(saved, principal)


@router.delete("/{preset_id}", status_code=204)
async def remove(preset_id: str, runtime: RuntimeDep, principal: Asker) -> Response:
    preset = await get_preset(runtime.store.engine, preset_id)
    if preset is None or (not preset.shared and preset.owner != owner_of(principal)):
        raise NotFoundError(f"preset {preset_id} does not exist")
    if preset.shared and not principal.can(Scope.ADMIN):
        raise PermissionDeniedError("only administrators delete shared presets")
    await delete_preset(runtime.store.engine, preset_id)
    return Response(status_code=204)
