"""Injected faults: each test names the fault it injects and checks what a client sees."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest
from sim_client import chat_body, content_of, get_json, post_chat, put_config, read_events

from llmcouncil.sim import FaultSpec, SimConfig, SimServer
from llmcouncil.sim.faults import CallPlanner

QUESTION = "What are the trade-offs of microservices?"


def with_faults(*faults: FaultSpec, model: str = "*", seed: int = 0) -> SimConfig:
    return SimConfig.fast(seed=seed).model_copy(update={"faults": {model: list(faults)}})


@pytest.mark.parametrize("status", [401, 402, 403, 404, 429, 500, 502, 503])
async def test_status_fault_returns_that_status_with_openai_error(
    http: aiohttp.ClientSession, sim: SimServer, status: int
) -> None:
    await put_config(http, sim, with_faults(FaultSpec(status=status, retry_after_s=2)))

    async with http.post(f"{sim.base_url}/chat/completions", json=chat_body(QUESTION)) as resp:
        body = await resp.json()

    assert resp.status == status
    assert set(body["error"]) == {"message", "type", "code"}
    if status == 429:
        assert resp.headers["Retry-After"] == "2"
        assert body["error"]["type"] == "rate_limit_error"
    else:
        assert "Retry-After" not in resp.headers


async def test_status_fault_applies_to_streams_before_any_chunk(
    http: aiohttp.ClientSession, sim: SimServer
) -> None:
    await put_config(http, sim, with_faults(FaultSpec(status=429, retry_after_s=0.5)))

    async with http.post(
        f"{sim.base_url}/chat/completions", json=chat_body(QUESTION, stream=True)
    ) as resp:
        body = await resp.json()

    assert resp.status == 429
    assert resp.headers["Retry-After"] == "0.5"
    assert body["error"]["code"] == "rate_limit_exceeded"


async def test_times_applies_to_the_next_n_calls_then_stops(
    http: aiohttp.ClientSession, sim: SimServer
) -> None:
    await put_config(http, sim, with_faults(FaultSpec(status=503, times=2)))

    statuses = [(await post_chat(http, sim, chat_body(QUESTION)))[0] for _ in range(4)]
    stats = await get_json(http, f"{sim.root_url}/_sim/stats")

    assert statuses == [503, 503, 200, 200]
    assert stats["fault_times_remaining"] == {"*": [0]}


async def test_faults_are_chosen_per_model_with_star_as_fallback(
    http: aiohttp.ClientSession, sim: SimServer
) -> None:
    config = SimConfig.fast().model_copy(
        update={"faults": {"x-ai/grok-4": [FaultSpec(status=502)], "*": [FaultSpec(status=401)]}}
    )
    await put_config(http, sim, config)

    grok, _ = await post_chat(http, sim, chat_body(QUESTION, model="x-ai/grok-4"))
    other, _ = await post_chat(http, sim, chat_body(QUESTION, model="openai/gpt-5.1"))

    assert (grok, other) == (502, 401)


async def test_prompt_kind_narrows_a_fault_to_one_stage(
    http: aiohttp.ClientSession, sim: SimServer
) -> None:
    await put_config(http, sim, with_faults(FaultSpec(status=500, prompt_kind="chairman")))
    chairman_prompt = "You are the Chairman of an LLM Council.\n\nOriginal Question: Why?"

    answer_status, _ = await post_chat(http, sim, chat_body(QUESTION))
    chairman_status, _ = await post_chat(http, sim, chat_body(chairman_prompt))

    assert (answer_status, chairman_status) == (200, 500)


async def test_hang_fault_never_answers_so_the_client_times_out(
    http: aiohttp.ClientSession, sim: SimServer
) -> None:
    await put_config(http, sim, with_faults(FaultSpec(hang=True, times=1)))

    with pytest.raises(asyncio.TimeoutError):
        async with http.post(
            f"{sim.base_url}/chat/completions",
            json=chat_body(QUESTION),
            timeout=aiohttp.ClientTimeout(total=0.2),
        ) as resp:
            await resp.read()

    # The hung handler goes away with its client instead of piling up.
    await sim.wait_until_idle()
    stats = await get_json(http, f"{sim.root_url}/_sim/stats")
    assert stats["in_flight"] == 0
    status, _ = await post_chat(http, sim, chat_body(QUESTION))
    assert status == 200


async def test_stopping_the_server_releases_hung_calls(http: aiohttp.ClientSession) -> None:
    server = SimServer(with_faults(FaultSpec(hang=True)))
    await server.start()
    call = asyncio.create_task(post_chat(http, server, chat_body(QUESTION)))
    await server.wait_for_in_flight(1)

    await server.stop()
    status, _ = await call

    # Not released, the call would be cut when the shutdown's grace ran out: no 503 then.
    assert status == 503


async def test_malformed_fault_sends_invalid_json(
    http: aiohttp.ClientSession, sim: SimServer
) -> None:
    await put_config(http, sim, with_faults(FaultSpec(malformed=True)))

    async with http.post(f"{sim.base_url}/chat/completions", json=chat_body(QUESTION)) as resp:
        text = await resp.text()

    assert resp.status == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)


async def test_malformed_fault_puts_a_garbage_line_in_a_stream(
    http: aiohttp.ClientSession, sim: SimServer
) -> None:
    await put_config(http, sim, with_faults(FaultSpec(malformed=True)))

    async with http.post(
        f"{sim.base_url}/chat/completions", json=chat_body(QUESTION, stream=True)
    ) as resp:
        events = await read_events(resp)

    undecodable = []
    for event in events[:-1]:
        try:
            json.loads(event)
        except json.JSONDecodeError:
            undecodable.append(event)
    assert resp.status == 200
    assert len(undecodable) == 1


async def test_cut_stream_sends_n_chunks_then_drops_the_connection(
    http: aiohttp.ClientSession, sim: SimServer
) -> None:
    await put_config(http, sim, with_faults(FaultSpec(cut_stream_after=2)))
    events: list[str] = []

    with pytest.raises(aiohttp.ClientPayloadError):
        async with http.post(
            f"{sim.base_url}/chat/completions", json=chat_body(QUESTION, stream=True)
        ) as resp:
            async for raw in resp.content:
                if raw.startswith(b"data: "):
                    events.append(raw.decode().removeprefix("data: ").strip())

    assert len(events) == 2
    assert "[DONE]" not in events


async def test_cut_stream_does_not_touch_or_spend_on_plain_calls(
    http: aiohttp.ClientSession, sim: SimServer
) -> None:
    await put_config(http, sim, with_faults(FaultSpec(cut_stream_after=0, times=1)))

    plain_status, _ = await post_chat(http, sim, chat_body(QUESTION))
    stats = await get_json(http, f"{sim.root_url}/_sim/stats")

    assert plain_status == 200
    assert stats["fault_times_remaining"] == {"*": [1]}


async def test_empty_fault_answers_200_with_no_content(
    http: aiohttp.ClientSession, sim: SimServer
) -> None:
    await put_config(http, sim, with_faults(FaultSpec(empty=True)))

    status, body = await post_chat(http, sim, chat_body(QUESTION))
    async with http.post(
        f"{sim.base_url}/chat/completions", json=chat_body(QUESTION, stream=True)
    ) as resp:
        events = await read_events(resp)

    assert status == 200
    assert body["choices"][0]["message"]["content"] == ""
    assert body["usage"]["completion_tokens"] == 0
    assert content_of(events) == ""
    assert events[-1] == "[DONE]"
    assert json.loads(events[-2])["usage"]["completion_tokens"] == 0


async def test_probability_draws_reproduce_with_the_same_seed(
    http: aiohttp.ClientSession, sim: SimServer
) -> None:
    config = with_faults(FaultSpec(status=500, probability=0.5), seed=7)

    async def outcomes() -> list[int]:
        await put_config(http, sim, config)
        return [(await post_chat(http, sim, chat_body(QUESTION)))[0] for _ in range(16)]

    first, second = await outcomes(), await outcomes()

    assert first == second
    assert set(first) == {200, 500}


def test_latency_draws_reproduce_with_the_same_seed() -> None:
    config = SimConfig.model_validate(
        {"seed": 3, "latency": {"*": {"base_ms": 100, "jitter_ms": 50, "tail_probability": 0.3}}}
    )

    def plans() -> list[float]:
        planner = CallPlanner(config)
        return [
            planner.plan(model="m", stream=True, prompt_kind="answer").total_s for _ in range(20)
        ]

    first = plans()
    assert first == plans()
    assert len(set(first)) > 1


@pytest.mark.parametrize(
    "fields",
    [{}, {"status": 500, "hang": True}, {"empty": True, "cut_stream_after": 1}],
    ids=["none", "status-and-hang", "empty-and-cut"],
)
def test_a_fault_spec_names_exactly_one_fault(fields: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="exactly one"):
        FaultSpec.model_validate(fields)
