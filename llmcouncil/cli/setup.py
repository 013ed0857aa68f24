"""``council serve``, ``simulate``, ``config check`` and ``db upgrade``."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from llmcouncil.cli.common import ConfigOption, DemoOption, settings_from
from llmcouncil.config import Settings, check_settings, is_demo
from llmcouncil.errors import ConfigError
from llmcouncil.privacy.settings import find_ner_model

if TYPE_CHECKING:
    import uvicorn

config_app = typer.Typer(help="Inspect the configuration.", no_args_is_help=True)
db_app = typer.Typer(help="Manage the database.", no_args_is_help=True)
_out = Console(highlight=False)


def serve(
    config: ConfigOption = None,
    host: Annotated[str | None, typer.Option(help="Interface to bind.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    demo: DemoOption = False,
) -> None:
    """Start the HTTP server (API, /v1, /mcp, /metrics, web UI, docs at /docs)."""
    from opentelemetry import trace

    from llmcouncil.api.app import create_app
    from llmcouncil.api.drain import Drain, DrainingServer, bind_listener
    from llmcouncil.observability.logging import setup_logging
    from llmcouncil.observability.metrics import check_multiprocess_dir
    from llmcouncil.observability.tracing import tracer_provider_from_env

    settings = settings_from(config, host=host, port=port, demo=demo or None)
    problems = check_settings(settings) + check_multiprocess_dir()
    if problems:
        raise ConfigError(problems)
    setup_logging(settings)
    provider = tracer_provider_from_env()
    if provider is not None:
        trace.set_tracer_provider(provider)  # the MCP SDK's own spans join ours
    app = create_app(settings, tracer_provider=provider, server_process=True)
    drain = Drain(bound=settings.instances.drain, handover=settings.instances.handover)
    app.state.drain = drain  # /readyz answers 503 while it drains
    server_config = uvicorn_config(app, settings)
    server = DrainingServer(
        server_config,
        drain=drain,
        live_runs=lambda: app.state.runtime.runs.active_runs,
        on_drain=lambda: app.state.runtime.stop_taking_over(),
        hand_over=lambda phase: app.state.runtime.hand_over(phase),
    )
    # Bound before start-up: nothing the start-up opens on an ephemeral port (the demo's
    # simulated upstream) can then be given the server's own port.
    try:
        listening = bind_listener(settings.host, settings.port)
    except OSError as exc:  # as uvicorn's own start-up failure: said, exit status 3
        logging.getLogger("uvicorn.error").error(
            "cannot listen on %s:%d: %s", settings.host, settings.port, exc
        )
        raise typer.Exit(3) from None
    try:
        server.run(sockets=[listening])
    except KeyboardInterrupt:  # as uvicorn.run: a second Ctrl-C during the shutdown
        pass
    finally:
        if provider is not None:
            provider.shutdown()
    if not server.started:
        raise typer.Exit(3)  # uvicorn's start-up failure code; the reason is logged above


def simulate(
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8090,
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    latency_ms: Annotated[float | None, typer.Option(help="Base latency of every call.")] = None,
) -> None:
    """Run the simulated upstream (OpenAI chat-completions wire format) on its own."""
    from llmcouncil.sim import LatencyProfile, SimConfig, run_simulator

    sim_config = SimConfig()
    if latency_ms is not None:
        sim_config = SimConfig(latency={"*": LatencyProfile(base_ms=latency_ms)})
    _out.print(f"simulated upstream on http://{host}:{port}/v1 (all output is simulated)")
    run_simulator(host=host, port=port, config=sim_config)


@config_app.command("check")
def config_check(
    config: ConfigOption = None,
    offline: Annotated[bool, typer.Option(help="Do not contact the providers.")] = False,
) -> None:
    """Validate the configuration and print every problem at once."""
    settings = settings_from(config)
    problems = check_settings(settings)
    demo = is_demo(settings)
    if not problems and not offline:
        problems += asyncio.run(_check_models(settings, demo=demo))
    if problems:
        raise ConfigError(problems)
    where = "demo mode (simulated upstream)" if demo else "real providers"
    _out.print(f"[green]configuration is valid[/] ({len(settings.presets)} preset(s), {where})")
    policies = ", ".join(f"{name}: {p.pii_policy}" for name, p in settings.presets.items())
    _out.print(f"privacy policy per preset: {policies}")
    _out.print(f"privacy: {find_ner_model(settings.privacy.ner_model)[1]}")


async def _check_models(settings: Settings, *, demo: bool) -> list[str]:
    """Every configured id looked up in its upstream's model list (in demo mode: the
    simulator's), a retired one with the closest current ids."""
    from llmcouncil.providers.registry import ProviderRegistry
    from llmcouncil.sim import SimServer

    simulator = SimServer() if demo else None
    if simulator is not None:
        await simulator.start(host="127.0.0.1", port=0)
    registry = ProviderRegistry(
        settings, simulator_url=simulator.base_url if simulator is not None else None
    )
    try:
        return await registry.check_models(settings.model_refs())
    finally:
        await registry.aclose()
        if simulator is not None:
            await simulator.stop()


@db_app.command("upgrade")
def db_upgrade(config: ConfigOption = None) -> None:
    """Create or migrate the database schema to the newest revision."""
    from llmcouncil.store.database import create_engine, schema_status, upgrade

    settings = settings_from(config)

    async def run() -> str:
        engine = create_engine(settings.database_url)
        try:
            await upgrade(engine)
            current, _heads = await schema_status(engine)
            return ", ".join(current)
        finally:
            await engine.dispose()

    revision = asyncio.run(run())
    _out.print(f"database is at revision {revision}")


def uvicorn_config(app: Any, settings: Settings) -> uvicorn.Config:
    """How ``council serve`` runs the app under uvicorn."""
    import uvicorn

    return uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.lower(),
        log_config=None,  # our handler formats uvicorn's lines too
        access_log=False,  # the request middleware writes the access log
        timeout_graceful_shutdown=5,
        timeout_keep_alive=settings.keep_alive,  # the balancer closes idle ones first
        backlog=2048,
    )
