"""Helpers for tests that talk to the server over HTTP."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn

MEMBERS = [
    "openai/gpt-5.1",
    "google/gemini-3-pro-preview",
    "anthropic/claude-sonnet-4.5",
    "x-ai/grok-4",
]
CHAIRMAN = "google/gemini-3-pro-preview"
TEST_KEY_ENV = "COUNCIL_TEST_SIM_KEY"
POSTGRES_URL = os.environ.get(
    "COUNCIL_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# How long a server may take to start (migrations, the privacy models) before a test fails: far
# beyond any healthy start-up, even on a machine busy with other work.
STARTUP_LIMIT_S = 120.0
SHUTDOWN_LIMIT_S = 60.0


class _SignallingServer(uvicorn.Server):
    """uvicorn's server, with an event set once its start-up has ended, started or not."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.startup_ended = asyncio.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        try:
            await super().startup(sockets=sockets)
        except SystemExit as exc:  # uvicorn exits the process when the lifespan fails
            raise RuntimeError(
                f"the server stopped during start-up (exit {exc.code}): see the error logged above"
            ) from None
        finally:
            self.startup_ended.set()


@dataclass(slots=True)
class ServedApp:
    """An app served by uvicorn in the test's event loop."""

    server: uvicorn.Server
    task: asyncio.Task[None]
    base_url: str

    async def stop(self) -> None:
        self.server.should_exit = True
        await asyncio.wait_for(self.task, SHUTDOWN_LIMIT_S)


