"""The cluster as deployed (deploy/): three ``council serve`` instances and a ``council worker``
on PostgreSQL and Redis, behind HAProxy, all real processes on loopback (cluster_support.py).

What a client of the balancer sees, and what reached the simulated upstream: councils spread
over the instances and complete; a council whose instance is killed is finished by another, with
each finished stage's calls made once; a breaker one instance opens is open on the others; a
batch survives its worker's kill -9.
"""

from __future__ import annotations

import asyncio
import json
import signal
from collections import Counter
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis
from cluster_support import FAILING, FALLBACK, NAMES, REDIS, WAIT_S, Cluster
from support import CHAIRMAN, MEMBERS, new_conversation, until

from llmcouncil.resilience.redis_breakers import DEFAULT_PREFIX
from llmcouncil.sim import FaultSpec, SimServer

pytestmark = [
    pytest.mark.cluster,
    pytest.mark.postgres,
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.timeout(400),  # the first test also starts the cluster
]

STAGES = ("answer", "ranking", "chairman")


def _frames(raw: str) -> list[tuple[str | None, dict[str, Any]]]:
    """An event stream's frames: (SSE id, event)."""
    frames = []
    for block in raw.split("\n\n"):
        ident, data = None, []
        for line in block.splitlines():
            if line.startswith("id:"):
                ident = line[3:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].strip())
        if data:
            frames.append((ident, json.loads("\n".join(data))))
    return frames


async def _frames_until(response: httpx.Response, event_type: str) -> str:
    """The raw stream up to and including the first event of ``event_type``."""
    raw = ""
    async for chunk in response.aiter_text():
        raw += chunk
        if any(e["type"] == event_type for _, e in _frames(raw.rpartition("\n\n")[0])):
            return raw.rpartition("\n\n")[0] + "\n\n"
    raise AssertionError(f"the stream ended before {event_type}: {raw[-500:]}")


def _fault(sim: SimServer, faults: dict[str, list[FaultSpec]]) -> None:
    sim.configure(sim.config.model_copy(update={"faults": faults}))


def _asks(request: Any, question: str) -> bool:
    return any(question in str(m.get("content")) for m in request.messages)


def _calls(sim: SimServer, question: str) -> Counter[tuple[str, str]]:
    """The stage calls that reached the upstream for ``question``, by kind and model."""
    return Counter(
        (r.prompt_kind, r.model)
        for r in sim.requests
        if r.prompt_kind in STAGES and _asks(r, question)
    )


def _once_each(reviews: int = 1) -> Counter[tuple[str, str]]:
    return Counter(
        {
            **{("answer", m): 1 for m in MEMBERS},
            **{("ranking", m): reviews for m in MEMBERS},
            ("chairman", CHAIRMAN): 1,
        }
    )


async def _until(predicate: Any, what: str, cluster: Cluster, state: Any = None) -> None:
    """Until ``predicate()`` (async) holds, bounded far beyond a healthy cluster. ``state``
    (async) describes what the cluster looked like when it did not."""
    seen = [""]

    async def holds() -> bool:
        if await predicate():
            return True
        seen[0] = await state() if state is not None else ""
        return False

    await until(holds, what=what, timeout=WAIT_S, explain=lambda: f"{seen[0]}\n{cluster.logs()}")


async def _takeover_state(cluster: Cluster, run_id: str) -> str:
    return f"run: {await cluster.run_row(run_id)}\ninstances: {await cluster.instances()}"


async def test_councils_through_the_balancer_spread_over_the_instances_and_complete(
    cluster: Cluster,
) -> None:
    assert cluster.haproxy is not None
    questions = [f"Cluster question number {i}?" for i in range(6)]
    async with httpx.AsyncClient(base_url=cluster.haproxy.url, timeout=WAIT_S) as http:
        cids = [await new_conversation(http) for _ in questions]
        replies = await asyncio.gather(
            *(
                http.post(f"/api/conversations/{cid}/message", json={"content": q})
                for cid, q in zip(cids, questions, strict=True)
            )
        )
    assert [r.status_code for r in replies] == [200] * len(questions), [r.text for r in replies]
    assert all(r.json()["stage3"]["response"] for r in replies)
    # Round robin without stickiness: each instance answered some of them ...
    assert Counter(r.headers["x-council-instance"] for r in replies) == Counter(
        dict.fromkeys(NAMES, 2)
    )
    # ... and ran them: three owners in the database, each run's calls made once.
    owners = await cluster.worker_ids([r.json()["run_id"] for r in replies])
    assert len(set(owners.values())) == len(NAMES)
    for question in questions:
        assert _calls(cluster.sim, question) == _once_each(), question


