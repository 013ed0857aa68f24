"""Demo mode's council, consulted over MCP, says in its text that it is simulated."""

from __future__ import annotations

from typing import Any

from mcp import Client
from support import LiveServer

from llmcouncil.council.simulated import SIMULATED_MARKER


async def test_a_demo_consultation_text_begins_with_the_simulated_marker(
    make_settings: Any, start_server: Any
) -> None:
    server: LiveServer = await start_server(make_settings(demo=True))
    async with Client(f"{server.base_url}/mcp") as mcp:
        result = await mcp.call_tool("consult_council", {"question": "Why is the sky blue?"})
    assert not result.is_error
    summary: dict[str, Any] = result.structured_content or {}
    text = result.content[0].text  # type: ignore[union-attr]
    first_line, rest = text.split("\n\n", 1)
    assert first_line == SIMULATED_MARKER
    assert rest.startswith(summary["answer"]) and summary["answer"]
    assert not summary["answer"].startswith(SIMULATED_MARKER)
