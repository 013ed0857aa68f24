"""Idempotent POSTs, cancel, client disconnect, retry, and recovery after a crash."""

from __future__ import annotations

import asyncio
import signal
import subprocess
from pathlib import Path
from typing import Any

import httpx
from support import (
    MEMBERS,
    LiveServer,
    free_port,
    new_conversation,
    parse_sse,
    serve,
    sim_server_env,
    stream_events,
    types,
    until_answer_status,
    until_ready,
)

from llmcouncil.sim import FaultSpec, SimServer


def inject(sim: SimServer, faults: dict[str, list[FaultSpec]]) -> None:
    sim.configure(sim.config.model_copy(update={"faults": faults}))


class SseReader:
    """Reads a live event stream incrementally: up to an event type, or to the end."""

    def __init__(self, response: httpx.Response) -> None:
        self._chunks = response.aiter_text()
        self._buffer = ""

    async def _next_block(self) -> list[dict[str, Any]] | None:
        while "\n\n" not in self._buffer:
            try:
                self._buffer += await anext(self._chunks)
            except StopAsyncIteration:
                return None
        block, self._buffer = self._buffer.split("\n\n", 1)
        return parse_sse(block + "\n\n")

    async def until(self, event_type: str) -> list[dict[str, Any]]:
        seen: list[dict[str, Any]] = []
        while (block := await self._next_block()) is not None:
            seen += block
            if seen and seen[-1]["type"] == event_type:
                return seen
        raise AssertionError(f"stream ended before {event_type}: {[e['type'] for e in seen]}")

    async def rest(self) -> list[dict[str, Any]]:
        seen: list[dict[str, Any]] = []
        while (block := await self._next_block()) is not None:
            seen += block
        return seen


async def read_until(response: httpx.Response, event_type: str) -> list[dict[str, Any]]:
    return await SseReader(response).until(event_type)


async def test_same_idempotency_key_never_runs_a_second_council(
    client: httpx.AsyncClient,
    sim: SimServer,
) -> None:
    cid = await new_conversation(client)
    headers = {"Idempotency-Key": "k-123"}
    first, second = await asyncio.gather(
        client.post(f"/api/conversations/{cid}/message", json={"content": "once"}, headers=headers),
        client.post(f"/api/conversations/{cid}/message", json={"content": "once"}, headers=headers),
    )
    assert first.status_code == second.status_code == 200
    assert first.json()["run_id"] == second.json()["run_id"]
    assert first.json()["stage3"] == second.json()["stage3"]
    answers = [r for r in sim.requests if r.prompt_kind == "answer"]
    assert len(answers) == len(MEMBERS)
    # Later, streamed: the stored run is replayed, nothing new goes upstream.
    sim.clear_requests()
    events = await stream_events(
        client,
        f"/api/conversations/{cid}/message/stream",
        json_body={"content": "once"},
        headers=headers,
    )
    assert types(events)[-1] == "complete"
    assert (
        next(e for e in events if e["type"] == "stage3_complete")["data"] == first.json()["stage3"]
    )
    assert sim.requests == []
    conversation = (await client.get(f"/api/conversations/{cid}")).json()
    assert len(conversation["messages"]) == 2


async def test_cancel_stops_the_run_and_keeps_what_it_had(
    client: httpx.AsyncClient,
    sim: SimServer,
    server: LiveServer,
) -> None:
    inject(sim, {"x-ai/grok-4": [FaultSpec(hang=True)]})
    cid = await new_conversation(client)
    async with client.stream(
        "POST", f"/api/conversations/{cid}/message/stream", json={"content": "stop me"}
    ) as response:
        reader = SseReader(response)
        seen = await reader.until("model_complete")
        run_id = seen[0]["run_id"]
        cancelled = await client.post(f"/api/conversations/{cid}/runs/{run_id}/cancel")
        assert cancelled.status_code == 202 and cancelled.json()["status"] == "cancelling"
        rest = await reader.rest()
    assert rest[-1]["type"] == "error" and rest[-1]["code"] == "cancelled"
    assistant = (await client.get(f"/api/conversations/{cid}")).json()["messages"][1]
    assert assistant["status"] == "cancelled"
    again = await client.post(f"/api/conversations/{cid}/runs/{run_id}/cancel")
    assert again.json()["status"] == "not_running"
    assert (await client.post(f"/api/conversations/{cid}/runs/nope/cancel")).status_code == 404


