"""Scale-out: councils/s and p99 for 1 and 2 ``council serve`` instances behind HAProxy, on
PostgreSQL and Redis, and what their shared state costs per council.

    python bench/scale.py                                  # 1 vs 2 instances, breakers on
    python bench/scale.py --breakers on off --rounds 3     # and the breaker store's cost
    python bench/scale.py --instances 1 --ref 1d98e0c      # servers of another commit too
    python bench/scale.py --cpu-per-instance 0.4           # each instance held to 0.4 core

Every call to the simulated upstream takes ``--call-ms`` (1 s); ``--concurrency`` councils (200)
run at once until ``--councils`` are done, after a warm-up. The configurations (instances ×
breakers × code) run alternated in rounds (A B …, then … B A), because this machine's speed
drifts and it is shared. ``--cpu-per-instance`` holds each instance to a share of the CPU, as a
container's CPU limit does (``cpu_slices.py``): on 2 cores the instances, the simulator and the
load generator otherwise compete for the same two, and whether instances add up cannot be told
from whether a core is left for each. Figures per run:

- councils/s, p50/p99 of a council, errors;
- CPU per council: the instances' CPU time (their process trees) / councils; the simulator's,
  HAProxy's and the load generator's separately; the machine's busy share during the run (all
  its users, this benchmark's and others') and its load average, so the CPU that was left is
  on record;
- shared state per council: Redis commands (``INFO commandstats`` deltas of a private
  ``redis-server``; the commands a Lua script runs count there too), Redis requests (what the
  clients sent, the commands inside scripts not counted: ``MONITOR`` over 20 more councils
  after the measured ones) and PostgreSQL transactions (``pg_stat_database`` commits + rollbacks
  of a database of its own).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from load import drive, summary
from scale_cluster import Shared, machine_busy, migrate, running_cluster, shared_state
from scenarios import WIDE_CAPACITY, fixed

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


def _delta(after: dict[str, int], before: dict[str, int]) -> dict[str, int]:
    return {k: v - before.get(k, 0) for k, v in after.items() if v - before.get(k, 0) > 0}


async def measure(
    shared: Shared,
    *,
    instances: int,
    breakers: bool,
    pythonpath: str | None,
    args: argparse.Namespace,
) -> dict[str, Any]:
    resilience = {"capacity": WIDE_CAPACITY, "breaker": {"enabled": breakers}}
    sim = fixed(args.call_ms).model_dump_json()
    async with running_cluster(
        shared,
        instances=instances,
        sim_config_json=sim,
        resilience=resilience,
        pythonpath=pythonpath,
        cpu_per_instance=args.cpu_per_instance,
    ) as cluster:
        await drive(cluster.url, total=2 * instances * 8, concurrency=instances * 8)  # warm-up
        cpu, sim_cpu = cluster.server_cpu(), cluster.sim.cpu_seconds()
        proxy_cpu, client_cpu = cluster.haproxy.cpu_seconds(), time.process_time()
        redis_before, pg_before = await shared.redis_commands(), await shared.pg_transactions()
        busy_before, throttled = machine_busy(), cluster.throttled_periods()
        outcomes, elapsed = await drive(
            cluster.url, total=args.councils, concurrency=args.concurrency
        )
        busy_after, throttled = machine_busy(), cluster.throttled_periods() - throttled
        cpu = cluster.server_cpu() - cpu
        sim_cpu = cluster.sim.cpu_seconds() - sim_cpu
        proxy_cpu = cluster.haproxy.cpu_seconds() - proxy_cpu
        client_cpu = time.process_time() - client_cpu
        await asyncio.sleep(1.0)  # PostgreSQL publishes its statistics within a second
        redis_ops = _delta(await shared.redis_commands(), redis_before)
        redis_ops.pop("info", None)
        pg = await shared.pg_transactions() - pg_before
        # Breakers that fell back to per-process state (Redis unreachable, or no connection).
        local_fallbacks = sum(
            s.log.read_text(errors="replace").count("circuit breakers are per process")
            for s in cluster.servers
        )
        # Round trips per council, from a small sample watched by MONITOR (which costs Redis
        # and this process CPU, so it is kept out of the measured run).
        sampled = 20
        requests = await shared.requests_during(drive(cluster.url, total=sampled, concurrency=10))
    figures = summary(outcomes, elapsed)
    done = max(1, figures["councils"])
    busy = (busy_after[0] - busy_before[0]) / max(1.0, busy_after[1] - busy_before[1])
    figures.update(
        instances=instances,
        breakers=breakers,
        concurrency=args.concurrency,
        call_ms=args.call_ms,
        server_cpu_ms_per_council=round(cpu * 1000 / done, 1),
        server_cpu_share=round(cpu / elapsed, 2),  # cores the instances used, together
        sim_cpu_share=round(sim_cpu / elapsed, 2),
        haproxy_cpu_share=round(proxy_cpu / elapsed, 2),
        client_cpu_share=round(client_cpu / elapsed, 2),
        machine_busy_share=round(busy, 2),  # of all cores, every user of the machine
        load_average_1m=round(os.getloadavg()[0], 2),
        redis_ops_per_council=round(sum(redis_ops.values()) / done, 1),
        redis_top=dict(sorted(redis_ops.items(), key=lambda kv: -kv[1])[:6]),
        redis_requests_per_council=round(sum(requests.values()) / sampled, 1),
        redis_requests_top=dict(requests.most_common(6)),
        pg_xacts_per_council=round(pg / done, 1),
        breaker_fallback_logs=local_fallbacks,  # at most one a minute per instance
        cpu_per_instance=args.cpu_per_instance,
        # Of the 100 ms periods of the run, the share in which an instance used up its CPU
        # share (per instance): near 1 when it is saturated; 0 without --cpu-per-instance.
        throttled_share=round(throttled / instances / (elapsed * 10), 2),
    )
    return figures


HEADLINE = (
    "councils_per_s",
    "p99_s",
    "server_cpu_ms_per_council",
    "redis_ops_per_council",
    "redis_requests_per_council",
    "pg_xacts_per_council",
    "server_cpu_share",
    "throttled_share",
    "machine_busy_share",
    "errors",
)


def _label(code: str, instances: int, breakers: bool) -> str:
    return f"{code} x{instances} breakers {'on' if breakers else 'off'}"


async def main_async(args: argparse.Namespace) -> dict[str, list[dict[str, Any]]]:
    scratch = Path(tempfile.mkdtemp(prefix="council-scale-"))
    sides: list[tuple[str, str | None]] = [("tree", None)]
    if args.ref:
        worktree = scratch / "other"
        subprocess.run(
            ["git", "worktree", "add", "--detach", "--quiet", str(worktree), args.ref],
            cwd=ROOT,
            check=True,
        )
        sides.append((args.ref, str(worktree)))
    configs = list(itertools.product(sides, args.instances, [b == "on" for b in args.breakers]))
    runs: dict[str, list[dict[str, Any]]] = {}
    try:
        async with shared_state(scratch) as shared:
            await migrate(shared, pythonpath=None)
            for number in range(args.rounds):
                order = configs if number % 2 == 0 else list(reversed(configs))
                for (code, path), instances, breakers in order:
                    figures = await measure(
                        shared, instances=instances, breakers=breakers, pythonpath=path, args=args
                    )
                    label = _label(code, instances, breakers)
                    runs.setdefault(label, []).append(figures)
                    shown = ", ".join(f"{k} {figures[k]}" for k in HEADLINE)
                    print(f"round {number + 1} {label}: {shown}", flush=True)
    finally:
        if args.ref:
            subprocess.run(["git", "worktree", "remove", "--force", str(scratch / "other")])
    return runs


def report(runs: dict[str, list[dict[str, Any]]]) -> None:
    print()
    print("| configuration | " + " | ".join(HEADLINE) + " |")
    print("|---|" + "---|" * len(HEADLINE))
    for label, measured in runs.items():
        cells = []
        for key in HEADLINE:
            values = [float(m[key]) for m in measured]
            spread = f" ({min(values):g}–{max(values):g})" if len(values) > 1 else ""
            cells.append(f"{statistics.mean(values):.3g}{spread}")
        print(f"| {label} | " + " | ".join(cells) + " |")
    for label, measured in runs.items():
        one = runs.get(re.sub(r" x\d+ ", " x1 ", label))
        instances = measured[0]["instances"]
        if instances == 1 or not one:
            continue
        # Each round's throughput over the same round's one instance (they ran side by side).
        ratios = [
            m["councils_per_s"] / o["councils_per_s"]
            for m, o in zip(measured, one, strict=False)
            if o["councils_per_s"]
        ]
        if ratios:
            spread = ", ".join(f"{r:.2f}" for r in ratios)
            print(f"{label}: x{statistics.mean(ratios):.2f} one instance's councils/s ({spread})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--breakers", nargs="+", choices=["on", "off"], default=["on"])
    parser.add_argument("--ref", help="also run the servers of this commit (git worktree)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--councils", type=int, default=600)
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--call-ms", type=float, default=1000.0)
    parser.add_argument(
        "--cpu-per-instance",
        type=float,
        help="hold each instance to this share of the CPU (cores, e.g. 0.4), as a container's "
        "CPU limit does",
    )
    args = parser.parse_args()
    runs = asyncio.run(main_async(args))
    report(runs)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"scale-{time.strftime('%Y%m%dT%H%M%S')}.json"
    out.write_text(json.dumps(runs, indent=2), encoding="utf-8")
    print(f"\nwritten to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
