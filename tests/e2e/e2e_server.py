"""The real server in demo mode, as a subprocess the e2e tests can start, kill and restart.

``council serve --demo`` runs the simulated upstream in-process; its control API (``/_sim/*``,
found through ``GET /api/status``) sets latency and injects faults.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _council_bin() -> str:
    local = Path(sys.executable).with_name("council")
    return str(local) if local.exists() else "council"


@dataclass
class CouncilServer:
    """`council serve --demo` in a subprocess; can be killed and started again on its port."""

    workdir: Path
    port: int = field(default_factory=_free_port)
    process: subprocess.Popen[bytes] | None = None
    sim_url: str = ""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {
            **os.environ,
            "COUNCIL_DATABASE_URL": f"sqlite+aiosqlite:///{self.workdir / 'council.db'}",
            "COUNCIL_LOG_LEVEL": "WARNING",
        }
        for key in ("OPENROUTER_API_KEY", "OPENAI_API_KEY"):
            env.pop(key, None)  # demo mode, whatever the machine has configured
        with (self.workdir / "server.log").open("ab") as log:  # the child keeps its own copy
            self.process = subprocess.Popen(
                [
                    _council_bin(),
                    "serve",
                    "--demo",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                ],
                cwd=self.workdir,  # no council.toml or .env of the repo is read
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                log_tail = (self.workdir / "server.log").read_text()[-2000:]
                pytest.fail(f"the server exited: {log_tail}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        else:
            pytest.fail("the server did not become ready in 30 s")
        status = httpx.get(f"{self.url}/api/status", timeout=5).json()
        assert status["demo"] is True, status
        sim = status.get("simulator_url") or ""
        self.sim_url = sim.removesuffix("/").removesuffix("/v1")

    def kill(self) -> None:
        """Stops the server abruptly, as a crash would."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    # --- the simulated upstream ---

    def configure_sim(self, **config: Any) -> None:
        """Replaces the simulator's config (latency, faults…); see llmcouncil/sim/config.py."""
        response = httpx.put(f"{self.sim_url}/_sim/config", json=config, timeout=5)
        response.raise_for_status()

    def reset_sim(self) -> None:
        httpx.post(f"{self.sim_url}/_sim/reset", timeout=5).raise_for_status()


def latency(base_ms: float, *, first_token_ms: float | None = None) -> dict[str, Any]:
    """A steady latency profile for every model."""
    return {"*": {"base_ms": base_ms, "jitter_ms": 0, "first_token_ms": first_token_ms}}
