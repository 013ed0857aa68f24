"""Status and health (the models: routes/models.py)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.engine import make_url

from llmcouncil.api.deps import RuntimeDep
from llmcouncil.api.drain import DRAINING_MESSAGE, Drain
from llmcouncil.api.errors import error_body
from llmcouncil.api.guards import get_principal
from llmcouncil.api.runtime import DEMO_MESSAGE
from llmcouncil.api.schemas import StatusPublic
from llmcouncil.config import resolve_model
from llmcouncil.documents.formats import SUPPORTED
from llmcouncil.errors import AuthenticationError, StoreError

router = APIRouter(tags=["system"])


def package_version() -> str:
    try:
        return version("llmcouncil")
    except PackageNotFoundError:
        return "0+unknown"


@router.get("/api/status", response_model=StatusPublic)
async def status(runtime: RuntimeDep, request: Request) -> dict[str, Any]:
    """Public; without credentials in users mode, only what the sign-in page needs."""
    settings = runtime.settings
    if runtime.governance.mode == "users":
        try:
            await get_principal(request)
        except AuthenticationError:
            return {
                "version": package_version(),
                "demo": runtime.demo,
                "demo_message": None,
                "simulator_url": None,
                "database": "",
                "default_preset": settings.default_preset,
                "providers": [],
                "active_runs": 0,
                "privacy": None,
            }
    used = {
        resolve_model(settings, m).provider
        for p in settings.presets.values()
        for m in [*p.members, p.chairman]
    }
    providers = [
        {
            "name": name,
            "base_url": p.base_url,
            "key_env": p.api_key_env,
            "key_present": bool(p.api_key()) if p.api_key_env else None,
        }
        for name, p in settings.providers.items()
        if name in used
    ]
    return {
        "version": package_version(),
        "demo": runtime.demo,
        "demo_message": DEMO_MESSAGE if runtime.demo else None,
        "simulator_url": runtime.simulator.base_url if runtime.simulator else None,
        "database": make_url(settings.database_url).get_backend_name(),
        "default_preset": settings.default_preset,
        "providers": providers,
        "active_runs": runtime.runs.active_runs,
        "privacy": runtime.privacy.status(settings) if runtime.privacy else None,
        "limits": {
            "max_content_chars": settings.limits.max_content_chars,
            "max_request_chars": settings.limits.max_request_chars,
            "document_context_chars": settings.documents.context_chars,
            "max_file_bytes": settings.documents.max_file_bytes,
            "max_image_bytes": settings.documents.max_image_bytes,
            "max_documents": settings.documents.max_documents,
            "accepted": SUPPORTED,
        },
    }


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", response_model=None)
async def readyz(runtime: RuntimeDep, request: Request) -> dict[str, str] | JSONResponse:
    # 503 while the database is unreachable, or while this instance drains (api/drain.py).
    drain: Drain | None = getattr(request.app.state, "drain", None)
    if drain is not None and drain.draining:
        return JSONResponse(error_body("draining", DRAINING_MESSAGE), status_code=503)
    try:
        await runtime.store.ping()
    except StoreError as exc:
        return JSONResponse(error_body(exc.code, exc.message), status_code=503)
    return {"status": "ready", "database": "ok"}
