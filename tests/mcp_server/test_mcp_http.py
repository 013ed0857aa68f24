"""The MCP endpoint at /mcp, driven by the official MCP SDK's own client over streamable HTTP."""

from __future__ import annotations

from typing import Any

import httpx
from mcp import Client
from support import CHAIRMAN, MEMBERS, LiveServer

from llmcouncil.sim import FaultSpec, SimServer


async def test_consult_council_answers_with_a_summary_of_the_deliberation(
    server: LiveServer, client: httpx.AsyncClient
) -> None:
    progress: list[tuple[float, str | None]] = []

    async def on_progress(value: float, _total: float | None, message: str | None) -> None:
        progress.append((value, message))

    async with Client(f"{server.base_url}/mcp") as mcp:
        tools = {tool.name: tool for tool in (await mcp.list_tools()).tools}
        result = await mcp.call_tool(
            "consult_council", {"question": "Why is the sky blue?"}, progress_callback=on_progress
        )
    assert set(tools) == {"consult_council", "list_presets"}
    assert tools["consult_council"].input_schema["required"] == ["question"]
    assert not result.is_error
    summary: dict[str, Any] = result.structured_content or {}
    stored = (await client.get(f"/api/conversations/{summary['conversation_id']}")).json()
    run = stored["messages"][1]
    assert summary["answer"] == run["stage3"]["response"]
    assert summary["chairman"] == CHAIRMAN and summary["preset"] == "default"
    assert sorted(r["model"] for r in summary["ranking"]) == sorted(MEMBERS)
    assert [r["model"] for r in summary["ranking"]] == [
        r["model"] for r in run["metadata"]["aggregate_rankings"]
    ]
    assert summary["kendall_w"] == run["metadata"]["agreement"]["kendall_w"]
    assert summary["agreement"] in {"strong", "moderate", "weak"}
    assert "Kendall's W" in summary["disagreement"]
    text = result.content[0].text  # type: ignore[union-attr]
    assert text.startswith(summary["answer"])
    assert "Peer ranking (best first): 1. " in text
    assert [value for value, _ in progress] == [0, 1, 2, 3]


async def test_list_presets_and_a_failed_council_as_a_tool_error(
    server: LiveServer, sim: SimServer
) -> None:
    async with Client(f"{server.base_url}/mcp") as mcp:
        presets = await mcp.call_tool("list_presets", {})
        unknown = await mcp.call_tool("consult_council", {"question": "Hi", "preset": "nope"})
        sim.configure(
            sim.config.model_copy(
                update={"faults": {"*": [FaultSpec(status=401, prompt_kind="answer")]}}
            )
        )
        failed = await mcp.call_tool("consult_council", {"question": "Hi"})
    listed = (presets.structured_content or {})["presets"]
    assert [(p["name"], p["model"], p["default"]) for p in listed] == [("default", "council", True)]
    assert listed[0]["members"] == MEMBERS
    assert unknown.is_error and "preset 'nope' does not exist" in unknown.content[0].text  # type: ignore[union-attr]
    assert failed.is_error and "every council member failed" in failed.content[0].text  # type: ignore[union-attr]
