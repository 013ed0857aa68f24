"""A draining instance hands its live runs over (``instances.handover``): the decision, given
times; and two real ``council serve`` processes on one database (PostgreSQL, and SQLite), where
one drains mid-run and the other finishes the run, each stage's calls made once."""

from __future__ import annotations

import asyncio
import signal
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from live_events_support import FrameReader, parse_frames
from support import (
    MEMBERS,
    free_port,
    new_conversation,
    serve,
    sim_server_env,
    until,
    until_ready,
)

from llmcouncil.api.drain import Drain
from llmcouncil.api.handover import HandoverPlan, Phase, RunHandover
from llmcouncil.api.runtime import Runtime
from llmcouncil.config import Settings
from llmcouncil.council.handover import HandoverSignal
from llmcouncil.records import RunStatus
from llmcouncil.sim import SimServer
from llmcouncil.store.instances import InstanceRegistry

WAIT_S = 120.0  # far beyond a healthy start or council on a loaded machine
NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_runs_finish_first_then_go_at_a_boundary_then_mid_stage_at_the_bound() -> None:
    plan = HandoverPlan(drain=45.0, window=15.0)
    assert plan.phase(0.0) is Phase.FINISH
    assert plan.phase(29.9) is Phase.FINISH
    assert plan.phase(30.0) is Phase.AT_BOUNDARY
    assert plan.phase(44.9) is Phase.AT_BOUNDARY
    assert plan.phase(45.0) is Phase.STOP
    # A window as long as the drain hands over from the first moment.
    assert HandoverPlan(drain=10.0, window=10.0).phase(0.0) is Phase.AT_BOUNDARY
    # 0 never hands over: the runs still live at the bound are cancelled, as before.
    assert HandoverPlan(drain=10.0, window=0.0).phase(99.0) is Phase.FINISH


def test_a_drain_s_phase_follows_its_clock_from_the_first_sigterm() -> None:
    clock = FakeClock()
    drain = Drain(bound=20.0, handover=5.0, clock=clock)
    assert drain.phase() is Phase.FINISH  # not draining
    drain.begin()
    clock.now += 15.0
    assert drain.phase() is Phase.AT_BOUNDARY
    clock.now += 5.0
    assert drain.phase() is Phase.STOP and drain.finished(live_runs=1)


class _Registry:
    """The instances table as the handover reads it."""

    def __init__(self, live: list[str]) -> None:
        self.alive = live

    async def live(self, *, now: datetime, lease: float) -> list[str]:
        del now, lease
        return self.alive


class _Runs:
    """The run service as the handover sees it: its id and its live runs."""

    worker_id = "draining"

    def __init__(self, count: int) -> None:
        self.handles = [
            SimpleNamespace(task=_Pending(), handover=HandoverSignal()) for _ in range(count)
        ]

    def live(self) -> list[Any]:
        return self.handles


class _Pending:
    cancelled = False

    def done(self) -> bool:
        return self.cancelled

    def cancel(self) -> None:
        self.cancelled = True


def _handover(runs: _Runs, live: list[str]) -> RunHandover:
    return RunHandover(
        runs=runs,  # type: ignore[arg-type]
        registry=_Registry(live),  # type: ignore[arg-type]
        lease=20.0,
        clock=lambda: NOW,
    )


async def test_runs_are_handed_over_only_while_another_instance_is_alive() -> None:
    runs = _Runs(2)
    alone = _handover(runs, ["draining"])
    assert await alone.ask(Phase.AT_BOUNDARY) == 0
    assert not any(h.handover.requested for h in runs.handles)  # finished or cancelled here

    paired = _handover(runs, ["draining", "staying"])
    assert await paired.ask(Phase.FINISH) == 0
    assert await paired.ask(Phase.AT_BOUNDARY) == 2
    assert all(h.handover.at_boundary and not h.handover.on_cancel for h in runs.handles)
    assert await paired.ask(Phase.AT_BOUNDARY) == 0  # asked once: not counted again
    assert not any(h.task.cancelled for h in runs.handles)  # they go at their boundary
    assert await paired.ask(Phase.STOP) == 2  # at the bound: mid-stage, stopped now
    assert all(h.handover.on_cancel and h.task.cancelled for h in runs.handles)
    assert await paired.ask(Phase.STOP) == 0


