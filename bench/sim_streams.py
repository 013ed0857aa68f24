"""The simulator alone: how long 300 streams of 2 s take when they all arrive at once.

    python bench/sim_streams.py [--streams 300] [--latency-ms 2000]

The test suite shows only that the simulator holds every stream in flight at once
(tests/sim/test_sim_latency.py); how close to one call's latency the whole batch ends is a
timing claim, measured here: on the shared 2-core machine the batch ended 2.4 s after its start
(the calls' 2 s plus taking 300 connections in), with all 300 in flight at the peak.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

import aiohttp

from llmcouncil.sim import LatencyProfile, SimConfig, SimServer


async def one_stream(http: aiohttp.ClientSession, url: str, index: int) -> bool:
    body = {
        "model": "openai/gpt-5.1",
        "messages": [{"role": "user", "content": f"Question #{index}"}],
        "stream": True,
    }
    async with http.post(url, json=body) as resp:
        payload = await resp.read()
    return payload.rstrip().endswith(b"data: [DONE]")


async def measure(*, streams: int, latency_ms: float) -> dict[str, float | int]:
    profile = LatencyProfile(base_ms=latency_ms, jitter_ms=0)
    config = SimConfig(seed=1, latency={"*": profile}, capture=False)
    async with (
        SimServer(config) as sim,
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http,
    ):
        started = time.perf_counter()
        done = await asyncio.gather(
            *(one_stream(http, f"{sim.base_url}/chat/completions", i) for i in range(streams))
        )
        elapsed = time.perf_counter() - started
        async with http.get(f"{sim.root_url}/_sim/stats") as resp:
            stats = await resp.json()
    return {
        "streams": streams,
        "latency_s": latency_ms / 1000,
        "elapsed_s": round(elapsed, 3),
        "completed": sum(done),
        "peak_in_flight": int(stats["peak"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--streams", type=int, default=300)
    parser.add_argument("--latency-ms", type=float, default=2000)
    args = parser.parse_args()
    result = asyncio.run(measure(streams=args.streams, latency_ms=args.latency_ms))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
