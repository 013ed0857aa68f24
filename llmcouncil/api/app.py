"""The FastAPI application: routes, error handlers, the web UI, and the runtime's lifespan.

Besides ``/api``: the OpenAI-compatible ``/v1`` (its errors in the OpenAI format), the MCP
endpoint ``/mcp``, and ``/metrics``. Telemetry (request ids, access log, HTTP metrics and spans)
wraps every request; ``tracer_provider`` is the OpenTelemetry provider to write spans to (None:
no tracing; ``council serve`` builds one from the ``OTEL_*`` environment).
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from opentelemetry.trace import TracerProvider

from llmcouncil.api.errors import install_error_handlers
from llmcouncil.api.governance import announce_first_run
from llmcouncil.api.guards import Require
from llmcouncil.api.inputs import refuse_unstorable
from llmcouncil.api.openapi import install_openapi
from llmcouncil.api.routes import (
    analytics,
    audit,
    auth,
    batches,
    conversations,
    document_uploads,
    documents,
    evaluations,
    feedback,
    health,
    keys,
    models,
    presets,
    system,
    usage,
    users,
)
from llmcouncil.api.routes.system import package_version
from llmcouncil.api.runtime import Runtime
from llmcouncil.auth.policy import Scope
from llmcouncil.config import Settings
from llmcouncil.mcp_server.server import McpEndpoint
from llmcouncil.observability.http import RequestTelemetry
from llmcouncil.observability.telemetry import Telemetry, metrics_router
from llmcouncil.openai_api import routes as openai_routes
from llmcouncil.openai_api.errors import OpenAIErrorShape, unhandled_error

STATIC = Path(__file__).resolve().parent.parent / "static"


# A server process's garbage collector: young collections after this many new container
# objects instead of CPython's 700 (a council allocates tens of thousands), older generations
# less often. See ``tune_collector``.
GC_THRESHOLDS = (20_000, 20, 100)


def tune_collector() -> None:
    """Settle the heap of a long-running server once it has started.

    Everything that exists after start-up (modules, the PII analyzer, settings, pools) lives as
    long as the process: ``gc.freeze`` takes it out of every later collection, and the higher
    thresholds make collections rarer. With CPython's defaults the collector took a quarter of
    the server's CPU under 200 concurrent councils and paused the event loop for up to a third
    of a second (docs/PERFORMANCE.md).
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def create_app(
    settings: Settings,
    *,
    tracer_provider: TracerProvider | None = None,
    server_process: bool = False,
) -> FastAPI:
    """``server_process``: the app owns its process (``council serve``), so it may tune the
    process's garbage collector once started (not done for apps inside another program)."""
    telemetry = Telemetry.build(settings, tracer_provider=tracer_provider)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = await Runtime.start(
            settings,
            observers=telemetry.run_observers(),
            vote_observers=telemetry.vote_observers(),
            resume_left_behind=True,  # a server takes over what a dead instance left running
        )
        app.state.runtime = runtime
        await announce_first_run(runtime.governance, settings)
        await batches.start_jobs(app)  # unfinished batches of a stopped process resume
        telemetry.start(
            admission=runtime.runs.admission,
            limits=runtime.caller.limits,
            breakers=runtime.caller.breakers,
        )
        if server_process:
            tune_collector()
        try:
            async with mcp.running():
                yield
        finally:
            await evaluations.stop_jobs(app)  # paused, resumable, before their runs stop
            await batches.stop_jobs(app)
            await runtime.hand_over_at_stop()
            await telemetry.stop()
            await runtime.stop()

    app = FastAPI(
        title="LLM Council",
        description="Several models answer, review each other anonymously, and a chairman "
        "writes the final answer. Prose guide: docs/API.md.",
        version="0.1.0",
        lifespan=lifespan,
        # Before any route's own dependencies: no value a database cannot store gets further.
        dependencies=[Depends(refuse_unstorable)],
    )
    app.state.telemetry = telemetry
    install_openapi(app)
    install_error_handlers(app)
    app.add_exception_handler(Exception, unhandled_error)
    app.add_middleware(OpenAIErrorShape)
    # The original's front end ran on its own dev-server port; keep local dev origins working.
    app.add_middleware(
        CORSMiddleware,
        allow_origin_regex=r"http://(localhost|127\.0\.0\.1)(:\d+)?",
        allow_methods=["*"],
        allow_headers=["*"],
    )
    # Every route outside the public list needs credentials in users mode (api/guards.py); the
    # routers of other capabilities get their guard here, where they are mounted.
    signed_in = [Depends(Require())]
    askers = [Depends(Require(Scope.CONVERSATIONS))]
    app.include_router(conversations.router)
    app.include_router(document_uploads.router)
    app.include_router(documents.router)
    app.include_router(feedback.router)
    app.include_router(analytics.router)
    app.include_router(models.router)
    app.include_router(presets.router)
    app.include_router(evaluations.router)
    app.include_router(batches.router)
    app.include_router(system.router)
    app.include_router(health.router, dependencies=signed_in)
    app.include_router(openai_routes.router, dependencies=askers)
    mcp = McpEndpoint(lambda: app.state.runtime, host=settings.host, version=package_version())
    app.include_router(mcp.router(dependencies=askers))
    for router in (auth.router, users.router, keys.router, usage.router, audit.router):
        app.include_router(router)
    app.include_router(metrics_router())
    # Outermost: request ids, access log, metrics and spans cover every other layer.
    app.add_middleware(
        RequestTelemetry, metrics=telemetry.metrics, tracer_provider=telemetry.tracer_provider
    )
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

    # The first-run link printed on the console (/setup?token=…) opens the app's setup page.
    @app.get("/setup", include_in_schema=False)
    async def web_setup() -> FileResponse:
        return FileResponse(index)
