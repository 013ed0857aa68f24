"""Dependency aliases for routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from llmcouncil.api.runtime import Runtime
from llmcouncil.council.runs import RunService
from llmcouncil.store.repository import Store


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


# The dependencies are coroutines although they do not wait for anything: FastAPI runs a plain
# function dependency on a worker thread, a thread round trip per dependency per request.


async def get_runtime(request: Request) -> Runtime:
    return runtime_of(request)


async def get_store(request: Request) -> Store:
    return runtime_of(request).store


async def get_runs(request: Request) -> RunService:
    return runtime_of(request).runs


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
StoreDep = Annotated[Store, Depends(get_store)]
RunsDep = Annotated[RunService, Depends(get_runs)]
