"""``council serve`` drains on SIGTERM (``instances.drain``): /readyz turns 503, live runs get
the bound to finish, then the process stops by itself. Real server processes on SQLite; the
simulated upstream holds the members' calls so a run is live when the signal comes."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from support import (
    MEMBERS,
    free_port,
    new_conversation,
    parse_sse,
    serve,
    sim_server_env,
    until_ready,
)

from llmcouncil.api.drain import Drain
from llmcouncil.api.takeover import Takeover
from llmcouncil.sim import SimServer
from llmcouncil.store.instances import LeftBehind

WAIT_S = 120.0  # far beyond a healthy start or council on a loaded machine


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_drain_ends_when_no_run_is_live_or_its_bound_has_passed() -> None:
    clock = FakeClock()
    drain = Drain(bound=30.0, clock=clock)
    assert not drain.draining and not drain.finished(live_runs=0)
    assert drain.begin() and not drain.begin()  # a second SIGTERM does not restart it
    assert not drain.finished(live_runs=2)
    clock.now += 29.9
    assert not drain.finished(live_runs=1)
    assert drain.finished(live_runs=0)
    clock.now += 0.1
    assert drain.finished(live_runs=1)


class _OneLeftBehind:
    """The instance registry, as seen by a sweep: one run a dead instance left running."""

    async def left_behind_runs(self, **_: Any) -> list[LeftBehind]:
        return [LeftBehind("run-1", "conversation-1", None, None)]


class _Runs:
    """The run service, as seen by a takeover: which runs it was asked to resume."""

    worker_id = "draining-instance"

    def __init__(self) -> None:
        self.resumed: list[str] = []

    async def retry(self, *, run_id: str, **_: Any) -> None:
        self.resumed.append(run_id)


async def test_a_draining_instance_leaves_dead_instances_runs_to_the_others() -> None:
    runs = _Runs()
    documents = SimpleNamespace(documents=SimpleNamespace(contexts=_no_contexts))
    takeover = Takeover(
        store=None,  # type: ignore[arg-type]
        runs=runs,  # type: ignore[arg-type]
        registry=_OneLeftBehind(),  # type: ignore[arg-type]
        documents=documents,  # type: ignore[arg-type]
        lease=1.0,
    )
    takeover.paused = True  # what Runtime.stop_taking_over does as the drain starts
    assert await takeover.sweep(datetime.now(UTC)) == 0
    assert runs.resumed == []
    takeover.paused = False
    await takeover.sweep(datetime.now(UTC))
    assert runs.resumed == ["run-1"]


async def _no_contexts(conversation_id: str) -> dict[str, Any]:
    return {}


def _run_status(tmp_path: Path) -> str:
    with sqlite3.connect(tmp_path / "drain.db") as db:
        (status,) = db.execute("SELECT status FROM runs").fetchone()
    return str(status)


def _serve(tmp_path: Path, sim: SimServer, port: int, *, drain: float) -> subprocess.Popen[bytes]:
    env = sim_server_env(
        sim,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'drain.db'}",
        COUNCIL_LOG_LEVEL="INFO",
        COUNCIL_INSTANCES__DRAIN=str(drain),
    )
    return serve(tmp_path, env, port)


@pytest.mark.timeout(WAIT_S * 3)
async def test_sigterm_drains_the_live_run_to_its_end_then_stops(
    tmp_path: Path, sim: SimServer
) -> None:
    port = free_port()
    proc = _serve(tmp_path, sim, port, drain=WAIT_S)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=WAIT_S) as http:
            await until_ready(str(http.base_url), proc, tmp_path / "server.log")
            cid = await new_conversation(http)
            sim.hold()
            async with http.stream(
                "POST", f"/api/conversations/{cid}/message/stream", json={"content": "Drain?"}
            ) as response:
                await asyncio.wait_for(sim.wait_for_in_flight(len(MEMBERS)), WAIT_S)
                proc.send_signal(signal.SIGTERM)
                await until_ready(str(http.base_url), proc, tmp_path / "server.log", status=503)
                body = (await http.get("/readyz")).json()
                assert body["detail"]["code"] == "draining"
                # Still serving while it drains: the balancer has stopped sending, not the server.
                assert (await http.get(f"/api/conversations/{cid}")).status_code == 200
                sim.release()
                events = parse_sse((await response.aread()).decode())
            assert events[-1]["type"] == "complete", events[-3:]
        assert proc.wait(WAIT_S) == 0, (tmp_path / "server.log").read_text()
    finally:
        sim.release()
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    assert _run_status(tmp_path) == "complete"
    assert "drain: no run left; stopping" in (tmp_path / "server.log").read_text()


@pytest.mark.timeout(WAIT_S * 3)
async def test_a_run_outlasting_the_drain_bound_is_cancelled_and_the_server_stops(
    tmp_path: Path, sim: SimServer
) -> None:
    port = free_port()
    proc = _serve(tmp_path, sim, port, drain=0.5)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=WAIT_S) as http:
            await until_ready(str(http.base_url), proc, tmp_path / "server.log")
            cid = await new_conversation(http)
            sim.hold()
            started = asyncio.create_task(
                http.post(f"/api/conversations/{cid}/message", json={"content": "Too slow?"})
            )
            await asyncio.wait_for(sim.wait_for_in_flight(len(MEMBERS)), WAIT_S)
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(WAIT_S) == 0, (tmp_path / "server.log").read_text()
            await asyncio.gather(started, return_exceptions=True)  # its server has gone
    finally:
        sim.release()
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    assert _run_status(tmp_path) == "cancelled"
    assert "still live; they are cancelled now" in (tmp_path / "server.log").read_text()
