"""Dependency aliases for routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from llmcouncil.api.runtime import Runtime
from llmcouncil.council.runs import RunService
from llmcouncil.store.repository import Store


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def get_store(request: Request) -> Store:
    return get_runtime(request).store


def get_runs(request: Request) -> RunService:
    return get_runtime(request).runs


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
StoreDep = Annotated[Store, Depends(get_store)]
RunsDep = Annotated[RunService, Depends(get_runs)]
