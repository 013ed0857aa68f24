"""The Redis breaker store on its own: what an attempt (admit, then record) costs in requests to
Redis and in the caller's CPU, one attempt at a time and many at once on one breaker.

    python bench/breaker_store.py                  # this tree's store
    python bench/breaker_store.py --ref 1d98e0c    # and the store of another commit, alternated

Requests are counted with ``MONITOR`` (commands a Lua script runs inside Redis are not
requests); CPU is this process's, per attempt. Uses the Redis on 127.0.0.1:6379, under keys of
its own.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

from redis.asyncio import Redis

from llmcouncil.resilience.redis_breakers import RedisBreakerStore
from llmcouncil.resilience.settings import BreakerSettings

REDIS = "redis://127.0.0.1:6379/0"
RULES = BreakerSettings()
MODULE = "llmcouncil/resilience/redis_breakers.py"


def _store_of(ref: str) -> Any:
    """The ``RedisBreakerStore`` class of another commit (its module alone, on this tree)."""
    source = subprocess.run(
        ["git", "show", f"{ref}:{MODULE}"], capture_output=True, text=True, check=True
    ).stdout
    path = Path(tempfile.mkdtemp()) / "other_redis_breakers.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("other_redis_breakers", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.RedisBreakerStore


async def measure(store_class: Any, *, attempts: int, concurrency: int) -> dict[str, float]:
    prefix = f"llmcouncil:bench:{uuid.uuid4().hex}:"
    store = store_class(REDIS, prefix=prefix)
    watcher: Any = Redis.from_url(REDIS)
    seen: Counter[str] = Counter()

    async def attempt(number: int) -> None:
        now = 1_000.0 + number
        admission = await store.admit("k", RULES, now=now)
        failed = number % 7 == 0
        await store.record(
            "k", RULES, now=now, failed=failed, error="x", probe=False, ticket=admission.ticket
        )

    async def listen(monitor: Any) -> None:
        async for command in monitor.listen():
            name = command["command"].split(" ", 1)[0].lower()
            # MULTI/EXEC name no key: counted when this run's keys are the only ones watched.
            if command.get("client_type") != "lua" and (
                prefix in command["command"] or name in ("multi", "exec")
            ):
                seen[name] += 1

    limit = asyncio.Semaphore(concurrency)

    async def limited(number: int) -> None:
        async with limit:
            await attempt(number)

    try:
        await attempt(0)  # the script loaded, the connections open
        async with watcher.monitor() as monitor:
            listening = asyncio.create_task(listen(monitor))
            await asyncio.sleep(0.2)
            cpu = time.process_time()
            await asyncio.gather(*(limited(n) for n in range(1, attempts + 1)))
            cpu = time.process_time() - cpu
            await asyncio.sleep(0.5)
            listening.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listening
    finally:
        await store.aclose()
        async for name in watcher.scan_iter(match=prefix + "*", count=1000):
            await watcher.delete(name)
        await watcher.aclose()
    figures = {f"{k}_per_attempt": round(v / attempts, 2) for k, v in sorted(seen.items())}
    figures["requests_per_attempt"] = round(sum(seen.values()) / attempts, 2)
    figures["client_cpu_ms_per_attempt"] = round(cpu * 1000 / attempts, 3)
    return figures


async def main_async(args: argparse.Namespace) -> None:
    sides: list[tuple[str, Any]] = [("tree", RedisBreakerStore)]
    if args.ref:
        sides.append((args.ref, _store_of(args.ref)))
    for round_number in range(args.rounds):
        order = sides if round_number % 2 == 0 else list(reversed(sides))
        for concurrency in args.concurrency:
            for label, store_class in order:
                figures = await measure(
                    store_class, attempts=args.attempts, concurrency=concurrency
                )
                print(f"round {round_number + 1} {label} concurrency {concurrency}: {figures}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ref", help="also measure this commit's store")
    parser.add_argument("--attempts", type=int, default=200)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 50])
    parser.add_argument("--rounds", type=int, default=2)
    asyncio.run(main_async(parser.parse_args()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
