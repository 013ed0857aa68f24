"""Demo mode's answers say, in their own text, that they are simulated (plain and streamed)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from openai import AsyncOpenAI
from support import LiveServer

from llmcouncil.council.simulated import SIMULATED_MARKER

QUESTION = {"model": "council", "messages": [{"role": "user", "content": "Why is the sky blue?"}]}


@pytest.fixture
async def demo(make_settings: Any, start_server: Any) -> AsyncIterator[httpx.AsyncClient]:
    server: LiveServer = await start_server(make_settings(demo=True))
    async with httpx.AsyncClient(base_url=server.base_url, timeout=60) as http:
        yield http


async def _stored_answer(http: httpx.AsyncClient, conversation_id: str) -> str:
    turns = (await http.get(f"/api/conversations/{conversation_id}")).json()["messages"]
    return str(turns[-1]["stage3"]["response"])


async def test_a_demo_answer_begins_with_the_simulated_marker(demo: httpx.AsyncClient) -> None:
    response = await demo.post("/v1/chat/completions", json=QUESTION)
    assert response.status_code == 200, response.text
    body = response.json()
    content = body["choices"][0]["message"]["content"]
    answer = await _stored_answer(demo, body["council"]["conversation_id"])
    assert content == f"{SIMULATED_MARKER}\n\n{answer}"
    assert answer and not answer.startswith(SIMULATED_MARKER)  # the stored answer is unmarked


async def test_a_streamed_demo_answer_begins_with_the_simulated_marker(
    demo: httpx.AsyncClient,
) -> None:
    client = AsyncOpenAI(base_url=f"{demo.base_url}/v1", api_key="local-mode", max_retries=0)
    pieces: list[str] = []
    conversation_id = ""
    async with client:
        stream = await client.chat.completions.create(**QUESTION, stream=True)
        async for chunk in stream:
            council = (chunk.model_extra or {}).get("council")
            if isinstance(council, dict) and council.get("conversation_id"):
                conversation_id = str(council["conversation_id"])
            if chunk.choices and chunk.choices[0].delta.content:
                pieces.append(chunk.choices[0].delta.content)
    answer = await _stored_answer(demo, conversation_id)
    assert "".join(pieces) == f"{SIMULATED_MARKER}\n\n{answer}"


async def test_an_answer_outside_demo_mode_carries_no_marker(client: httpx.AsyncClient) -> None:
    plain = (await client.post("/v1/chat/completions", json=QUESTION)).json()
    assert not plain["choices"][0]["message"]["content"].startswith("[Simulated")
    async with client.stream(
        "POST", "/v1/chat/completions", json={**QUESTION, "stream": True}
    ) as response:
        raw = (await response.aread()).decode()
    assert "Simulated" not in raw
