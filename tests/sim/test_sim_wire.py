"""The OpenAI wire format: plain and streamed completions, models, request validation."""

from __future__ import annotations

import json

import aiohttp
import pytest
from sim_client import DEFAULT_MODEL, chat_body, content_of, post_chat, put_config, stream_chat

from llmcouncil.sim import SimConfig, SimServer

QUESTION = "How do I choose a database for a small web application?"


async def test_plain_completion_has_the_openai_shape(
    http: aiohttp.ClientSession, sim: SimServer
) -> None:
    status, body = await post_chat(http, sim, chat_body(QUESTION))

    assert status == 200
    assert body["object"] == "chat.completion"
    assert body["id"].startswith("chatcmpl-")
    assert isinstance(body["created"], int)
    assert body["model"] == DEFAULT_MODEL
    choice = body["choices"][0]
    assert choice["message"]["role"] == "assistant"
    assert choice["message"]["content"]
    assert choice["finish_reason"] == "stop"
    usage = body["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    assert usage["prompt_tokens"] >= len(QUESTION) // 4
    assert usage["completion_tokens"] == pytest.approx(len(choice["message"]["content"]) / 4, abs=1)
    assert usage["cost"] > 0


async def test_cost_is_deterministic_per_model(http: aiohttp.ClientSession, sim: SimServer) -> None:
    _, first = await post_chat(http, sim, chat_body(QUESTION))
    _, again = await post_chat(http, sim, chat_body(QUESTION))
    _, other = await post_chat(http, sim, chat_body(QUESTION, model="google/gemini-2.5-flash"))

    assert first["usage"] == again["usage"]
    per_token = first["usage"]["cost"] / first["usage"]["total_tokens"]
    other_per_token = other["usage"]["cost"] / other["usage"]["total_tokens"]
    assert per_token != pytest.approx(other_per_token)


async def test_stream_sends_chunks_then_finish_then_usage_then_done(
    http: aiohttp.ClientSession, sim: SimServer
) -> None:
    resp, events = await stream_chat(http, sim, chat_body(QUESTION, stream=True))

    assert resp.status == 200
    assert resp.headers["Content-Type"].startswith("text/event-stream")
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert len({c["id"] for c in chunks}) == 1
    content_chunks = chunks[:-2]
    assert len(content_chunks) >= 3
    assert content_chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    assert all(c["choices"][0]["finish_reason"] is None for c in content_chunks)
    finish, usage_chunk = chunks[-2], chunks[-1]
    assert finish["choices"][0]["finish_reason"] == "stop"
    assert usage_chunk["choices"] == []
    assert usage_chunk["usage"]["completion_tokens"] > 0


async def test_stream_and_plain_replies_carry_the_same_text(
    http: aiohttp.ClientSession, sim: SimServer
) -> None:
    _, plain = await post_chat(http, sim, chat_body(QUESTION))
    _, events = await stream_chat(http, sim, chat_body(QUESTION, stream=True))

    assert content_of(events) == plain["choices"][0]["message"]["content"]
    assert json.loads(events[-2])["usage"] == plain["usage"]


async def test_max_tokens_truncates_with_finish_reason_length(
    http: aiohttp.ClientSession, sim: SimServer
) -> None:
    _, body = await post_chat(http, sim, chat_body(QUESTION, max_tokens=5))

    assert body["choices"][0]["finish_reason"] == "length"
    assert body["usage"]["completion_tokens"] <= 5


async def test_models_lists_the_known_models(http: aiohttp.ClientSession, sim: SimServer) -> None:
    async with http.get(f"{sim.base_url}/models") as resp:
        body = await resp.json()

    assert body["object"] == "list"
    ids = [m["id"] for m in body["data"]]
    for model in ("openai/gpt-5.1", "google/gemini-3-pro-preview", "x-ai/grok-4"):
        assert model in ids
    assert all(m["object"] == "model" for m in body["data"])


async def test_any_model_is_accepted_by_default(
    http: aiohttp.ClientSession, sim: SimServer
) -> None:
    status, body = await post_chat(http, sim, chat_body(QUESTION, model="acme/unheard-of-1"))

    assert status == 200
    assert body["model"] == "acme/unheard-of-1"


async def test_strict_models_rejects_unknown_ids_with_404(
    http: aiohttp.ClientSession, sim: SimServer
) -> None:
    await put_config(http, sim, SimConfig.fast().model_copy(update={"strict_models": True}))

    status, body = await post_chat(http, sim, chat_body(QUESTION, model="acme/unheard-of-1"))
    known_status, _ = await post_chat(http, sim, chat_body(QUESTION))

    assert status == 404
    assert body["error"]["code"] == "model_not_found"
    assert "acme/unheard-of-1" in body["error"]["message"]
    assert known_status == 200


@pytest.mark.parametrize(
    "raw",
    [
        b"{not json",
        b"",
        b"[]",
        b'{"messages": [{"role": "user", "content": "hi"}]}',
        b'{"model": "m", "messages": []}',
        b'{"model": "m", "messages": [{"content": "no role"}]}',
        b'{"model": "m", "messages": [{"role": "user", "content": "hi"}], "temperature": 9}',
    ],
    ids=["bad-json", "empty", "array", "no-model", "no-messages", "no-role", "bad-temperature"],
)
async def test_malformed_request_body_is_a_400_with_openai_error(
    http: aiohttp.ClientSession, sim: SimServer, raw: bytes
) -> None:
    async with http.post(
        f"{sim.base_url}/chat/completions",
        data=raw,
        headers={"Content-Type": "application/json"},
    ) as resp:
        body = await resp.json()

    assert resp.status == 400
    assert set(body["error"]) == {"message", "type", "code"}
    assert body["error"]["type"] == "invalid_request_error"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/v1/chat/completions"),
        ("GET", "/v1/models"),
        ("GET", "/_sim/config"),
        ("GET", "/_sim/requests"),
        ("GET", "/no/such/route"),
    ],
)
async def test_every_response_is_marked_simulated(
    http: aiohttp.ClientSession, sim: SimServer, method: str, path: str
) -> None:
    async with http.request(
        method, f"{sim.root_url}{path}", json=chat_body(QUESTION, stream=True)
    ) as resp:
        await resp.read()

    assert resp.headers["X-Council-Simulated"] == "true"


async def test_content_parts_are_read_as_text(http: aiohttp.ClientSession, sim: SimServer) -> None:
    body = {
        "model": DEFAULT_MODEL,
        "messages": [{"role": "user", "content": [{"type": "text", "text": QUESTION}]}],
    }

    status, reply = await post_chat(http, sim, body)

    assert status == 200
    assert "database" in reply["choices"][0]["message"]["content"].lower()
