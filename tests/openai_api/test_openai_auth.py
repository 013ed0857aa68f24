"""In users mode /v1 and /mcp take the API keys of the governance layer as Bearer tokens."""

from __future__ import annotations

import httpx
import httpx2
import openai
import pytest
from gov_support import Governed, GovernedFactory, governed
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from openai import AsyncOpenAI

__all__ = ["governed"]
HI = [{"role": "user", "content": "Hi"}]


async def test_the_sdk_authenticates_with_an_api_key_and_owns_the_conversation(
    governed: GovernedFactory,
) -> None:
    council: Governed = await governed()
    await council.user("ada")
    key = await council.key("ada")
    async with AsyncOpenAI(base_url=f"{council.base_url}/v1", api_key=key, max_retries=0) as api:
        completion = await api.chat.completions.create(model="council", messages=HI)  # type: ignore[arg-type]
        assert [m.id async for m in api.models.list()][0] == "council"
    conversation_id = (completion.model_extra or {})["council"]["conversation_id"]
    mine = await council.bearer(key).get("/api/conversations")
    assert [c["id"] for c in mine.json()] == [conversation_id]
    await council.user("bob")
    theirs = await (await council.key_client("bob")).get(f"/api/conversations/{conversation_id}")
    assert theirs.status_code == 404

    async with AsyncOpenAI(base_url=f"{council.base_url}/v1", api_key="nope", max_retries=0) as api:
        with pytest.raises(openai.AuthenticationError) as caught:
            await api.chat.completions.create(model="council", messages=HI)  # type: ignore[arg-type]
    error = caught.value.response.json()["error"]
    assert error["type"] == "authentication_error" and error["code"] == "unauthenticated"
    assert caught.value.response.headers["www-authenticate"].startswith("Bearer")


async def test_the_mcp_endpoint_takes_the_same_keys(governed: GovernedFactory) -> None:
    council: Governed = await governed()
    await council.user("ada")
    key = await council.key("ada")
    async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {key}"}, timeout=30) as http:
        transport = streamable_http_client(f"{council.base_url}/mcp", http_client=http)
        async with Client(transport) as mcp:
            result = await mcp.call_tool("consult_council", {"question": "Hi"})
    assert not result.is_error
    conversation_id = (result.structured_content or {})["conversation_id"]
    mine = await council.bearer(key).get("/api/conversations")
    assert [c["id"] for c in mine.json()] == [conversation_id]
    async with httpx.AsyncClient(base_url=council.base_url, timeout=60) as anonymous:
        response = await anonymous.post("/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "ping"})
    assert response.status_code == 401
