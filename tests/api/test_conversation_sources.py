"""Where a conversation was started is stored, listed, and filtered on."""

from __future__ import annotations

import httpx
from mcp import Client
from support import LiveServer


async def test_each_entry_point_marks_its_conversations_and_the_list_filters_on_it(
    server: LiveServer, client: httpx.AsyncClient
) -> None:
    web = (await client.post("/api/conversations", json={"source": "web"})).json()["id"]
    api = (await client.post("/api/conversations", json={})).json()["id"]
    body = {"model": "council", "messages": [{"role": "user", "content": "Hi"}]}
    assert (await client.post("/v1/chat/completions", json=body)).status_code == 200
    async with Client(f"{server.base_url}/mcp") as mcp:
        await mcp.call_tool("consult_council", {"question": "Hello"})

    everything = (await client.get("/api/conversations")).json()
    by_source = {row["source"]: row["id"] for row in everything}
    people = (await client.get("/api/conversations?source=web&source=api&source=cli")).json()
    tools = (await client.get("/api/conversations", params={"source": ["v1", "mcp"]})).json()

    assert sorted(by_source) == ["api", "mcp", "v1", "web"]
    assert (by_source["web"], by_source["api"]) == (web, api)
    assert {row["id"] for row in people} == {web, api}
    assert {row["source"] for row in tools} == {"v1", "mcp"}


async def test_an_unknown_source_is_refused_by_name(client: httpx.AsyncClient) -> None:
    listed = await client.get("/api/conversations?source=fax")
    created = await client.post("/api/conversations", json={"source": "v1"})

    assert listed.status_code == 422 and "source" in listed.text
    assert created.status_code == 422 and "source" in created.text