async def test_a_command_line_process_never_ends_another_instance_s_run(
    make_settings: Callable[..., Settings],
) -> None:
    """``council ask`` and the like start a runtime that resumes nothing: alone on the database
    or not, a run a dead (or draining) instance left running stays for a server to resume."""
    settings = make_settings()
    server = await Runtime.start(settings)  # creates the tables
    try:
        conversation = await server.store.create_conversation()
        run, _ = await server.store.start_run(
            conversation_id=conversation.id,
            content="q",
            idempotency_key=None,
            council={"members": list(MEMBERS)},
            seed=1,
            simulated=True,
            worker_id="dead-instance",
        )
        await server.store.hand_over_run(run.id, error={"code": "handed_over", "message": "m"})
    finally:
        await server.stop()
    cli = await Runtime.start(settings)  # its start-up sweep ran, alone on the database
    try:
        assert cli.heartbeat is not None
        await cli.heartbeat.tick()
        assert (await cli.store.get_run(run.id)).run.status == RunStatus.RUNNING
        assert await InstanceRegistry(cli.engine).live(now=datetime.now(UTC), lease=20.0)
    finally:
        await cli.stop()


def _serve(
    tmp_path: Path, sim: SimServer, port: int, *, database_url: str, key: str, drain: float
) -> subprocess.Popen[bytes]:
    env = sim_server_env(
        sim,
        database_url=database_url,
        COUNCIL_PRIVACY__KEY=key,
        COUNCIL_INSTANCES__DRAIN=str(drain),
        # From the drain's first moment; without a drain, the default window (as it stops).
        COUNCIL_INSTANCES__HANDOVER=str(drain or 15.0),
        # A lease a loaded machine cannot overrun: the staying instance must never take the
        # draining one's run for a dead instance's.
        COUNCIL_INSTANCES__LEASE="30",
    )
    return serve(tmp_path, env, port, log=f"server-{port}.log")


@pytest.mark.timeout(WAIT_S * 4)
async def test_a_draining_instance_hands_its_run_to_the_other_which_finishes_it(
    tmp_path: Path, sim: SimServer, database_url: str
) -> None:
    key = Fernet.generate_key().decode()
    ports = free_port(), free_port()
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    logs = [tmp_path / f"server-{port}.log" for port in ports]
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for base, port, log in zip(bases, ports, logs, strict=True):  # A migrates the database
            procs.append(
                _serve(tmp_path, sim, port, database_url=database_url, key=key, drain=WAIT_S)
            )
            await until_ready(base, procs[-1], log)
        draining, staying = procs
        async with (
            httpx.AsyncClient(base_url=bases[0], timeout=WAIT_S) as a,
            httpx.AsyncClient(base_url=bases[1], timeout=WAIT_S) as b,
        ):
            cid = await new_conversation(a)
            sim.hold()  # stage 1's calls wait: the run is live on A when it drains
            key_header = {"Idempotency-Key": "handover-1"}
            url = f"/api/conversations/{cid}/message"
            request = a.build_request(
                "POST", f"{url}/stream", json={"content": "go"}, headers=key_header
            )
            starter = await a.send(request, stream=True)
            try:
                reader = FrameReader(starter)  # kept: a dropped reader closes the stream
                run_id = (await reader.until("stage1_start"))[0].event["run_id"]
                # A client waiting for the result joins the same run (same key).
                waiting = asyncio.create_task(
                    a.post(url, json={"content": "go"}, headers=key_header)
                )
                await asyncio.wait_for(sim.wait_for_in_flight(len(MEMBERS)), WAIT_S)
                draining.send_signal(signal.SIGTERM)

                async def asked() -> bool:
                    return "at their next stage boundary" in logs[0].read_text()

                await until(asked, what="the drain asks the run to hand over", timeout=WAIT_S)
                sim.release()  # stage 1 ends: stored, then handed over before the reviews
                rest = await reader.rest()
            finally:
                sim.release()
                await starter.aclose()
            ended = rest[-1]
            assert ended.type == "error" and ended.event["code"] == "handed_over", rest[-3:]
            assert any(f.type == "stage1_complete" for f in rest)
            assert not any(f.type == "stage2_start" for f in rest)
            refused = await waiting
            assert refused.status_code == 503, refused.text
            detail = refused.json()["detail"]
            assert detail["code"] == "handed_over" and detail["run_id"] == run_id
            assert run_id in detail["message"]
            assert draining.wait(WAIT_S) == 0, logs[0].read_text()

            # The client follows the run where it went, from its last event.
            assert ended.id is not None and ended.id.startswith(f"{run_id}:")
            followed = await b.get(
                f"/api/conversations/{cid}/runs/{run_id}/events",
                headers={"Last-Event-ID": ended.id},
            )
            assert followed.status_code == 200
            events = parse_frames(followed.text)
            assert events[-1].type == "complete", [f.type for f in events][-5:]
            assert followed.headers["x-council-stream-source"] == "local"
            shown = (await b.get(f"/api/conversations/{cid}")).json()["messages"][1]
            assert shown["status"] == "complete" and shown["stage3"] is not None
        assert staying.poll() is None
    finally:
        sim.release()
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in procs:
            proc.wait(30)
    kinds = [r.prompt_kind for r in sim.requests]
    assert kinds.count("answer") == len(MEMBERS), "stage 1 was asked again after the handover"
    assert kinds.count("ranking") == len(MEMBERS)
    assert kinds.count("chairman") == 1
    assert f"run {run_id} handed over to the other instances" in logs[0].read_text()


