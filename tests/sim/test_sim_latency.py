"""Latency profiles, many concurrent streams, and the simulator as a separate process."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from pathlib import Path

import aiohttp
import pytest
from sim_client import chat_body, content_of, get_json, post_chat, put_config, read_events

import llmcouncil
from llmcouncil.sim import LatencyProfile, SimConfig, SimServer
from llmcouncil.sim.__main__ import build_config, parse_args

QUESTION = "What makes a good unit test?"


async def launch_simulator(*args: str) -> asyncio.subprocess.Process:
    """`python -m llmcouncil.sim ARGS` with this checkout importable, stderr piped."""
    repo_root = Path(llmcouncil.__file__).resolve().parent.parent
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "llmcouncil.sim",
        *args,
        env={**os.environ, "PYTHONPATH": str(repo_root)},
        stderr=asyncio.subprocess.PIPE,
    )


def profile(**fields: float) -> SimConfig:
    return SimConfig(latency={"*": LatencyProfile.model_validate({"jitter_ms": 0, **fields})})


async def test_plain_call_takes_about_the_base_latency(
    http: aiohttp.ClientSession, sim: SimServer
) -> None:
    await put_config(http, sim, profile(base_ms=50))

    started = time.perf_counter()
    async with http.post(f"{sim.base_url}/chat/completions", json=chat_body(QUESTION)) as resp:
        await resp.read()
    elapsed = time.perf_counter() - started

    # Lower bounds only: a busy machine may be late, never early (speed is bench/'s business).
    assert elapsed >= 0.045


async def test_stream_waits_for_the_first_token_and_ends_near_the_base(
    http: aiohttp.ClientSession, sim: SimServer
) -> None:
    await put_config(http, sim, profile(base_ms=60, first_token_ms=30))

    started = time.perf_counter()
    async with http.post(
        f"{sim.base_url}/chat/completions", json=chat_body(QUESTION, stream=True)
    ) as resp:
        await resp.content.readline()
        first_chunk = time.perf_counter() - started
        await read_events(resp)
    elapsed = time.perf_counter() - started

    # Lower bounds only are tight: a busy machine may be late, never early.
    assert 0.025 <= first_chunk < elapsed
    assert elapsed >= 0.055


async def test_heavy_tail_multiplies_the_latency(
    http: aiohttp.ClientSession, sim: SimServer
) -> None:
    await put_config(http, sim, profile(base_ms=40, tail_probability=1, tail_multiplier=4))

    started = time.perf_counter()
    async with http.post(f"{sim.base_url}/chat/completions", json=chat_body(QUESTION)) as resp:
        await resp.read()

    assert time.perf_counter() - started >= 0.15


async def test_per_model_profile_overrides_the_default(
    http: aiohttp.ClientSession, sim: SimServer
) -> None:
    slow = LatencyProfile(base_ms=2000, jitter_ms=0)
    config = SimConfig.fast().model_copy(
        update={"latency": {**SimConfig.fast().latency, "x-ai/grok-4": slow}}
    )
    await put_config(http, sim, config)

    async def timed(model: str) -> float:
        started = time.perf_counter()
        await post_chat(http, sim, chat_body(QUESTION, model=model))
        return time.perf_counter() - started

    # Both calls arrive before either is served, so they race from the same start: the model
    # with the default (no) latency is answered while the overridden one still waits.
    sim.hold()
    slow_call = asyncio.create_task(timed("x-ai/grok-4"))
    fast_call = asyncio.create_task(timed("openai/gpt-5.1"))
    await sim.wait_for_in_flight(2)
    sim.release()
    await fast_call

    assert not slow_call.done()
    assert await slow_call >= 1.95


async def test_hundreds_of_streams_are_in_flight_at_once_and_all_complete(
    http: aiohttp.ClientSession, sim: SimServer
) -> None:
    # The simulator holds every call until all 300 are in flight together: concurrency is
    # shown by the count itself, not by racing a call length against the time the machine
    # needs to take 300 requests in. How fast they are served is bench/'s business.
    await put_config(http, sim, profile(base_ms=5, first_token_ms=1))
    sim.hold()

    async def one_stream(index: int) -> list[str]:
        body = chat_body(f"{QUESTION} #{index}", stream=True)
        async with http.post(f"{sim.base_url}/chat/completions", json=body) as resp:
            assert resp.status == 200
            return await read_events(resp)

    streams = [asyncio.create_task(one_stream(i)) for i in range(300)]
    await sim.wait_for_in_flight(300)
    held = await get_json(http, f"{sim.root_url}/_sim/stats")
    sim.release()
    replies = await asyncio.gather(*streams)
    after = await get_json(http, f"{sim.root_url}/_sim/stats")

    assert held["in_flight"] == 300
    assert [events[-1] for events in replies] == ["[DONE]"] * 300
    assert all(content_of(events) for events in replies)
    assert after["peak"] == 300
    assert after["in_flight"] == 0


async def test_held_calls_are_not_served_until_released(
    http: aiohttp.ClientSession, sim: SimServer
) -> None:
    async with http.post(f"{sim.root_url}/_sim/hold") as resp:
        assert resp.status == 200
    call = asyncio.create_task(post_chat(http, sim, chat_body(QUESTION)))
    await sim.wait_for_in_flight(1)
    # A round trip through the control API: an unheld call with no latency ends meanwhile.
    stats = await get_json(http, f"{sim.root_url}/_sim/stats")

    assert stats["in_flight"] == 1
    assert not call.done()
    async with http.post(f"{sim.root_url}/_sim/release") as resp:
        assert resp.status == 200
    status, body = await call
    assert status == 200
    assert body["choices"][0]["message"]["content"]


def test_command_line_flags_layer_over_the_config_file(tmp_path: Path) -> None:
    config_file = tmp_path / "sim.json"
    config_file.write_text(
        SimConfig(seed=1, strict_models=False, capture_limit=7).model_dump_json(), "utf-8"
    )

    args = parse_args(
        ["--port", "9", "--config", str(config_file), "--latency-ms", "200", "--seed", "5"]
    )
    config = build_config(args)

    assert args.port == 9
    assert config.capture_limit == 7
    assert config.seed == 5
    assert config.latency["*"].base_ms == 200
    assert config.latency["*"].jitter_ms == 50


@pytest.mark.timeout(30)
async def test_runs_as_a_separate_process_and_stops_on_sigterm(
    http: aiohttp.ClientSession, unused_tcp_port: int
) -> None:
    process = await launch_simulator("--port", str(unused_tcp_port), "--latency-ms", "0")
    try:
        assert process.stderr is not None
        # The server logs its URL once it listens: wait for that line, not for a guess.
        line = await asyncio.wait_for(process.stderr.readline(), timeout=20)
        assert f"http://127.0.0.1:{unused_tcp_port}/v1" in line.decode()

        models = await get_json(http, f"http://127.0.0.1:{unused_tcp_port}/v1/models")
        assert models["object"] == "list"
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.communicate(), timeout=10)

    assert process.returncode == 0


async def test_a_taken_port_is_reported_without_a_traceback(sim: SimServer) -> None:
    process = await launch_simulator("--port", str(sim.port))
    _, stderr = await asyncio.wait_for(process.communicate(), timeout=20)

    assert process.returncode == 1
    assert f"cannot serve on 127.0.0.1:{sim.port}" in stderr.decode()
    assert "Traceback" not in stderr.decode()
