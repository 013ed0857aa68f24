"""``council mcp`` over stdio, driven by the MCP SDK's client, which spawns it as a subprocess."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client
from support import MEMBERS, TEST_KEY_ENV

from llmcouncil.sim import SimServer


def council_toml(tmp_path: Path, sim: SimServer) -> Path:
    path = tmp_path / "council.toml"
    members = ", ".join(f'"{m}"' for m in MEMBERS)
    path.write_text(
        f'database_url = "sqlite+aiosqlite:///{tmp_path / "council.db"}"\n'
        'default_provider = "sim"\n'
        "[providers.sim]\n"
        f'base_url = "{sim.base_url}"\n'
        f'api_key_env = "{TEST_KEY_ENV}"\n'
        "[presets.default]\n"
        f"members = [{members}]\n"
        'chairman = "google/gemini-3-pro-preview"\n'
        'description = "over stdio"\n'
    )
    return path


async def test_the_stdio_server_consults_the_council(tmp_path: Path, sim: SimServer) -> None:
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "llmcouncil", "mcp", "--config", str(council_toml(tmp_path, sim))],
        env={TEST_KEY_ENV: "sk-test-not-a-real-key", "COUNCIL_LOG_LEVEL": "WARNING"},
        cwd=tmp_path,
    )
    with (tmp_path / "stderr.log").open("w") as errlog:  # stdout is the protocol's alone
        async with Client(stdio_client(params, errlog=errlog)) as mcp:
            presets = await mcp.call_tool("list_presets", {})
            result = await mcp.call_tool("consult_council", {"question": "Why is the sky blue?"})
    listed: list[dict[str, Any]] = (presets.structured_content or {})["presets"]
    assert [p["description"] for p in listed] == ["over stdio"]
    assert not result.is_error, result.content
    summary = result.structured_content or {}
    assert summary["answer"]
    assert sorted(r["model"] for r in summary["ranking"]) == sorted(MEMBERS)
    assert {r.model for r in sim.requests if r.prompt_kind == "answer"} == set(MEMBERS)
