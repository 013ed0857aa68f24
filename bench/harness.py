"""The system under test as separate processes: the simulated upstream and ``council serve``.

Both listen on free loopback ports. The server is configured through ``COUNCIL_*`` environment
variables (JSON for nested sections) and runs in a scratch directory, so no ``council.toml`` or
``.env`` of the developer's leaks in; its SQLite database lives there too. Peak RSS is the
kernel's high-water mark (``VmHWM``) of the server process.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from llmcouncil.sim import SimConfig

MEMBERS = [
    "openai/gpt-5.1",
    "google/gemini-3-pro-preview",
    "anthropic/claude-sonnet-4.5",
    "x-ai/grok-4",
]
CHAIRMAN = "google/gemini-3-pro-preview"
TITLE_MODEL = "google/gemini-2.5-flash"
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    def rss_peak_mb(self) -> float:
        return _status_kb(self.popen.pid, "VmHWM") / 1024

    def cpu_seconds(self) -> float:
        """User + system CPU time the process has used so far."""
        fields = Path(f"/proc/{self.popen.pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        return (int(fields[11]) + int(fields[12])) / ticks

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGINT)
            try:
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()


def _status_kb(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{key}:"):
            return int(line.split()[1])
    return 0


@dataclass
class Stack:
    server_url: str
    sim_root: str
    server: Process
    sim: Process
    workdir: Path
    settings: dict[str, Any] = field(default_factory=dict)

    async def configure_sim(self, config: SimConfig) -> None:
        async with aiohttp.ClientSession() as http:
            async with http.put(
                f"{self.sim_root}/_sim/config", json=config.model_dump(mode="json")
            ) as response:
                response.raise_for_status()


def server_env(
    *, sim_url: str, database: Path, port: int, resilience: dict[str, Any], preset: dict[str, Any]
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COUNCIL_")}
    presets = {
        "default": {
            "members": MEMBERS,
            "chairman": CHAIRMAN,
            "title_model": TITLE_MODEL,
            **preset,
        }
    }
    env.update(
        {
            "COUNCIL_HOST": "127.0.0.1",
            "COUNCIL_PORT": str(port),
            "COUNCIL_DATABASE_URL": f"sqlite+aiosqlite:///{database}",
            "COUNCIL_DEFAULT_PROVIDER": "sim",
            "COUNCIL_LOG_LEVEL": "WARNING",
            "COUNCIL_PROVIDERS": json.dumps(
                {
                    "sim": {
                        "base_url": sim_url,
                        "structured_output": True,
                        "max_connections": 4096,
                    }
                }
            ),
            "COUNCIL_PRESETS": json.dumps(presets),
            "COUNCIL_RESILIENCE": json.dumps(resilience),
        }
    )
    return env


async def _wait_ready(url: str, proc: Process, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            if proc.popen.poll() is not None:
                raise RuntimeError(f"{proc.name} exited: see {proc.log}")
            try:
                async with http.get(url) as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{proc.name} did not become ready at {url}; see {proc.log}")


def _spawn(name: str, argv: list[str], *, workdir: Path, env: dict[str, str]) -> Process:
    log = workdir / f"{name}.log"
    handle = log.open("wb")
    popen = subprocess.Popen(
        argv, cwd=workdir, env=env, stdout=handle, stderr=subprocess.STDOUT, close_fds=True
    )
    return Process(name=name, popen=popen, log=log)


@asynccontextmanager
async def running_stack(
    sim_config: SimConfig,
    *,
    resilience: dict[str, Any] | None = None,
    preset: dict[str, Any] | None = None,
    keep: bool = False,
) -> AsyncIterator[Stack]:
    """Start the simulator and the server; stop both afterwards."""
    workdir = Path(tempfile.mkdtemp(prefix="council-bench-"))
    sim_port, server_port = free_port(), free_port()
    config_file = workdir / "sim.json"
    config_file.write_text(sim_config.model_dump_json(), encoding="utf-8")
    sim = _spawn(
        "sim",
        [
            sys.executable,
            "-m",
            "llmcouncil.sim",
            "--port",
            str(sim_port),
            "--config",
            str(config_file),
            "--no-capture",
        ],
        workdir=workdir,
        env=dict(os.environ),
    )
    server: Process | None = None
    try:
        sim_root = f"http://127.0.0.1:{sim_port}"
        await _wait_ready(f"{sim_root}/v1/models", sim)
        env = server_env(
            sim_url=f"{sim_root}/v1",
            database=workdir / "council.db",
            port=server_port,
            resilience=resilience or {},
            preset=preset or {},
        )
        server = _spawn("server", [str(BIN / "council"), "serve"], workdir=workdir, env=env)
        server_url = f"http://127.0.0.1:{server_port}"
        await _wait_ready(f"{server_url}/readyz", server)
        yield Stack(
            server_url=server_url,
            sim_root=sim_root,
            server=server,
            sim=sim,
            workdir=workdir,
            settings={"resilience": resilience, "preset": preset},
        )
    finally:
        if server is not None:
            server.stop()
        sim.stop()
        if not keep:
            for path in sorted(workdir.rglob("*"), reverse=True):
                path.unlink() if path.is_file() else path.rmdir()
            workdir.rmdir()