async def test_client_disconnect_cancels_the_upstream_calls(
    client: httpx.AsyncClient,
    sim: SimServer,
    server: LiveServer,
) -> None:
    inject(sim, {"*": [FaultSpec(hang=True, prompt_kind="answer")]})
    cid = await new_conversation(client)
    async with client.stream(
        "POST", f"/api/conversations/{cid}/message/stream", json={"content": "bye"}
    ) as response:
        seen = await read_until(response, "stage1_start")
    run_id = seen[0]["run_id"]
    handle = server.runtime.runs.active(run_id)
    if handle is not None and handle.task is not None:
        await asyncio.wait_for(asyncio.gather(handle.task, return_exceptions=True), 10)
    assistant = (await client.get(f"/api/conversations/{cid}")).json()["messages"][1]
    assert assistant["status"] == "cancelled"


async def test_disconnect_with_continue_policy_finishes_in_background(
    make_settings: Any,
    start_server: Any,
) -> None:
    live: LiveServer = await start_server(make_settings(on_disconnect="continue"))
    async with httpx.AsyncClient(base_url=live.base_url, timeout=30) as http:
        cid = await new_conversation(http)
        async with http.stream(
            "POST", f"/api/conversations/{cid}/message/stream", json={"content": "keep going"}
        ) as response:
            seen = await read_until(response, "stage1_start")
        handle = live.runtime.runs.active(seen[0]["run_id"])
        if handle is not None and handle.task is not None:
            await asyncio.wait_for(handle.task, 10)
        assistant = (await http.get(f"/api/conversations/{cid}")).json()["messages"][1]
    assert assistant["status"] == "complete" and assistant["stage3"]["response"]


def _serve(
    tmp_path: Path, sim: SimServer, port: int, *, resume: bool = False
) -> subprocess.Popen[bytes]:
    """A server on the test's SQLite file; ``resume``: whether it resumes what a dead instance
    left (api/takeover.py) or marks it interrupted for a person to retry."""
    database = f"sqlite+aiosqlite:///{tmp_path / 'crash.db'}"
    env = sim_server_env(
        sim, database_url=database, COUNCIL_INSTANCES__RESUME="true" if resume else "false"
    )
    return serve(tmp_path, env, port)


async def test_kill_9_mid_run_leaves_an_interrupted_run_that_can_be_retried(
    tmp_path: Path,
    sim: SimServer,
) -> None:
    inject(sim, {"*": [FaultSpec(hang=True, prompt_kind="ranking")]})
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = _serve(tmp_path, sim, port)
    try:
        await until_ready(base, proc, tmp_path / "server.log")
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            cid = await new_conversation(http)
            async with http.stream(
                "POST",
                f"/api/conversations/{cid}/message/stream",
                json={"content": "survive a crash"},
            ) as response:
                seen = await read_until(response, "stage2_start")
                proc.send_signal(signal.SIGKILL)
                proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    run_id = seen[0]["run_id"]
    stage1 = next(e for e in seen if e["type"] == "stage1_complete")["data"]

    inject(sim, {})
    sim.clear_requests()
    proc = _serve(tmp_path, sim, port)
    try:
        await until_ready(base, proc, tmp_path / "server.log")
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            # The dead instance's heartbeat ages past the lease; a sweep then interrupts its run.
            assistant = await until_answer_status(http, cid, "interrupted")
            assert assistant["stage1"] == stage1
            assert assistant["stage3"] is None
            events = await stream_events(http, f"/api/conversations/{cid}/runs/{run_id}/retry")
            assert types(events)[-1] == "complete"
            done = (await http.get(f"/api/conversations/{cid}")).json()["messages"][1]
    finally:
        proc.terminate()
        proc.wait(10)
    assert done["status"] == "complete" and done["attempts"] == 2
    assert done["stage1"] == stage1, "retry asked stage 1 again instead of resuming"
    kinds = {r.prompt_kind for r in sim.requests}
    assert "answer" not in kinds and {"ranking", "chairman"} <= kinds


