"""A cluster on loopback: three ``council serve`` processes and a ``council worker`` on a fresh
PostgreSQL database and the machine's Redis, behind a real HAProxy running deploy/haproxy.cfg.

HAProxy's configuration is the one deploy/ ships, with only what a container network provides
rewritten for loopback: the ``bind`` addresses, and the ``server-template`` (Docker's DNS) as
three ``server`` lines on the instances' ports. Health checks run faster (``inter``), so an
instance taken out or put back is noticed within a second.

Every name the cluster shares with other tests on this machine is its own: the database, the
provider name (so breaker and rate-limit keys in Redis are this cluster's), the job queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import json
import os
import re
import signal
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import redis.asyncio as aioredis
from cryptography.fernet import Fernet
from migrated_databases import connect
from sqlalchemy.engine import make_url
from support import (
    CHAIRMAN,
    FAST_LEASE_ENV,
    MEMBERS,
    POSTGRES_URL,
    TEST_KEY_ENV,
    free_port,
    until,
)

from llmcouncil.sim import SimServer

REDIS = "redis://127.0.0.1:6379/0"
HAPROXY_CFG = Path(__file__).resolve().parents[2] / "deploy" / "haproxy.cfg"
NAMES = ("app1", "app2", "app3")
# A member with a fallback: while its breaker is open, its answer comes from the fallback (a
# member whose every candidate is open is probed instead, breaker_store.py).
FAILING, FALLBACK = "x-ai/grok-4", "x-ai/grok-4.1-fast"
# Far beyond a healthy start or council on a loaded 2-core machine: a broken cluster fails, not
# hangs.
START_LIMIT_S = 150.0
WAIT_S = 90.0


@dataclass(slots=True)
class Process:
    name: str
    args: list[str]
    log: Path
    port: int | None = None
    proc: subprocess.Popen[bytes] | None = None

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, env: dict[str, str], cwd: Path) -> None:
        with open(self.log, "ab") as log:  # the child keeps its own descriptor
            self.proc = subprocess.Popen(
                self.args, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT
            )

    def kill(self) -> None:
        """kill -9: no clean stop, no instance row removed, sockets dropped by the kernel."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(30)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGINT)  # stop now, without a drain
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)

    def tail(self, chars: int = 4000) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return f"--- {self.name} ({self.log}):\n{text[-chars:]}"


