"""The scale-out system under test: N ``council serve`` instances on PostgreSQL and Redis behind
HAProxy, and the simulated upstream, all on loopback.

- PostgreSQL: a database of its own (``council_scale_<hex>``, dropped afterwards) on the
  machine's server, so ``pg_stat_database`` counts this benchmark's transactions only.
- Redis: a ``redis-server`` of its own on a free port (no persistence), so ``INFO
  commandstats`` counts this benchmark's commands only, not the other users of the machine's.
- HAProxy: deploy/haproxy.cfg with what a container network provides rewritten for loopback
  (the binds, ``server-template`` as one ``server`` line per instance), as tests/cluster does.
- ``pythonpath``: run the servers from another checkout (``git worktree``) to compare commits.
- ``cpu_per_instance``: each instance held to that share of the CPU (``cpu_slices.py``).

CPU time is read from ``/proc`` for a process and its descendants.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import redis.asyncio as aioredis
from cpu_slices import CpuSlice
from cryptography.fernet import Fernet
from harness import BIN, Process, _spawn, _wait_ready, free_port, server_env

HAPROXY_CFG = Path(__file__).resolve().parent.parent / "deploy" / "haproxy.cfg"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU of ``pid`` and every live descendant."""
    ticks = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry.name)] = int(fields[1])
        times[int(entry.name)] = (int(fields[11]) + int(fields[12])) / ticks
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        total += times.get(current, 0.0)
        todo.extend(child for child, parent in parents.items() if parent == current)
    return total


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of every CPU since boot: the share of the machine in use."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return float(sum(values) - idle), float(sum(values))


def haproxy_config(*, port: int, stats_port: int, servers: list[tuple[str, int]]) -> str:
    text = HAPROXY_CFG.read_text()
    text = re.sub(r"(?m)^resolvers docker\n(?:    .*\n)+", "", text)
    text = text.replace("    bind :8080", f"    bind 127.0.0.1:{port}")
    text = text.replace("    bind :8404", f"    bind 127.0.0.1:{stats_port}")
    lines = "\n".join(f"    server {name} 127.0.0.1:{p}" for name, p in servers)
    text, count = re.subn(r"(?m)^    server-template .*$", lines, text)
    assert count == 1, "deploy/haproxy.cfg has no server-template line"
    return text


@dataclass
class Shared:
    """The database and Redis every run of one benchmark uses."""

    database: str
    redis_port: int
    redis: Process
    workdir: Path

    @property
    def database_url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:5432/{self.database}"

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis_port}/0"

    async def redis_commands(self) -> dict[str, int]:
        client: Any = aioredis.from_url(self.redis_url)
        try:
            stats = await client.info("commandstats")
        finally:
            await client.aclose()
        return {name.removeprefix("cmdstat_"): int(v["calls"]) for name, v in stats.items()}

    async def requests_during(self, work: Awaitable[object]) -> Counter[str]:
        """Commands clients sent (one round trip each, or fewer when pipelined) while ``work``
        ran, by name, from ``MONITOR``; commands run inside a Lua script are not requests."""
        client: Any = aioredis.from_url(self.redis_url)
        seen: Counter[str] = Counter()
        ready = asyncio.Event()

        async def listen(monitor: Any) -> None:
            ready.set()
            async for command in monitor.listen():
                if command.get("client_type") != "lua":
                    seen[command["command"].split(" ", 1)[0].lower()] += 1

        try:
            async with client.monitor() as monitor:
                listening = asyncio.create_task(listen(monitor))
                await ready.wait()
                await work
                await asyncio.sleep(0.5)  # the last commands reach the monitor
                listening.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await listening
        finally:
            await client.aclose()
        return seen

    async def pg_transactions(self) -> int:
        connection = await asyncpg.connect(PG_ADMIN)
        try:
            await connection.execute("SELECT pg_stat_clear_snapshot()")
            value = await connection.fetchval(
                "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = $1",
                self.database,
            )
        finally:
            await connection.close()
        return int(value or 0)


@asynccontextmanager
async def shared_state(workdir: Path) -> AsyncIterator[Shared]:
    database = f"council_scale_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(PG_ADMIN)
    await admin.execute(f'CREATE DATABASE "{database}"')
    port = free_port()
    redis = _spawn(
        "redis",
        ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no"],
        workdir=workdir,
        env=dict(os.environ),
    )
    shared = Shared(database=database, redis_port=port, redis=redis, workdir=workdir)
    try:
        yield shared
    finally:
        redis.stop()
        await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await admin.close()


