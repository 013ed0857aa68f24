"""The control API and the capture: what tests and benchmarks read back from the upstream."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest
from sim_client import chat_body, get_json, post_chat, put_config

from llmcouncil.sim import FaultSpec, LatencyProfile, SimConfig, SimServer

SECRET = "sk-or-v1-do-not-leak-0123456789"


async def test_capture_records_messages_and_options(
    http: aiohttp.ClientSession, sim: SimServer
) -> None:
    body = {
        "model": "x-ai/grok-4",
        "stream": True,
        "temperature": 0.3,
        "max_tokens": 500,
        "response_format": {"type": "json_object"},
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Why is the sky blue?"},
        ],
    }
    async with http.post(f"{sim.base_url}/chat/completions", json=body) as resp:
        await resp.read()

    captured = (await get_json(http, f"{sim.root_url}/_sim/requests"))["requests"]

    assert len(captured) == 1
    call = captured[0]
    assert call["model"] == "x-ai/grok-4"
    assert call["stream"] is True
    assert call["messages"] == body["messages"]
    assert call["response_format"] == {"type": "json_object"}
    assert call["temperature"] == 0.3
    assert call["max_tokens"] == 500
    assert call["prompt_kind"] == "answer"
    assert call["fault"] is None
    assert call["time"] > 0
    assert sim.requests[0].messages == body["messages"]


@pytest.mark.parametrize(
    ("header", "present", "scheme"),
    [
        (f"Bearer {SECRET}", True, "Bearer"),
        (SECRET, True, None),
        (None, False, None),
    ],
    ids=["bearer", "bare-key", "absent"],
)
async def test_capture_keeps_the_auth_scheme_and_never_the_key(
    http: aiohttp.ClientSession,
    sim: SimServer,
    header: str | None,
    present: bool,
    scheme: str | None,
) -> None:
    headers = {"Authorization": header} if header else None
    await post_chat(http, sim, chat_body("hello"), headers=headers)

    async with http.get(f"{sim.root_url}/_sim/requests") as resp:
        raw = await resp.text()
    call = json.loads(raw)["requests"][0]

    assert call["auth_present"] is present
    assert call["auth_scheme"] == scheme
    assert SECRET not in raw
    assert "do-not-leak" not in repr(sim.requests)


async def test_capture_records_the_fault_each_call_got(
    http: aiohttp.ClientSession, sim: SimServer
) -> None:
    config = SimConfig.fast().model_copy(update={"faults": {"*": [FaultSpec(status=429, times=1)]}})
    await put_config(http, sim, config)

    await post_chat(http, sim, chat_body("one"))
    await post_chat(http, sim, chat_body("two"))

    assert [call.fault for call in sim.requests] == ["status:429", None]


async def test_capture_is_bounded_and_can_be_switched_off(
    http: aiohttp.ClientSession, sim: SimServer
) -> None:
    await put_config(http, sim, SimConfig.fast().model_copy(update={"capture_limit": 2}))
    for prompt in ("one", "two", "three"):
        await post_chat(http, sim, chat_body(prompt))
    kept = [call.messages[0]["content"] for call in sim.requests]

    await put_config(http, sim, SimConfig.fast().model_copy(update={"capture": False}))
    sim.clear_requests()
    await post_chat(http, sim, chat_body("four"))

    assert kept == ["two", "three"]
    assert sim.requests == []


async def test_delete_requests_clears_the_capture(
    http: aiohttp.ClientSession, sim: SimServer
) -> None:
    await post_chat(http, sim, chat_body("one"))
    await post_chat(http, sim, chat_body("two"))

    async with http.delete(f"{sim.root_url}/_sim/requests") as resp:
        cleared = await resp.json()

    assert cleared == {"cleared": 2}
    assert (await get_json(http, f"{sim.root_url}/_sim/requests"))["count"] == 0


async def test_put_config_replaces_the_config_and_get_echoes_it(
    http: aiohttp.ClientSession, sim: SimServer
) -> None:
    body = {
        "seed": 42,
        "latency": {"*": {"base_ms": 5, "jitter_ms": 0}, "x-ai/grok-4": {"base_ms": 10}},
        "faults": {"openai/gpt-5.1": [{"status": 429, "retry_after_s": 3, "times": 1}]},
        "strict_models": True,
    }
    async with http.put(f"{sim.root_url}/_sim/config", json=body) as resp:
        assert resp.status == 200

    echoed = await get_json(http, f"{sim.root_url}/_sim/config")

    assert echoed["seed"] == 42
    assert echoed["latency"]["x-ai/grok-4"]["base_ms"] == 10
    assert echoed["faults"]["openai/gpt-5.1"][0]["status"] == 429
    assert SimConfig.model_validate(echoed) == sim.config
    assert sim.config.strict_models is True


@pytest.mark.parametrize(
    "raw",
    [
        b"{oops",
        b'{"latency": {"*": {"base_msec": 5}}}',
        b'{"faults": {"*": [{"status": 500, "hang": true}]}}',
        b'{"faults": {"*": [{"probability": 2, "empty": true}]}}',
    ],
    ids=["bad-json", "typo", "two-faults", "probability-above-one"],
)
async def test_put_config_rejects_bad_configs_and_keeps_the_old_one(
    http: aiohttp.ClientSession, sim: SimServer, raw: bytes
) -> None:
    before = sim.config

    async with http.put(
        f"{sim.root_url}/_sim/config", data=raw, headers={"Content-Type": "application/json"}
    ) as resp:
        body = await resp.json()

    assert resp.status == 400
    assert body["error"]["message"]
    assert sim.config == before


async def test_reset_restores_the_start_config_and_clears_the_capture(
    http: aiohttp.ClientSession,
) -> None:
    start = SimConfig(seed=9, latency={"*": LatencyProfile(base_ms=1, jitter_ms=0)})
    async with SimServer(start) as sim:
        await put_config(http, sim, SimConfig.fast().model_copy(update={"strict_models": True}))
        await post_chat(http, sim, chat_body("one"))

        async with http.post(f"{sim.root_url}/_sim/reset") as resp:
            assert resp.status == 200

        assert sim.config == start
        assert sim.requests == []


async def test_in_process_configure_is_seen_over_http(
    http: aiohttp.ClientSession, sim: SimServer
) -> None:
    sim.configure(SimConfig.fast().model_copy(update={"faults": {"*": [FaultSpec(status=403)]}}))

    status, _ = await post_chat(http, sim, chat_body("hello"))
    sim.reset()
    status_after_reset, _ = await post_chat(http, sim, chat_body("hello"))

    assert (status, status_after_reset) == (403, 200)


async def test_stats_count_calls(http: aiohttp.ClientSession, sim: SimServer) -> None:
    for prompt in ("one", "two", "three"):
        await post_chat(http, sim, chat_body(prompt))

    stats = await get_json(http, f"{sim.root_url}/_sim/stats")

    assert stats["total"] == 3
    assert stats["in_flight"] == 0
    assert stats["peak"] >= 1


async def test_base_url_ends_in_v1_and_names_the_port(sim: SimServer) -> None:
    assert sim.base_url == f"http://127.0.0.1:{sim.port}/v1"
    assert sim.port > 0


async def test_a_test_waits_for_what_reached_the_upstream(
    sim: SimServer, http: aiohttp.ClientSession
) -> None:
    """``wait_for_requests`` returns once the captured calls satisfy the condition: at once when
    they already do, else when the call that makes them arrives, never before."""
    await sim.wait_for_requests(lambda calls: len(calls) == 0)
    about_owls = asyncio.create_task(
        sim.wait_for_requests(lambda calls: any("owls" in str(c.messages) for c in calls))
    )
    await post_chat(http, sim, chat_body("Tell me about otters"))
    assert not about_owls.done()  # an otter question does not satisfy it
    await post_chat(http, sim, chat_body("Tell me about owls"))
    await asyncio.wait_for(about_owls, 30)