async def test_a_council_whose_instance_is_killed_is_finished_by_another(
    cluster: Cluster,
) -> None:
    """kill -9 of the instance running a council, mid-review: a live instance takes the run
    over once the lease (3 s here) has passed and finishes it after its stored answers."""
    assert cluster.haproxy is not None
    sim = cluster.sim
    question = "Who finishes a council whose server died?"
    _fault(sim, {"*": [FaultSpec(hang=True, prompt_kind="ranking")]})
    async with httpx.AsyncClient(base_url=cluster.haproxy.url, timeout=WAIT_S) as http:
        cid = await new_conversation(http)
        async with http.stream(
            "POST", f"/api/conversations/{cid}/message/stream", json={"content": question}
        ) as response:
            assert response.status_code == 200
            victim = cluster.server(response.headers["x-council-instance"])

            async def reviews_sent() -> bool:
                reviews = _calls(sim, question)
                return sum(n for (kind, _), n in reviews.items() if kind == "ranking") == len(
                    MEMBERS
                )

            await _until(reviews_sent, "every review sent", cluster)

            async def answers_stored() -> bool:  # stage 1 is written as the reviews go out
                shown = (await http.get(f"/api/conversations/{cid}")).json()["messages"]
                return len(shown) > 1 and len(shown[1]["stage1"]) == len(MEMBERS)

            await _until(answers_stored, "the answers stored", cluster)
            message = (await http.get(f"/api/conversations/{cid}")).json()["messages"][1]
            run_id = message["run_id"]
            owner = (await cluster.run_row(run_id))["worker_id"]
            victim.kill()
            _fault(sim, {})
        # The stream broke with its instance; the client asks any instance for the result.
        # HAProxy sends nothing more to the dead one once its checks fail (and a request that
        # could not connect to it is sent to another).
        await cluster.until_in_rotation(set(NAMES) - {victim.name})

        async def finished() -> bool:  # answered, and the run closed (after its title)
            shown = (await http.get(f"/api/conversations/{cid}")).json()["messages"][1]
            closed = (await cluster.run_row(run_id))["status"] == "complete"
            return bool(shown["status"] == "complete") and closed

        await _until(
            finished,
            "the council finished by another instance",
            cluster,
            state=lambda: _takeover_state(cluster, run_id),
        )
        done = (await http.get(f"/api/conversations/{cid}")).json()["messages"][1]
    row = await cluster.run_row(run_id)
    assert row["status"] == "complete" and row["attempts"] == 2
    assert row["worker_id"] != owner, "the run stayed with the killed instance"
    assert done["stage3"]["response"] and len(done["stage1"]) == len(MEMBERS)
    # Stage 1 had finished: each member answered once. The reviews in flight at the kill were
    # asked again (their answers never arrived); the chairman was asked once.
    assert _calls(sim, question) == _once_each(reviews=2)