@dataclass
class Cluster:
    url: str
    sim_root: str
    servers: list[Process]
    haproxy: Process
    sim: Process
    slices: list[CpuSlice] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def server_cpu(self) -> float:
        return sum(tree_cpu_seconds(s.popen.pid) for s in self.servers)

    def throttled_periods(self) -> int:
        """Periods in which an instance's CPU share ran out, all instances together."""
        return sum(piece.throttled()[0] for piece in self.slices)


def _env(
    shared: Shared, *, sim_url: str, port: int, settings: dict[str, Any], pythonpath: str | None
) -> dict[str, str]:
    env = server_env(
        sim_url=sim_url,
        database=shared.workdir / "unused.db",
        port=port,
        resilience=settings["resilience"],
        preset={},
    )
    env.pop("PYTHONPATH", None)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    env.update(
        COUNCIL_DATABASE_URL=shared.database_url,
        COUNCIL_REDIS_URL=shared.redis_url,
        COUNCIL_PRIVACY__KEY=settings["privacy_key"],
        COUNCIL_ON_DISCONNECT="continue",
    )
    return env


async def migrate(shared: Shared, *, pythonpath: str | None) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COUNCIL_")}
    env.pop("PYTHONPATH", None)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    env["COUNCIL_DATABASE_URL"] = shared.database_url
    subprocess.run(
        [sys.executable, "-m", "llmcouncil", "db", "upgrade"],
        cwd=shared.workdir,
        env=env,
        check=True,
        capture_output=True,
    )


@asynccontextmanager
async def running_cluster(
    shared: Shared,
    *,
    instances: int,
    sim_config_json: str,
    resilience: dict[str, Any],
    pythonpath: str | None,
    cpu_per_instance: float | None = None,
) -> AsyncIterator[Cluster]:
    workdir = shared.workdir
    sim_port = free_port()
    (workdir / "sim.json").write_text(sim_config_json, encoding="utf-8")
    sim_argv = [sys.executable, "-m", "llmcouncil.sim", "--port", str(sim_port)]
    sim = _spawn(
        "sim",
        [*sim_argv, "--config", str(workdir / "sim.json"), "--no-capture"],
        workdir=workdir,
        env=dict(os.environ),
    )
    started: list[Process] = []
    slices: list[CpuSlice] = []
    try:
        sim_root = f"http://127.0.0.1:{sim_port}"
        await _wait_ready(f"{sim_root}/v1/models", sim)
        settings = {"resilience": resilience, "privacy_key": Fernet.generate_key().decode()}
        ports = [free_port() for _ in range(instances)]
        for number, port in enumerate(ports, start=1):
            env = _env(
                shared,
                sim_url=f"{sim_root}/v1",
                port=port,
                settings=settings,
                pythonpath=pythonpath,
            )
            argv = [str(BIN / "council"), "serve", "--port", str(port)]
            if cpu_per_instance is not None:
                slices.append(CpuSlice(f"app{number}", cpu_per_instance))
                argv = slices[-1].wrap(argv)
            started.append(_spawn(f"app{number}", argv, workdir=workdir, env=env))
        await asyncio.gather(
            *(
                _wait_ready(f"http://127.0.0.1:{p}/readyz", s)
                for p, s in zip(ports, started, strict=True)
            )
        )
        port, stats_port = free_port(), free_port()
        config = workdir / "haproxy.cfg"
        names = [(f"app{n}", p) for n, p in enumerate(ports, start=1)]
        config.write_text(haproxy_config(port=port, stats_port=stats_port, servers=names))
        haproxy = _spawn(
            "haproxy", ["haproxy", "-db", "-f", str(config)], workdir=workdir, env=dict(os.environ)
        )
        started.append(haproxy)
        await _wait_ready(f"http://127.0.0.1:{port}/readyz", haproxy)
        yield Cluster(
            url=f"http://127.0.0.1:{port}",
            sim_root=sim_root,
            servers=started[:instances],
            haproxy=haproxy,
            sim=sim,
            slices=slices,
        )
    finally:
        for process in reversed(started):
            process.stop()
        sim.stop()
        for piece in slices:
            piece.close()