@pytest.mark.timeout(WAIT_S * 4)
@pytest.mark.parametrize(
    ("drain", "said"),
    [
        (2.0, "they are handed over to the other instances now"),  # at the drain's bound
        (0.0, "stopping: 1 live run(s) are handed over"),  # no drain: as it stops
    ],
)
async def test_a_run_still_mid_stage_at_the_drain_s_bound_is_handed_over_not_cancelled(
    tmp_path: Path, sim: SimServer, database_url: str, drain: float, said: str
) -> None:
    """Stage 1 never ends on the stopping instance: at the drain's bound (or at once, without a
    drain) the run is handed over mid-stage, and the other instance resumes it — stage 1 asked
    again (its calls were in flight), every later stage once."""
    key = Fernet.generate_key().decode()
    ports = free_port(), free_port()
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    logs = [tmp_path / f"server-{port}.log" for port in ports]
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for base, port, log, bound in zip(bases, ports, logs, (drain, WAIT_S), strict=True):
            procs.append(
                _serve(tmp_path, sim, port, database_url=database_url, key=key, drain=bound)
            )
            await until_ready(base, procs[-1], log)
        draining, staying = procs
        async with httpx.AsyncClient(base_url=bases[1], timeout=WAIT_S) as b:
            cid = await new_conversation(b)
            sim.hold()  # every call waits: no stage ends on A
            async with httpx.AsyncClient(base_url=bases[0], timeout=WAIT_S) as a:
                waiting = asyncio.create_task(
                    a.post(f"/api/conversations/{cid}/message", json={"content": "held"})
                )
                await asyncio.wait_for(sim.wait_for_in_flight(len(MEMBERS)), WAIT_S)
                draining.send_signal(signal.SIGTERM)
                # uvicorn ends a process it stopped on SIGTERM by that signal (no drain)
                stopped = 0 if drain else -signal.SIGTERM
                assert draining.wait(WAIT_S) == stopped, logs[0].read_text()
                answered = await waiting  # before its connection closed
            assert said in logs[0].read_text()
            assert answered.status_code == 503
            assert answered.json()["detail"]["code"] == "handed_over"
            sim.release()

            async def finished() -> bool:
                shown = (await b.get(f"/api/conversations/{cid}")).json()["messages"]
                return len(shown) > 1 and shown[1]["status"] != "running"

            await until(finished, what="the other instance finishes the run", timeout=WAIT_S)
            shown = (await b.get(f"/api/conversations/{cid}")).json()["messages"][1]
            assert shown["status"] == "complete", shown.get("error")
        assert staying.poll() is None
    finally:
        sim.release()
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in procs:
            proc.wait(30)
    kinds = [r.prompt_kind for r in sim.requests]
    assert kinds.count("answer") == 2 * len(MEMBERS)  # in flight at the bound, then again
    assert kinds.count("ranking") == len(MEMBERS)
    assert kinds.count("chairman") == 1
