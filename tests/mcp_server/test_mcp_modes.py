"""consult_council's ``mode`` argument through the official MCP SDK's client: the mode that ran,
what left for which model, the structured synthesis, and an unknown mode refused."""

from __future__ import annotations

from typing import Any

from mcp import Client
from support import LiveServer

from llmcouncil.sim import SimServer


async def test_mode_select_calls_no_chairman(server: LiveServer, sim: SimServer) -> None:
    async with Client(f"{server.base_url}/mcp") as mcp:
        tools = {tool.name: tool for tool in (await mcp.list_tools()).tools}
        result = await mcp.call_tool("consult_council", {"question": "Why?", "mode": "select"})
    assert "mode" in tools["consult_council"].input_schema["properties"]
    assert not result.is_error, result.content
    summary: dict[str, Any] = result.structured_content or {}
    assert summary["mode"] == "select"
    assert "chairman" not in {r.prompt_kind for r in sim.requests}


async def test_classic_returns_the_structured_synthesis(server: LiveServer) -> None:
    async with Client(f"{server.base_url}/mcp") as mcp:
        result = await mcp.call_tool("consult_council", {"question": "Why are tides?"})
    summary: dict[str, Any] = result.structured_content or {}
    assert summary["mode"] == "classic"
    assert summary["structured"]["confidence"]["level"] in ("high", "medium")


async def test_an_unknown_mode_is_a_tool_error(server: LiveServer, sim: SimServer) -> None:
    async with Client(f"{server.base_url}/mcp") as mcp:
        result = await mcp.call_tool("consult_council", {"question": "Why?", "mode": "debate"})
    assert result.is_error
    assert not sim.requests
