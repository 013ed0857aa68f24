"""``GET /api/models``: the configured presets and the providers' model catalogue.

What a caller sees follows their council policy (``auth.roles.<role>`` or their own lists): only
presets they may run and models they may send data to. The catalogue comes from the cache the
registry keeps fresh in the background (``providers/catalogue.py``); the route never fetches.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from llmcouncil.api.deps import RuntimeDep
from llmcouncil.api.guards import AnyUser
from llmcouncil.api.runtime import Runtime
from llmcouncil.api.schemas import ModelsPublic
from llmcouncil.auth.policy import CouncilPolicy, Principal
from llmcouncil.presets.settings import PresetSettings
from llmcouncil.providers.catalogue import ModelInfo

router = APIRouter(tags=["system"])

MAX_QUERY = 200


async def council_policy_of(runtime: Runtime, principal: Principal) -> CouncilPolicy | None:
    """The presets and models ``principal`` may use; None: no limits (local mode)."""
    if principal.local or principal.user_id is None:
        return None
    user = await runtime.governance.auth.store.get_user(principal.user_id)
    role_policy = runtime.settings.auth.roles.get(user.role)  # type: ignore[call-overload]
    if role_policy is None:
        return CouncilPolicy(presets=(), models=())
    return CouncilPolicy.effective(
        role_policy, presets=user.allowed_presets, models=user.allowed_models
    )


def _may_run(policy: CouncilPolicy | None, name: str, preset: PresetSettings) -> bool:
    if policy is None:
        return True
    return policy.allows_preset(name) and all(policy.allows_model(m) for m in preset.model_refs())


def _matches(query: str, ref: str, info: ModelInfo) -> bool:
    haystack = f"{ref} {info.name}".lower()
    return all(term in haystack for term in query.lower().split())


def catalogue_item(ref: str, info: ModelInfo, *, today: Any) -> dict[str, Any]:
    return {
        "id": ref,
        "name": info.name,
        "context_length": info.context_length,
        "prompt_price": info.prompt_price,
        "completion_price": info.completion_price,
        "input_modalities": list(info.input_modalities),
        "output_modalities": list(info.output_modalities),
        "supported_parameters": list(info.supported_parameters),
        "deprecated": info.deprecated,
        "expired": info.expired(today),
        "expiration_date": info.expiration_date,
    }


@router.get("/api/models", response_model=ModelsPublic)
async def list_models(
    runtime: RuntimeDep,
    principal: AnyUser,
    q: Annotated[
        str | None,
        Query(
            max_length=MAX_QUERY,
            description="Only catalogue models whose id or name has "
            "every word of q (case-insensitive).",
        ),
    ] = None,
) -> dict[str, Any]:
    settings = runtime.settings
    policy = await council_policy_of(runtime, principal)
    presets = [
        {
            "name": name,
            "description": preset.description,
            "members": preset.members,
            "chairman": preset.chairman,
            "chairman_fallbacks": preset.chairman_fallbacks,
            "fallbacks": preset.fallbacks,
            "title_model": preset.title_model,
            "exclude_self_votes": preset.exclude_self_votes,
            "mode": preset.mode,
            "revision_rounds": preset.revision_rounds,
            "early_stop": preset.early_stop,
        }
        for name, preset in settings.presets.items()
        if _may_run(policy, name, preset)
    ]
    refs = settings.model_refs(with_title=False)
    registry = runtime.registry
    today = registry.catalogue.today()
    catalogue = [
        catalogue_item(ref, info, today=today)
        for ref, info in registry.catalogue_models(settings.model_refs())
        if (policy is None or policy.allows_model(ref)) and (not q or _matches(q, ref, info))
    ]
    catalogue.sort(key=lambda item: (item["expired"], item["id"]))
    return {
        "default_preset": settings.default_preset,
        "presets": presets,
        "models": [m for m in refs if policy is None or policy.allows_model(m)],
        "catalogue": catalogue,
        "retired": [
            {"model": r.model, "reason": r.reason, "suggestions": list(r.suggestions)}
            for r in registry.retired(refs)
        ],
    }
