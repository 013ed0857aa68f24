"""The FastAPI application: routes, error handlers, the web UI, and the runtime's lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from llmcouncil.api.errors import install_error_handlers
from llmcouncil.api.routes import conversations, system
from llmcouncil.api.runtime import Runtime
from llmcouncil.config import Settings

STATIC = Path(__file__).resolve().parent.parent / "static"


def create_app(settings: Settings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = await Runtime.start(settings)
        app.state.runtime = runtime
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(
        title="LLM Council",
        description="Several models answer, review each other anonymously, and a chairman "
        "writes the final answer. Prose guide: docs/API.md.",
        version="0.1.0",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    # The original's front end ran on its own dev-server port; keep local dev origins working.
    app.add_middleware(
        CORSMiddleware,
        allow_origin_regex=r"http://(localhost|127\.0\.0\.1)(:\d+)?",
        allow_methods=["*"],
        allow_headers=["*"],
    )
    app.include_router(conversations.router)
    app.include_router(system.router)
    _mount_web(app)
    return app


def _mount_web(app: FastAPI) -> None:
    index = STATIC / "index.html"
    if not index.is_file():
        return
    if (STATIC / "assets").is_dir():
        app.mount("/assets", StaticFiles(directory=STATIC / "assets"), name="assets")

    @app.get("/", include_in_schema=False)
    async def web_index() -> FileResponse:
        return FileResponse(index)
