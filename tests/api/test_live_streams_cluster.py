"""Two real server processes on one database and one Redis: a run started on A is followed on B.

The simulated upstream lives in the test's process and holds every call until released, so the
run is live on A while B's viewer connects: what B sends after that came through Redis as it
happened.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx
from cryptography.fernet import Fernet
from live_events_support import REDIS_URL, FrameReader, events_url, live_ids, read_events
from support import (
    free_port,
    new_conversation,
    serve,
    sim_server_env,
    until_ready,
)

from llmcouncil.sim import SimServer


async def test_a_viewer_on_another_process_follows_a_live_run_then_replays_it(
    tmp_path: Path, sim: SimServer, database_url: str
) -> None:
    vault_key = Fernet.generate_key().decode()
    ports = free_port(), free_port()
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for base, port in zip(bases, ports, strict=True):  # one at a time: A migrates the db
            env = sim_server_env(
                sim,
                database_url=database_url,
                COUNCIL_REDIS_URL=REDIS_URL,
                COUNCIL_PRIVACY__KEY=vault_key,
            )
            procs.append(serve(tmp_path, env, port, log=f"server-{port}.log"))
            await until_ready(base, procs[-1], tmp_path / f"server-{port}.log")
        async with (
            httpx.AsyncClient(base_url=bases[0], timeout=30) as a,
            httpx.AsyncClient(base_url=bases[1], timeout=30) as b,
        ):
            cid = await new_conversation(a)
            sim.hold()  # every upstream call waits: the run is live on A until release()
            request = a.build_request(
                "POST", f"/api/conversations/{cid}/message/stream", json={"content": "two"}
            )
            starter = await a.send(request, stream=True)
            viewer: httpx.Response | None = None
            try:
                leader = FrameReader(starter)  # kept: a dropped reader closes the stream
                first = await leader.until("stage1_start")
                run_id = first[0].event["run_id"]
                viewer = await b.send(
                    b.build_request("GET", events_url(cid, run_id), params={"after": 1}),
                    stream=True,
                )
                assert viewer.status_code == 200
                assert viewer.headers["x-council-stream-source"] == "redis"
                follower = FrameReader(viewer)
                assert await follower.until("stage1_start") == first[1:]
                sim.release()
                led = await leader.rest()
                followed = await follower.rest()
            finally:
                sim.release()
                if viewer is not None:
                    await viewer.aclose()
                await starter.aclose()
            whole = first + led
            assert led[-1].type == "complete"
            assert followed == led, "B's viewer saw something other than A's stream"
            assert live_ids(run_id, first[1:] + followed) == list(range(2, len(whole) + 1))

            # Ended: B replays from Redis exactly what came after n, or the stored run whole.
            n = len(whole) // 2
            source, rest = await read_events(b, cid, run_id, last_id=whole[n - 1].id)
            assert source == "redis" and rest == whole[n:]
            source, stored = await read_events(b, cid, run_id)
            assert source == "stored" and stored[-1].type == "complete"
            assert stored[-1].id == f"{run_id}:stored:{len(stored)}"
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(30)
