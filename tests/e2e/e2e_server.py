"""The real server in demo mode, as a subprocess the e2e tests can start, kill and restart.

``council serve --demo`` runs the simulated upstream in-process; its control API (``/_sim/*``,
found through ``GET /api/status``) sets latency and injects faults. ``env`` adds settings, such
as ``COUNCIL_AUTH__MODE=users``; in users mode ``/api/status`` names the simulator only to a
signed-in caller, so ``find_simulator`` is called with a signed-in client.
"""

from __future__ import annotations

import os
import re
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

# How long a server may take to start: a failure bound, not a speed claim (a loaded machine
# has taken over 30 s to import and start one).
READY_TIMEOUT_S = 180

# Accounts of the users-mode tests (conftest.py's users_server).
PASSWORD = "correct horse battery staple"
ADMIN, MEMBER, AUDITOR = "root", "mia", "audra"
# Sign-in required; argon2 at its cheapest (settings the tests choose, never the defaults); no
# sign-in throttling, since every browser here signs in from 127.0.0.1.
USERS_MODE = {
    "COUNCIL_AUTH__MODE": "users",
    "COUNCIL_AUTH__LOGIN_ATTEMPTS_PER_MINUTE": "1000",
    "COUNCIL_AUTH__PASSWORD_HASH__TIME_COST": "1",
    "COUNCIL_AUTH__PASSWORD_HASH__MEMORY_COST": "8",
    "COUNCIL_AUTH__PASSWORD_HASH__PARALLELISM": "1",
}


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
    env: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def database(self) -> Path:
        return self.workdir / "council.db"

    @property
    def log(self) -> Path:
        return self.workdir / "server.log"

    def environment(self) -> dict[str, str]:
        """The server's environment, also for `council` commands on its database."""
        env = {
            **os.environ,
            "COUNCIL_DATABASE_URL": f"sqlite+aiosqlite:///{self.database}",
            "COUNCIL_LOG_LEVEL": "WARNING",
            # A killed server's runs are freed once its heartbeat is a second old: a restart
            # (a new process: seconds of imports) finds them left behind and interrupts them.
            "COUNCIL_INSTANCES__HEARTBEAT": "0.2",
            "COUNCIL_INSTANCES__LEASE": "1",
            # Marked interrupted rather than resumed by the next server, so the tests show
            # what a person sees and does (api/takeover.py has its own tests).
            "COUNCIL_INSTANCES__RESUME": "false",
            **self.env,
        }
        for key in ("OPENROUTER_API_KEY", "OPENAI_API_KEY"):
            env.pop(key, None)  # demo mode, whatever the machine has configured
        return env

    def council(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        """Runs `council ARGS` on this server's database, as an operator on the machine would."""
        return subprocess.run(
            [_council_bin(), *args],
            input=stdin,
            capture_output=True,
            text=True,
            cwd=self.workdir,
            env=self.environment(),
            timeout=60,
            check=False,
        )

    def start(self) -> None:
        env = self.environment()
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
        deadline = time.monotonic() + READY_TIMEOUT_S
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
            self.stop()  # not left running, to be reported against a later test
            log_tail = (self.workdir / "server.log").read_text()[-2000:]
            pytest.fail(f"the server did not become ready in {READY_TIMEOUT_S} s: {log_tail}")
        with httpx.Client(base_url=self.url, timeout=5) as client:
            self.find_simulator(client)

    def find_simulator(self, client: httpx.Client) -> None:
        status = client.get("/api/status").json()
        assert status["demo"] is True, status
        sim = status.get("simulator_url") or ""
        if sim:
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

    # --- accounts (users mode) ---

    def session(self, username: str, password: str) -> httpx.Client:
        """An HTTP client signed in with a session cookie, sending its CSRF token like the UI."""
        client = httpx.Client(base_url=self.url, timeout=10)
        response = client.post("/api/auth/login", json={"username": username, "password": password})
        assert response.status_code == 200, response.text
        client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
        return client

    def setup_token(self) -> str:
        """The one-time setup token the server printed on its console (users mode, no admin)."""
        found = re.findall(r"/setup\?token=([A-Za-z0-9_-]+)", self.log.read_text())
        assert found, "the server printed no setup link"
        return found[-1]

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
