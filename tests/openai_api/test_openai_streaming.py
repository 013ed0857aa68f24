"""Streamed chat completions: standard chunks for standard clients, progress out of their way."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import openai
import pytest
from openai import AsyncOpenAI
from support import LiveServer

from llmcouncil.sim import FaultSpec, SimServer


def sdk(server: LiveServer) -> AsyncOpenAI:
    return AsyncOpenAI(base_url=f"{server.base_url}/v1", api_key="local-mode", max_retries=0)


def inject(sim: SimServer, faults: dict[str, list[FaultSpec]]) -> None:
    sim.configure(sim.config.model_copy(update={"faults": faults}))


async def raw_stream(client: httpx.AsyncClient, body: dict[str, Any]) -> list[str]:
    """The SSE blocks as sent: data lines and comments."""
    async with client.stream("POST", "/v1/chat/completions", json=body) as response:
        assert response.status_code == 200, await response.aread()
        assert response.headers["content-type"].startswith("text/event-stream")
        raw = (await response.aread()).decode()
    return [block for block in raw.split("\n\n") if block]


def data_of(blocks: list[str]) -> list[Any]:
    out: list[Any] = []
    for block in blocks:
        if block.startswith("data: "):
            payload = block[len("data: ") :]
            out.append(payload if payload == "[DONE]" else json.loads(payload))
    return out


async def test_the_sdk_streams_the_chairmans_tokens_and_the_usage(
    server: LiveServer, client: httpx.AsyncClient
) -> None:
    async with sdk(server) as api:
        stream = await api.chat.completions.create(
            model="council",
            messages=[{"role": "user", "content": "Why do cats purr?"}],
            stream=True,
            stream_options={"include_usage": True},
        )
        chunks = [chunk async for chunk in stream]
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    council = chunks[0].model_extra["council"] if chunks[0].model_extra else {}
    stored = (await client.get(f"/api/conversations/{council['conversation_id']}")).json()
    run = stored["messages"][1]
    assert text == run["stage3"]["response"]
    assert chunks[0].choices[0].delta.role == "assistant"
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert {c.id for c in chunks} == {f"chatcmpl-{run['run_id']}"}
    usage = chunks[-1].usage
    assert usage is not None and not chunks[-1].choices
    assert usage.prompt_tokens == run["usage"]["prompt_tokens"]
    assert usage.completion_tokens == run["usage"]["completion_tokens"]


async def test_progress_is_sse_comments_unless_the_client_opts_in(
    client: httpx.AsyncClient,
) -> None:
    body = {"model": "council", "messages": [{"role": "user", "content": "Hi"}], "stream": True}
    blocks = await raw_stream(client, body)
    comments = [b for b in blocks if b.startswith(":")]
    assert ": council stage1_start" in comments and ": council stage3_complete" in comments
    data = data_of(blocks)
    assert data[-1] == "[DONE]"
    assert all(len(chunk["choices"]) == 1 for chunk in data[:-1])  # only standard chunks
    assert "usage" not in data[-2]  # no usage chunk without include_usage

    blocks = await raw_stream(client, {**body, "council": {"events": True}})
    data = data_of(blocks)
    events = [c["council"]["type"] for c in data[:-1] if not c["choices"]]
    assert events[0] == "run_start" and events[-1] == "complete"
    assert {"stage1_complete", "stage2_complete", "stage3_complete"} <= set(events)
    assert not [b for b in blocks if b.startswith(": council")]


async def test_an_opted_in_stream_still_reads_as_text_in_the_sdk(server: LiveServer) -> None:
    async with sdk(server) as api:
        stream = await api.chat.completions.create(
            model="council",
            messages=[{"role": "user", "content": "Hi"}],
            stream=True,
            extra_body={"council": {"events": True}},
        )
        text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
    assert text


async def test_a_fallback_chairman_restarting_is_said_in_the_text(
    make_settings: Any, start_server: Any, sim: SimServer
) -> None:
    live = await start_server(
        make_settings(
            preset={"chairman_fallbacks": ["openai/gpt-5.1"]},
            resilience={"retry": {"attempts": 1}},  # straight to the fallback
        )
    )
    cut = FaultSpec(cut_stream_after=3, prompt_kind="chairman")
    inject(sim, {"google/gemini-3-pro-preview": [cut]})
    async with sdk(live) as api:
        stream = await api.chat.completions.create(
            model="council", messages=[{"role": "user", "content": "Hi"}], stream=True
        )
        chunks = [c async for c in stream]
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    council = chunks[0].model_extra["council"] if chunks[0].model_extra else {}
    async with httpx.AsyncClient(base_url=live.base_url, timeout=60) as client:
        stored = (await client.get(f"/api/conversations/{council['conversation_id']}")).json()
    final = stored["messages"][1]["stage3"]
    assert final["answered_by"] == "openai/gpt-5.1"
    notice = (
        "*The Chairman's answer was interrupted by an upstream failure and starts again below.*"
    )
    assert notice in text
    assert text.endswith(notice + "\n\n" + final["response"])


async def test_a_council_that_fails_mid_stream_raises_in_the_sdk(
    server: LiveServer, sim: SimServer
) -> None:
    inject(sim, {"*": [FaultSpec(status=401, prompt_kind="answer")]})
    async with sdk(server) as api:
        stream = await api.chat.completions.create(
            model="council", messages=[{"role": "user", "content": "Hi"}], stream=True
        )
        with pytest.raises(openai.APIError) as caught:
            async for _chunk in stream:
                pass
    assert "every council member failed" in caught.value.message
    body = caught.value.body
    assert isinstance(body, dict) and body["code"] == "council_failed"
    assert {f["model"] for f in body["council"]["failures"]} >= {"x-ai/grok-4"}


async def test_a_client_that_hangs_up_cancels_the_council(
    server: LiveServer, client: httpx.AsyncClient, sim: SimServer
) -> None:
    inject(sim, {"*": [FaultSpec(hang=True, prompt_kind="answer")]})
    body = {"model": "council", "messages": [{"role": "user", "content": "Bye"}], "stream": True}
    async with client.stream("POST", "/v1/chat/completions", json=body) as response:
        first = json.loads((await anext(response.aiter_lines()))[len("data: ") :])
    council = first["council"]
    handle = server.runtime.runs.active(council["run_id"])
    if handle is not None and handle.task is not None:
        await asyncio.wait_for(asyncio.gather(handle.task, return_exceptions=True), 10)
    stored = (await client.get(f"/api/conversations/{council['conversation_id']}")).json()
    assert stored["messages"][1]["status"] == "cancelled"