async def test_a_breaker_opened_on_one_instance_is_open_on_the_others(cluster: Cluster) -> None:
    """One instance finds a model failing and opens its breaker (in Redis); the other two
    refuse that model at once, without a call: their councils ask its fallback instead."""
    sim = cluster.sim
    failing = FAILING
    key = f"{cluster.provider}:{failing}"
    first, *others = cluster.servers
    _fault(sim, {failing: [FaultSpec(status=503)]})
    try:
        async with httpx.AsyncClient(base_url=first.url, timeout=WAIT_S) as http:
            cid = await new_conversation(http)
            tripped = await http.post(
                f"/api/conversations/{cid}/message", json={"content": "Trip the breaker?"}
            )
            assert tripped.status_code == 200, tripped.text
        assert any(r.model == failing and r.fault for r in sim.requests)
        sim.clear_requests()
        for other in others:
            async with httpx.AsyncClient(base_url=other.url, timeout=WAIT_S) as http:
                health = (await http.get("/api/health/models")).json()
                row = next(m for m in health["models"] if m["model"] == failing)
                assert row["state"] == "open" and row["next_probe_in_s"] > 0, row
                question = f"Is the breaker open on {other.name}?"
                cid = await new_conversation(http)
                reply = await http.post(
                    f"/api/conversations/{cid}/message", json={"content": question}
                )
                assert reply.status_code == 200, reply.text
                body = reply.json()
                assert body["stage3"]["response"] and len(body["stage1"]) == len(MEMBERS)
                fallbacks = [r for r in sim.requests if _asks(r, question)]
                assert ("answer", FALLBACK) in {(r.prompt_kind, r.model) for r in fallbacks}
        assert not [r for r in sim.requests if r.model == failing], "an open breaker let a call by"
    finally:
        _fault(sim, {})
        client = aioredis.from_url(REDIS)  # closed again for the tests after this one
        try:
            await client.delete(DEFAULT_PREFIX + key)
        finally:
            await client.aclose()
    async with httpx.AsyncClient(base_url=first.url, timeout=WAIT_S) as http:
        health = (await http.get("/api/health/models")).json()
    assert failing not in health["open"]


async def test_a_batch_through_the_balancer_survives_its_worker_killed(cluster: Cluster) -> None:
    """The servers enqueue; the worker runs the batch until the first question's reviews are in
    flight, and is killed (-9). A new worker takes the batch over once the dead one's lease has
    passed: the batch completes, no question's answers asked twice."""
    assert cluster.haproxy is not None
    sim = cluster.sim
    questions = ["Why is the sky blue, cluster?", "Why is the sea salty, cluster?"]
    (worker,) = [w for w in cluster.workers if w.alive]
    _fault(sim, {"*": [FaultSpec(hang=True, prompt_kind="ranking")]})
    async with httpx.AsyncClient(base_url=cluster.haproxy.url, timeout=WAIT_S) as http:
        started = await http.post("/api/batches", json={"questions": questions, "concurrency": 1})
        assert started.status_code == 202, started.text
        batch = started.json()
        assert batch["engine"] == "redis"

        async def reviews_sent() -> bool:
            reviews = _calls(sim, questions[0])
            return sum(n for (kind, _), n in reviews.items() if kind == "ranking") == len(MEMBERS)

        await _until(reviews_sent, "the first question's reviews sent", cluster)

        async def answers_stored() -> bool:  # stage 1 is written as the reviews go out
            items = (await http.get(f"/api/batches/{batch['id']}/results")).json()["items"]
            if items[0]["conversation_id"] is None:
                return False
            shown = await http.get(f"/api/conversations/{items[0]['conversation_id']}")
            answers = [m for m in shown.json()["messages"] if m["role"] == "assistant"]
            return bool(answers and len(answers[0]["stage1"]) == len(MEMBERS))

        await _until(answers_stored, "the first question's answers stored", cluster)
        worker.kill()
        _fault(sim, {})
        cluster.start_worker()

        async def ended() -> bool:
            shown = await http.get(f"/api/batches/{batch['id']}", params={"wait": 5})
            return shown.json()["status"] not in ("queued", "running")

        await _until(ended, "the batch finished after the worker's kill", cluster)
        done = (await http.get(f"/api/batches/{batch['id']}")).json()
        results = (await http.get(f"/api/batches/{batch['id']}/results")).json()["items"]
    assert done["status"] == "complete", done
    assert done["progress"]["done"] == len(questions)
    assert all(item["status"] == "done" and item["answer"] for item in results)
    # The reviews in flight at the kill were asked again; everything else once.
    assert _calls(sim, questions[0]) == _once_each(reviews=2)
    assert _calls(sim, questions[1]) == _once_each()


