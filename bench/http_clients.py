"""aiohttp vs httpx as the pooled upstream client, against the simulator at 200 and 400 calls.

    python bench/http_clients.py [--latency-ms 500] [--rounds 5]

The simulator runs as its own process; each client keeps ``concurrency`` calls in flight
(chat completions, plain and streamed) through one pooled session sized to the concurrency,
on uvloop like the server. Reported per run: calls/s against the ideal (concurrency /
latency), latency p50/p99 above the simulated latency, and the client's CPU per 1000 calls.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import uvloop
from harness import free_port
from load import percentile

from llmcouncil.sim import LatencyProfile, SimConfig

BODY = {
    "model": "openai/gpt-5.1",
    "messages": [{"role": "user", "content": "Why is the sky blue?"}],
    "max_tokens": 200,
}
Call = Callable[[], Awaitable[None]]


def aiohttp_calls(url: str, concurrency: int, *, stream: bool) -> tuple[Call, Callable[[], Any]]:
    connector = aiohttp.TCPConnector(limit=concurrency, limit_per_host=concurrency)
    session = aiohttp.ClientSession(connector=connector)
    body = {**BODY, "stream": stream}

    async def call() -> None:
        async with session.post(url, json=body) as response:
            response.raise_for_status()
            if stream:
                async for line in response.content:
                    if line.startswith(b"data:") and line.strip() != b"data: [DONE]":
                        json.loads(line[5:])
            else:
                await response.json()

    return call, session.close


def httpx_calls(url: str, concurrency: int, *, stream: bool) -> tuple[Call, Callable[[], Any]]:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    client = httpx.AsyncClient(limits=limits, timeout=httpx.Timeout(60.0))
    body = {**BODY, "stream": stream}

    async def call() -> None:
        if stream:
            async with client.stream("POST", url, json=body) as response:
                response.raise_for_status()
                async for line in response.aiter_lines():
                    if line.startswith("data:") and line.strip() != "data: [DONE]":
                        json.loads(line[5:])
        else:
            response = await client.post(url, json=body)
            response.raise_for_status()
            response.json()

    return call, client.aclose


CLIENTS = {"aiohttp": aiohttp_calls, "httpx": httpx_calls}


async def measure(
    name: str, url: str, *, concurrency: int, rounds: int, stream: bool, latency_s: float
) -> dict[str, Any]:
    call, close = CLIENTS[name](url, concurrency, stream=stream)
    try:
        await asyncio.gather(*(call() for _ in range(concurrency)))  # open the pool
        latencies: list[float] = []
        errors = 0

        async def worker() -> None:
            nonlocal errors
            for _ in range(rounds):
                started = time.perf_counter()
                try:
                    await call()
                except Exception:
                    errors += 1
                    continue
                latencies.append(time.perf_counter() - started)

        cpu = time.process_time()
        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu
    finally:
        await close()
    calls = concurrency * rounds
    return {
        "client": name,
        "mode": "stream" if stream else "plain",
        "concurrency": concurrency,
        "calls_per_s": round(calls / elapsed, 1),
        "ideal_calls_per_s": round(concurrency / latency_s, 1),
        "added_p50_ms": round((percentile(latencies, 0.5) - latency_s) * 1000, 1),
        "added_p99_ms": round((percentile(latencies, 0.99) - latency_s) * 1000, 1),
        "client_cpu_ms_per_1000_calls": round(cpu / calls * 1000 * 1000, 1),
        "errors": errors,
    }


def start_sim(latency_ms: float) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    config = SimConfig(
        latency={"*": LatencyProfile(base_ms=latency_ms, jitter_ms=0)}, capture=False
    )
    path = Path(tempfile.mkdtemp(prefix="council-httpbench-")) / "sim.json"
    path.write_text(config.model_dump_json(), encoding="utf-8")
    argv = [sys.executable, "-m", "llmcouncil.sim", "--port", str(port), "--config", str(path)]
    sim = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return sim, f"http://127.0.0.1:{port}/v1"


async def wait_ready(base: str) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(200):
            try:
                if (await client.get(f"{base}/models")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.05)
    raise RuntimeError("the simulator did not start")


async def run(latency_ms: float, rounds: int) -> list[dict[str, Any]]:
    sim, base = start_sim(latency_ms)
    try:
        await wait_ready(base)
        results = []
        for stream in (False, True):
            for concurrency in (200, 400):
                for name in CLIENTS:
                    result = await measure(
                        name,
                        f"{base}/chat/completions",
                        concurrency=concurrency,
                        rounds=rounds,
                        stream=stream,
                        latency_s=latency_ms / 1000,
                    )
                    print(json.dumps(result), flush=True)
                    results.append(result)
        return results
    finally:
        sim.terminate()
        sim.wait()


def table(results: list[dict[str, Any]]) -> str:
    rows = [
        "| mode | concurrency | client | calls/s (ideal) | added p50 / p99 ms | "
        "client CPU ms / 1000 calls | errors |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        rows.append(
            f"| {r['mode']} | {r['concurrency']} | {r['client']} | {r['calls_per_s']} "
            f"({r['ideal_calls_per_s']}) | {r['added_p50_ms']} / {r['added_p99_ms']} | "
            f"{r['client_cpu_ms_per_1000_calls']} | {r['errors']} |"
        )
    return "\n".join(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=float, default=500)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    os.environ.setdefault("PYTHONHASHSEED", "0")
    results = uvloop.run(run(args.latency_ms, args.rounds))
    print()
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
