"""``council mcp``: the council as an MCP server over stdio, for desktop apps and IDEs.

stdout carries the protocol, so everything else (logs, the demo-mode notice) goes to stderr.
The council runs in this process with the configured database, as ``council ask`` does; runs
show up in the web UI of a server sharing that database.
"""

from __future__ import annotations

import asyncio

from llmcouncil.cli.common import ConfigOption, DemoOption, settings_from


def mcp(config: ConfigOption = None, demo: DemoOption = False) -> None:
    """Serve the council to an MCP client over stdio (tools: consult_council, list_presets)."""
    from llmcouncil.config import validated_settings
    from llmcouncil.observability.logging import setup_logging

    settings = validated_settings(settings_from(config, demo=demo or None))
    setup_logging(settings)  # on stderr
    asyncio.run(_serve(settings))


async def _serve(settings: object) -> None:
    from llmcouncil.api.routes.system import package_version
    from llmcouncil.api.runtime import Runtime
    from llmcouncil.config import Settings
    from llmcouncil.mcp_server.server import build_server
    from llmcouncil.observability.tracing import RunTracer, tracer_provider_from_env

    assert isinstance(settings, Settings)
    provider = tracer_provider_from_env()
    observers = [RunTracer(provider, settings)] if provider is not None else []
    runtime = await Runtime.start(settings, observers=observers)
    try:
        await build_server(lambda: runtime, version=package_version()).run_stdio_async()
    finally:
        await runtime.stop()
        if provider is not None:
            provider.shutdown()
