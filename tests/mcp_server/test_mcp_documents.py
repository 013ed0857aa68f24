"""consult_council's ``documents`` argument through the official MCP SDK's client, on SQLite
and PostgreSQL: files every member reads (asserted on the simulated upstream's requests) and
bad ones as tool errors that store nothing."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from mcp import Client
from support import MEMBERS, LiveServer

from llmcouncil.config import Settings
from llmcouncil.documents.settings import DocumentSettings
from llmcouncil.sim import SimServer

HTML = (
    b"<html><body><h1>Tides</h1>"
    b"<p>The harbour tide turns twice daily at the pier.</p></body></html>"
)


@pytest.fixture
async def live(make_settings: Any, start_server: Any, database_url: str) -> LiveServer:
    settings: Settings = make_settings(
        database_url=database_url,
        documents=DocumentSettings(extraction="thread", max_file_bytes=100_000),
        privacy={"key": Fernet.generate_key().decode()},  # needed beside PostgreSQL
    )
    server: LiveServer = await start_server(settings)
    return server


async def test_documents_are_read_by_every_member(live: LiveServer, sim: SimServer) -> None:
    question = "When does the tide turn?"
    documents = [
        {"name": "tides.html", "content_base64": base64.b64encode(HTML).decode()},
        {"name": "notes.md", "text": "# Notes\n\nThe ferry leaves at the ninth bell.\n"},
    ]
    async with Client(f"{live.base_url}/mcp") as mcp:
        tools = {tool.name: tool for tool in (await mcp.list_tools()).tools}
        result = await mcp.call_tool(
            "consult_council", {"question": question, "documents": documents}
        )
    assert "documents" in tools["consult_council"].input_schema["properties"]
    assert not result.is_error, result.content
    summary: dict[str, Any] = result.structured_content or {}
    asked = [r for r in sim.requests if r.messages[-1]["content"] == question]
    assert {r.model for r in asked} == set(MEMBERS)
    for request in asked:
        pinned = request.messages[0]["content"]
        assert "tide turns twice daily" in pinned and "ninth bell" in pinned
    async with httpx.AsyncClient(base_url=live.base_url, timeout=30) as client:
        cid = summary["conversation_id"]
        stored = (await client.get(f"/api/conversations/{cid}/documents")).json()
    assert [(d["filename"], d["kind"]) for d in stored] == [
        ("tides.html", "html"),
        ("notes.md", "markdown"),
    ]


@pytest.mark.parametrize(
    ("document", "needle"),
    [
        ({"name": "a.pdf", "content_base64": "@@@"}, "documents[0]: the data is not valid base64"),
        ({"name": "a.md"}, "give content_base64 or text"),
        ({"name": "a.md", "text": "x", "content_base64": "eA=="}, "give content_base64 or text"),
        (
            {"name": "big.txt", "content_base64": base64.b64encode(b"w " * 60_000).decode()},
            "the limit",
        ),
        (
            {"name": "anim.gif", "content_base64": base64.b64encode(b"GIF89a\x01\x00").decode()},
            "documents[0] (anim.gif)",
        ),
        ({"name": "a.pdf", "content_base64": base64.b64encode(b"%PDF-1.7 cut").decode()}, "a.pdf"),
    ],
)
async def test_a_bad_document_is_a_tool_error_and_nothing_is_stored(
    live: LiveServer, document: dict[str, Any], needle: str
) -> None:
    async with Client(f"{live.base_url}/mcp") as mcp:
        result = await mcp.call_tool(
            "consult_council", {"question": "Read it", "documents": [document]}
        )
    assert result.is_error
    assert needle in result.content[0].text  # type: ignore[union-attr]
    async with httpx.AsyncClient(base_url=live.base_url, timeout=30) as client:
        assert (await client.get("/api/conversations")).json() == []