async def test_a_rolling_restart_hands_the_draining_instance_s_council_to_another(
    cluster: Cluster,
) -> None:
    """SIGTERM to the instance streaming a council: HAProxy takes it out of the rotation (its
    /readyz answers 503); the council is handed over once its answers are stored, the stream
    ends with ``handed_over``, and the client follows the council through the balancer with its
    last event id to the end another instance gives it — each stage's calls made once. The
    drained instance stops by itself, and started again it is back in the rotation."""
    assert cluster.haproxy is not None
    sim = cluster.sim
    question = "Does a rolling restart lose a council?"
    async with httpx.AsyncClient(base_url=cluster.haproxy.url, timeout=WAIT_S) as http:
        cid = await new_conversation(http)
        sim.hold()
        try:
            async with http.stream(
                "POST", f"/api/conversations/{cid}/message/stream", json={"content": question}
            ) as response:
                assert response.status_code == 200
                draining = cluster.server(response.headers["x-council-instance"])
                await asyncio.wait_for(sim.wait_for_in_flight(len(MEMBERS)), WAIT_S)
                assert draining.proc is not None
                draining.proc.send_signal(signal.SIGTERM)
                await cluster.until_in_rotation(set(NAMES) - {draining.name})
                assert draining.alive
                for _ in NAMES:  # new requests go to the others only
                    other = await http.get(f"/api/conversations/{cid}")
                    assert other.headers["x-council-instance"] != draining.name

                async def asked() -> bool:
                    return "at their next stage boundary" in draining.tail()

                await _until(asked, "the drain asks the council to hand over", cluster)
                sim.release()
                frames = _frames((await response.aread()).decode())
            last_id, ended = frames[-1]
            assert ended["type"] == "error" and ended["code"] == "handed_over", frames[-3:]
            run_id = ended["run_id"]
            async with http.stream(
                "GET",
                f"/api/conversations/{cid}/runs/{run_id}/events",
                headers={"Last-Event-ID": str(last_id)},
            ) as followed:
                assert followed.status_code == 200
                assert followed.headers["x-council-instance"] != draining.name
                after = _frames((await followed.aread()).decode())
        finally:
            sim.release()
    assert after[-1][1]["type"] == "complete", after[-3:]
    assert draining.proc.wait(WAIT_S) == 0, draining.tail()
    assert _calls(sim, question) == _once_each()
    await cluster.restore()  # started again, and back in the rotation


async def test_a_broken_stream_resumes_through_another_instance(cluster: Cluster) -> None:
    """A client's stream breaks mid-council; it reconnects through the balancer with the last
    event id it received, lands on another instance, and reads the rest — relayed from the
    owner through Redis — in order, with no event missed or repeated."""
    assert cluster.haproxy is not None
    sim = cluster.sim
    async with httpx.AsyncClient(base_url=cluster.haproxy.url, timeout=WAIT_S) as http:
        cid = await new_conversation(http)
        sim.hold()
        try:
            async with http.stream(
                "POST", f"/api/conversations/{cid}/message/stream", json={"content": "Resume?"}
            ) as response:
                owner = response.headers["x-council-instance"]
                before = _frames(await _frames_until(response, "stage1_start"))
            # The stream is gone (COUNCIL_ON_DISCONNECT=continue keeps the council running).
            last_id, first = before[-1][0], before[0][1]
            run_id = first["run_id"]
            async with http.stream(
                "GET",
                f"/api/conversations/{cid}/runs/{run_id}/events",
                headers={"Last-Event-ID": str(last_id)},
            ) as resumed:
                assert resumed.status_code == 200
                assert resumed.headers["x-council-instance"] != owner  # round robin: the next
                assert resumed.headers["x-council-stream-source"] == "redis"
                sim.release()
                after = _frames((await resumed.aread()).decode())
        finally:
            sim.release()
    assert after[-1][1]["type"] == "complete", after[-3:]
    numbers = [int(str(ident).rpartition(":")[2]) for ident, _ in before + after]
    assert numbers == list(range(1, len(numbers) + 1)), "an event was missed or repeated"