async def serve_app(app: Any, *, startup_limit: float = STARTUP_LIMIT_S) -> ServedApp:
    """Serve ``app`` on a loopback port and return once it is listening with its lifespan
    started (uvicorn's ``started``); raise if it stopped during start-up or did not start
    within ``startup_limit`` seconds. The socket is bound here, so no other process can take
    the port between choosing and binding it."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = int(sock.getsockname()[1])
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="on",
        timeout_graceful_shutdown=2,
    )
    server = _SignallingServer(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    ended = asyncio.create_task(server.startup_ended.wait())
    try:
        first = asyncio.FIRST_COMPLETED
        await asyncio.wait({ended, task}, timeout=startup_limit, return_when=first)
    finally:
        ended.cancel()
    if server.started:
        return ServedApp(server=server, task=task, base_url=f"http://127.0.0.1:{port}")
    try:
        if server.startup_ended.is_set() or task.done():
            await asyncio.wait_for(task, SHUTDOWN_LIMIT_S)  # raises what stopped it
            raise RuntimeError("the server stopped during start-up: see the error logged above")
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        raise TimeoutError(f"the server did not start within {startup_limit:g} s")
    finally:
        sock.close()


class LiveServer:
    def __init__(self, base_url: str, app: Any) -> None:
        self.base_url = base_url
        self.app = app

    @property
    def runtime(self) -> Any:
        return self.app.state.runtime


def parse_sse(raw: str) -> list[dict[str, Any]]:
    events = []
    for block in raw.split("\n\n"):
        for line in block.splitlines():
            if line.startswith("data:"):
                events.append(json.loads(line[5:].strip()))
    return events


async def stream_events(
    client: httpx.AsyncClient,
    url: str,
    *,
    json_body: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> list[dict[str, Any]]:
    """POST and read the whole event stream (until the server closes it)."""
    async with client.stream("POST", url, json=json_body, headers=headers) as response:
        assert response.status_code == 200, await response.aread()
        assert response.headers["content-type"].startswith("text/event-stream")
        raw = (await response.aread()).decode()
    return parse_sse(raw)


async def new_conversation(client: httpx.AsyncClient, **body: Any) -> str:
    response = await client.post("/api/conversations", json=body)
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


def types(
    events: list[dict[str, Any]],
    *,
    skip: frozenset[str] = frozenset(
        {
            "model_delta",
            "model_complete",
            "model_error",
            "model_fallback",
            "model_reset",
            "model_retry",
            "model_hedge",
            "model_late",
        }
    ),
) -> list[str]:
    return [e["type"] for e in events if e["type"] not in skip]


# Server processes in tests free a killed instance's runs quickly (store/instances.py).
# A lease of 3 s: a killed instance is gone soon, a live one on a loaded machine is not taken for
# dead (its heartbeat, every 0.2 s, may wait behind a busy event loop or database).
FAST_LEASE_ENV = {"COUNCIL_INSTANCES__HEARTBEAT": "0.2", "COUNCIL_INSTANCES__LEASE": "3"}


async def until_answer_status(
    http: httpx.AsyncClient, cid: str, status: str, *, index: int = 1
) -> dict[str, Any]:
    """The conversation's message ``index`` once its status is ``status``: a killed instance's
    run turns ``interrupted`` at the first sweep after its lease (polled, bounded far beyond
    the lease test servers use)."""
    message: dict[str, Any] = {}

    async def reached() -> bool:
        conversation = (await http.get(f"/api/conversations/{cid}")).json()
        message.update(conversation["messages"][index])
        return bool(message["status"] == status)

    await until(
        reached, what=f"the answer {status}", timeout=60, explain=lambda: str(message.get("status"))
    )
    return message


# --- server processes --------------------------------------------------------------------------

POLL_S = 0.05  # how often another process's state is looked at: it has no event to await


async def until(
    check: Callable[[], Awaitable[bool]],
    *,
    what: str,
    timeout: float = 120.0,
    explain: Callable[[], str] | None = None,
) -> None:
    """Return once ``check()`` is true; fail after ``timeout`` seconds naming ``what``.

    For state held by another process (a server, a worker): it sets no event this test could
    await, so it is looked at every POLL_S. Waits on this process's own objects use their
    events instead (``SimServer.wait_for_requests``, ``wait_for_in_flight``)."""
    loop = asyncio.get_running_loop()
    give_up = loop.time() + timeout
    while not await check():
        if loop.time() > give_up:
            detail = f"\n{explain()}" if explain is not None else ""
            raise AssertionError(f"{what}: not within {timeout:g} s{detail}")
        await asyncio.sleep(POLL_S)


def sim_server_env(sim: Any, *, database_url: str, **settings: str) -> dict[str, str]:
    """The environment of a ``council serve`` process on ``database_url`` whose models are the
    simulated upstream; a killed instance's runs are free once its short lease has passed."""
    return {
        **os.environ,
        "COUNCIL_DATABASE_URL": database_url,
        "COUNCIL_DEFAULT_PROVIDER": "sim",
        "COUNCIL_PROVIDERS": json.dumps(
            {"sim": {"base_url": sim.base_url, "api_key_env": TEST_KEY_ENV}}
        ),
        TEST_KEY_ENV: "sk-test",
        "COUNCIL_LOG_LEVEL": "WARNING",
        **FAST_LEASE_ENV,
        **settings,
    }


def serve(
    workdir: Path, env: dict[str, str], port: int, *, log: str = "server.log"
) -> subprocess.Popen[bytes]:
    """``council serve`` as its own process, its errors appended to ``workdir/log``."""
    with open(workdir / log, "ab") as out:  # the child keeps its own descriptor
        return subprocess.Popen(
            [sys.executable, "-m", "llmcouncil", "serve", "--port", str(port)],
            cwd=workdir,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=out,
        )


async def until_ready(
    base: str,
    proc: subprocess.Popen[bytes],
    log: Path,
    *,
    status: int = 200,
    timeout: float = 120.0,
) -> None:
    """Until the process's ``/readyz`` answers ``status``; fails at once if it exits."""
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:

        async def answered() -> bool:
            if proc.poll() is not None:
                raise AssertionError(f"server exited: {log.read_text()}")
            try:
                return (await http.get("/readyz")).status_code == status
            except httpx.TransportError:
                return False

        await until(answered, what=f"/readyz {status}", timeout=timeout, explain=log.read_text)