@dataclass(slots=True)
class Cluster:
    root: Path
    sim: SimServer
    database_url: str
    provider: str = field(default_factory=lambda: f"c{uuid.uuid4().hex[:10]}")
    queue: str = field(default_factory=lambda: f"cluster-{uuid.uuid4().hex[:10]}")
    privacy_key: str = field(default_factory=lambda: Fernet.generate_key().decode())
    servers: list[Process] = field(default_factory=list)
    workers: list[Process] = field(default_factory=list)
    haproxy: Process | None = None
    stats_port: int = 0

    # -- configuration -------------------------------------------------------------------------

    def env(self, **extra: str) -> dict[str, str]:
        return {
            **os.environ,
            "COUNCIL_DATABASE_URL": self.database_url,
            "COUNCIL_REDIS_URL": REDIS,
            "COUNCIL_DEFAULT_PROVIDER": self.provider,
            "COUNCIL_PROVIDERS": json.dumps(
                {self.provider: {"base_url": self.sim.base_url, "api_key_env": TEST_KEY_ENV}}
            ),
            "COUNCIL_PRESETS": json.dumps(
                {
                    "default": {
                        "members": MEMBERS,
                        "chairman": CHAIRMAN,
                        "title_model": MEMBERS[0],
                        "fallbacks": {FAILING: [FALLBACK]},
                    }
                }
            ),
            "COUNCIL_PRIVACY__KEY": self.privacy_key,
            "COUNCIL_JOBS__QUEUE": self.queue,
            "COUNCIL_JOBS__HEARTBEAT": "1",
            "COUNCIL_JOBS__SWEEP": "1",
            # A client may go away; its council goes on (a cluster's clients reconnect).
            "COUNCIL_ON_DISCONNECT": "continue",
            # A model failing twice in a row opens its breaker, for longer than a test lasts.
            "COUNCIL_RESILIENCE__BREAKER__CONSECUTIVE_FAILURES": "2",
            "COUNCIL_RESILIENCE__BREAKER__COOLDOWN": "600",
            "COUNCIL_LOG_LEVEL": "INFO",
            # SIGTERM drains (api/drain.py): live runs get this long; SIGINT stops at once.
            "COUNCIL_INSTANCES__DRAIN": str(int(WAIT_S)),
            # ... and are handed over to the other instances from the drain's first moment.
            "COUNCIL_INSTANCES__HANDOVER": str(int(WAIT_S)),
            TEST_KEY_ENV: "sk-test-not-a-real-key",
            **FAST_LEASE_ENV,  # heartbeat 0.2 s, lease 3 s: a killed instance is gone in ~3 s
            **extra,
        }

    def haproxy_config(self, port: int) -> str:
        """deploy/haproxy.cfg for loopback: the binds, the three servers, faster checks."""
        text = HAPROXY_CFG.read_text()
        text = re.sub(r"(?m)^resolvers docker\n(?:    .*\n)+", "", text)
        text = text.replace("    bind :8080", f"    bind 127.0.0.1:{port}")
        text = text.replace("    bind :8404", f"    bind 127.0.0.1:{self.stats_port}")
        text = re.sub(r"inter \S+", "inter 300ms", text)
        servers = "\n".join(f"    server {s.name} 127.0.0.1:{s.port}" for s in self.servers)
        text, count = re.subn(r"(?m)^    server-template .*$", servers, text)
        assert count == 1, "deploy/haproxy.cfg has no server-template line to point at loopback"
        return text

    # -- life ----------------------------------------------------------------------------------

    async def start(self) -> None:
        upgrade = subprocess.run(
            [sys.executable, "-m", "llmcouncil", "db", "upgrade"],
            cwd=self.root,
            env=self.env(),
            capture_output=True,
            timeout=START_LIMIT_S,
        )
        assert upgrade.returncode == 0, upgrade.stderr.decode()
        for name in NAMES:
            port = free_port()
            args = [sys.executable, "-m", "llmcouncil", "serve", "--port", str(port)]
            self.servers.append(Process(name, args, self.root / f"{name}.log", port))
        for server in self.servers:
            server.start(self.env(), self.root)
        self.start_worker()
        await asyncio.gather(*(self.wait_ready(s) for s in self.servers))
        port, self.stats_port = free_port(), free_port()
        config = self.root / "haproxy.cfg"
        config.write_text(self.haproxy_config(port))
        checked = subprocess.run(["haproxy", "-c", "-q", "-f", str(config)], capture_output=True)
        assert checked.returncode == 0, checked.stderr.decode()
        self.haproxy = Process(
            "haproxy", ["haproxy", "-db", "-f", str(config)], self.root / "haproxy.log", port
        )
        self.haproxy.start(dict(os.environ), self.root)
        await self.until_in_rotation(set(NAMES))

    def start_worker(self) -> Process:
        name = f"worker{len(self.workers) + 1}"
        worker = Process(
            name, [sys.executable, "-m", "llmcouncil", "worker"], self.root / f"{name}.log"
        )
        worker.start(self.env(), self.root)
        self.workers.append(worker)
        return worker

    async def restore(self) -> None:
        """Every server running and in rotation, a worker running: the state a test starts in."""
        for server in self.servers:
            if not server.alive:
                server.start(self.env(), self.root)
        await asyncio.gather(*(self.wait_ready(s) for s in self.servers))
        if not any(w.alive for w in self.workers):
            self.start_worker()
        await self.until_in_rotation(set(NAMES))

    async def stop(self) -> None:
        for one in [*([self.haproxy] if self.haproxy else []), *self.servers, *self.workers]:
            one.stop()
        client = aioredis.from_url(REDIS)
        try:
            for pattern in (f"saq:{self.queue}:*", f"saq:job:{self.queue}:*", f"*{self.provider}*"):
                async for key in client.scan_iter(match=pattern):
                    await client.delete(key)
        finally:
            await client.aclose()

    # -- waiting -------------------------------------------------------------------------------

    async def wait_ready(self, server: Process) -> None:
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:

            async def ready() -> bool:
                if not server.alive:
                    raise AssertionError(f"{server.name} exited\n{server.tail()}")
                try:
                    return (await http.get("/readyz")).status_code == 200
                except httpx.TransportError:
                    return False

            await until(
                ready, what=f"{server.name} ready", timeout=START_LIMIT_S, explain=server.tail
            )

    async def balancer_states(self) -> dict[str, str]:
        """HAProxy's view of each server (its stats CSV): UP, DOWN, ``UP 1/2``, …"""
        async with httpx.AsyncClient(timeout=10) as http:
            raw = (await http.get(f"http://127.0.0.1:{self.stats_port}/;csv")).text
        rows = csv.DictReader(io.StringIO(raw.lstrip("# ")))
        return {
            r["svname"]: r["status"]
            for r in rows
            if r["pxname"] == "council" and r["svname"] in NAMES
        }

    async def until_in_rotation(self, names: set[str]) -> None:
        """Until HAProxy sends to exactly ``names`` (its checks see them UP, the others not)."""
        states: dict[str, str] = {}

        async def routed_to_names() -> bool:
            assert self.haproxy is not None and self.haproxy.alive, (
                self.haproxy and self.haproxy.tail()
            )
            fresh: dict[str, str] = {}
            with contextlib.suppress(httpx.TransportError):
                fresh = await self.balancer_states()
            states.clear()
            states.update(fresh)
            # "UP 1/2": failing checks but still sent to; "DOWN 1/2": passing but not yet.
            routed = {n for n, s in states.items() if s.startswith("UP")}
            return routed == names and len(states) == len(NAMES)

        await until(
            routed_to_names,
            what=f"HAProxy routing to {sorted(names)}",
            timeout=WAIT_S,
            explain=lambda: str(states),
        )

    def server(self, name: str) -> Process:
        return next(s for s in self.servers if s.name == name)

    def logs(self) -> str:
        return "\n".join(p.tail() for p in [*self.servers, *self.workers])

    # -- the database ----------------------------------------------------------------------------

    async def run_row(self, run_id: str) -> dict[str, Any]:
        conn = await connect(self.database_url)
        try:
            row = await conn.fetchrow(
                "SELECT status, attempts, worker_id, stages_done FROM runs WHERE id = $1", run_id
            )
        finally:
            await conn.close()
        assert row is not None, run_id
        return dict(row)

    async def instances(self) -> list[dict[str, Any]]:
        """The instances table: who beats, and when last (for failure messages)."""
        conn = await connect(self.database_url)
        try:
            rows = await conn.fetch("SELECT id, heartbeat_at FROM instances ORDER BY id")
        finally:
            await conn.close()
        return [dict(r) for r in rows]

    async def worker_ids(self, run_ids: list[str]) -> dict[str, str]:
        conn = await connect(self.database_url)
        try:
            rows = await conn.fetch("SELECT id, worker_id FROM runs WHERE id = ANY($1)", run_ids)
        finally:
            await conn.close()
        return {r["id"]: r["worker_id"] for r in rows}


async def create_database() -> str:
    url = make_url(POSTGRES_URL)
    name = f"council_cluster_{uuid.uuid4().hex[:12]}"
    conn = await connect(POSTGRES_URL)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return url.set(database=name).render_as_string(hide_password=False)


async def drop_database(database_url: str) -> None:
    conn = await connect(POSTGRES_URL)
    try:
        await conn.execute(
            f'DROP DATABASE IF EXISTS "{make_url(database_url).database}" WITH (FORCE)'
        )
    finally:
        await conn.close()
