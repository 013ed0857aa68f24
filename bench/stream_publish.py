"""What publishing a run's events to Redis (api/live_streams.py) costs a council.

    python bench/stream_publish.py [--councils 200] [--concurrency 20] [--rounds 3]

First one streamed council of the classic mode is recorded from a real server and simulator
(harness.running_stack, calls of 2 s as in S2): its events, deltas included, with the time each
arrived. Then, in this process, ``--councils`` councils replay those events on their own
``RunChannel`` at the recorded times, ``--concurrency`` at a time — once with no publisher
(Redis not configured: no tap, no task) and once with ``LiveEventPublisher`` on the local
Redis. Rounds alternate off/on because this VM's speed drifts.

Reported per council: process CPU (the replay itself, plus the taps, the publisher tasks,
redis-py and the socket work), the time spent inside ``emit`` (the run's own path: the tap
appends to a list), the pipelines sent (Redis round trips) and the stream's memory in Redis.
"""

from __future__ import annotations

import argparse
import asyncio
import contextvars
import json
import statistics
import time
from dataclasses import dataclass
from typing import Any

import aiohttp
from harness import running_stack
from load import QUESTION, new_conversation
from scenarios import fixed

from llmcouncil.api.live_streams import LiveEventPublisher, redis_client, stream_key
from llmcouncil.council.events import CouncilEvent, RunChannel

REDIS_URL = "redis://127.0.0.1:6379/0"


Timed = list[tuple[float, CouncilEvent]]


async def record_council() -> Timed:
    """One council's events, each with its time from the start of the stream."""
    async with running_stack(fixed(2000)) as stack, aiohttp.ClientSession() as http:
        cid = await new_conversation(http, stack.server_url)
        events: Timed = []
        started = time.perf_counter()
        async with http.post(
            f"{stack.server_url}/api/conversations/{cid}/message/stream",
            json={"content": QUESTION},
        ) as response:
            async for raw in response.content:
                line = raw.decode().strip()
                if line.startswith("data:"):
                    at = time.perf_counter() - started
                    events.append((at, CouncilEvent.from_json(line[5:])))
    assert events[-1][1].type.value == "complete", events[-1]
    return events


class _Counting:
    """The Redis client, counting the pipelines (one round trip each) sent through it."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.pipelines = 0

    def pipeline(self, **kwargs: Any) -> Any:
        self.pipelines += 1
        return self.client.pipeline(**kwargs)

    async def aclose(self) -> None:
        await self.client.aclose()


@dataclass
class _Context:
    run_id: str


@dataclass
class Round:
    cpu_ms: float
    emit_us: float
    pipelines: float


async def _replay(events: Timed, run_id: str, publisher: LiveEventPublisher | None) -> float:
    channel = RunChannel()
    if publisher is not None:
        publisher.run_started(_Context(run_id), channel, contextvars.copy_context())  # type: ignore[arg-type]
    inside = 0.0
    loop = asyncio.get_running_loop()
    start = loop.time()
    for at, event in events:
        wait = start + at - loop.time()
        await asyncio.sleep(wait if wait > 0 else 0)
        started = time.perf_counter()
        channel.emit(event)
        inside += time.perf_counter() - started
    return inside


async def one_round(
    events: Timed,
    *,
    councils: int,
    concurrency: int,
    redis: Any | None,
    tag: str,
    linger: float = 0.1,
) -> Round:
    counting = _Counting(redis_client(REDIS_URL)) if redis is not None else None
    publisher = LiveEventPublisher(counting, linger=linger) if counting is not None else None
    gate = asyncio.Semaphore(concurrency)
    inside: list[float] = []

    async def council(n: int) -> None:
        async with gate:
            inside.append(await _replay(events, f"bench-{tag}-{n}", publisher))

    cpu = time.process_time()
    await asyncio.gather(*(council(n) for n in range(councils)))
    if publisher is not None:
        await publisher.drained()
    cpu = time.process_time() - cpu
    if publisher is not None:
        await publisher.aclose()
    return Round(
        cpu_ms=cpu * 1000 / councils,
        emit_us=sum(inside) * 1e6 / councils,
        pipelines=(counting.pipelines / councils) if counting is not None else 0.0,
    )


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    events = await record_council()
    redis = redis_client(REDIS_URL)
    off: list[Round] = []
    on: list[Round] = []
    try:
        for r in range(args.rounds):
            off.append(
                await one_round(
                    events, councils=args.councils, concurrency=args.concurrency, redis=None, tag=""
                )
            )
            on.append(
                await one_round(
                    events,
                    councils=args.councils,
                    concurrency=args.concurrency,
                    redis=redis,
                    tag=str(r),
                    linger=args.linger,
                )
            )
        memory = int(await redis.memory_usage(stream_key("bench-0-0")))
        for r in range(args.rounds):
            await redis.delete(*(stream_key(f"bench-{r}-{n}") for n in range(args.councils)))
    finally:
        await redis.aclose()

    def median(rounds: list[Round], key: str) -> float:
        return float(statistics.median(float(getattr(r, key)) for r in rounds))

    return {
        "events_per_council": len(events),
        "deltas_per_council": sum(e.type.value == "model_delta" for _at, e in events),
        "council_s": round(events[-1][0], 2),
        "councils": args.councils,
        "concurrency": args.concurrency,
        "rounds": args.rounds,
        "linger_s": args.linger,
        "cpu_ms_per_council_off": round(median(off, "cpu_ms"), 2),
        "cpu_ms_per_council_on": round(median(on, "cpu_ms"), 2),
        "publish_cpu_ms_per_council": round(median(on, "cpu_ms") - median(off, "cpu_ms"), 2),
        "emit_us_per_council_off": round(median(off, "emit_us"), 1),
        "emit_us_per_council_on": round(median(on, "emit_us"), 1),
        "pipelines_per_council": round(median(on, "pipelines"), 1),
        "stream_bytes_in_redis": memory,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--councils", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--linger", type=float, default=0.1, help="the publisher's, seconds")
    result = asyncio.run(main_async(parser.parse_args()))
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