async def test_a_run_left_by_a_killed_server_is_resumed_by_the_next_without_asking_again(
    tmp_path: Path,
    sim: SimServer,
) -> None:
    """kill -9 mid-review; the next server (instances.resume, the default) takes the run over by
    itself and finishes it after its stored answers: no member answers twice, and no person has
    to press retry."""
    inject(sim, {"*": [FaultSpec(hang=True, prompt_kind="ranking")]})
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = _serve(tmp_path, sim, port, resume=True)
    try:
        await until_ready(base, proc, tmp_path / "server.log")
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            cid = await new_conversation(http)
            async with http.stream(
                "POST",
                f"/api/conversations/{cid}/message/stream",
                json={"content": "survive a crash unattended"},
            ) as response:
                seen = await read_until(response, "stage2_start")
                proc.send_signal(signal.SIGKILL)
                proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    stage1 = next(e for e in seen if e["type"] == "stage1_complete")["data"]

    inject(sim, {})
    sim.clear_requests()
    proc = _serve(tmp_path, sim, port, resume=True)
    try:
        await until_ready(base, proc, tmp_path / "server.log")
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            done = await until_answer_status(http, cid, "complete")
    finally:
        proc.terminate()
        proc.wait(10)
    assert done["attempts"] == 2 and done["stage3"] is not None
    assert done["stage1"] == stage1, "the takeover asked stage 1 again instead of resuming"
    kinds = [r.prompt_kind for r in sim.requests]
    assert "answer" not in kinds
    assert kinds.count("ranking") == len(stage1)  # each reviewer once, after the takeover
    assert kinds.count("chairman") == 1


async def test_a_second_instance_on_the_database_leaves_a_live_run_alone(
    tmp_path: Path, sim: SimServer
) -> None:
    """Two server processes on one database: the second's start-up does not interrupt the
    first's live run, and a retry of it through the second is refused rather than run twice."""
    inject(sim, {"*": [FaultSpec(hang=True, prompt_kind="ranking")]})
    ports = free_port(), free_port()
    bases = [f"http://127.0.0.1:{p}" for p in ports]
    procs = [_serve(tmp_path, sim, ports[0])]
    try:
        await until_ready(bases[0], procs[0], tmp_path / "server.log")
        async with httpx.AsyncClient(base_url=bases[0], timeout=30) as http:
            cid = await new_conversation(http)
            async with http.stream(
                "POST", f"/api/conversations/{cid}/message/stream", json={"content": "hold on"}
            ) as response:
                # The reader is kept: a dropped one closes the stream, and the run with it.
                reader = SseReader(response)
                run_id = (await reader.until("stage2_start"))[0]["run_id"]
                procs.append(_serve(tmp_path, sim, ports[1]))
                await until_ready(bases[1], procs[1], tmp_path / "server.log")
                async with httpx.AsyncClient(base_url=bases[1], timeout=30) as other:
                    shown = (await other.get(f"/api/conversations/{cid}")).json()
                    assert shown["messages"][1]["status"] == "running"
                    retry = await other.post(f"/api/conversations/{cid}/runs/{run_id}/retry")
                    assert retry.status_code == 409, retry.text
                    assert "another server instance" in retry.json()["detail"]["message"]
                    del reader
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(10)
    answers = [r for r in sim.requests if r.prompt_kind == "answer"]
    assert len(answers) == len(MEMBERS), "stage 1 was asked once"
