"""A run's events by id: on the wire, resumed after event n, followed from another instance.

Servers here run in the test's process (two on one database stand for two instances); the
real-process case is tests/api/test_live_streams_cluster.py. Runs are held still by the
simulated upstream (``hold``/``release``, a hanging review) rather than by timing.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from cryptography.fernet import Fernet
from gov_support import Governed
from live_events_support import (
    REDIS_URL,
    Frame,
    FrameReader,
    events_url,
    live_ids,
    parse_frames,
    read_events,
)
from redis.asyncio import Redis
from support import LiveServer, new_conversation, parse_sse

from llmcouncil.api.live_streams import ENDED_TTL_SECONDS, stream_key
from llmcouncil.sim import FaultSpec, SimServer

GovernedOnDatabase = Callable[..., Awaitable[Governed]]
Start = Callable[..., Awaitable[LiveServer]]


def _starter(make_settings: Any, start_server: Any, database_url: str) -> Start:
    """Servers on one database (PostgreSQL needs one vault key shared by them all)."""
    shared: dict[str, Any] = {"database_url": database_url}
    if not database_url.startswith("sqlite"):
        shared["privacy"] = {"key": Fernet.generate_key().decode()}

    async def start(**overrides: Any) -> LiveServer:
        live: LiveServer = await start_server(make_settings(**shared, **overrides))
        return live

    return start


async def _open(http: httpx.AsyncClient, method: str, url: str, **kwargs: Any) -> httpx.Response:
    response = await http.send(http.build_request(method, url, **kwargs), stream=True)
    assert response.status_code == 200, await response.aread()
    return response


async def _whole_run(http: httpx.AsyncClient, cid: str, content: str) -> list[Frame]:
    response = await _open(
        http, "POST", f"/api/conversations/{cid}/message/stream", json={"content": content}
    )
    try:
        raw = (await response.aread()).decode()
    finally:
        await response.aclose()
    frames = parse_frames(raw)
    assert [f.event for f in frames] == parse_sse(raw)
    return frames


async def test_every_streamed_event_carries_its_run_and_number(client: httpx.AsyncClient) -> None:
    cid = await new_conversation(client)
    frames = await _whole_run(client, cid, "number the events")
    run_id = frames[0].event["run_id"]
    assert frames[-1].type == "complete"
    assert live_ids(run_id, frames) == list(range(1, len(frames) + 1))
    assert any(f.type == "model_delta" for f in frames)


async def test_a_client_resumes_after_event_n_in_the_same_process_and_follows_it_live(
    sim: SimServer, client: httpx.AsyncClient, server: LiveServer
) -> None:
    hang = {"*": [FaultSpec(hang=True, prompt_kind="ranking")]}
    sim.configure(sim.config.model_copy(update={"faults": hang}))
    cid = await new_conversation(client)
    starter = await _open(
        client, "POST", f"/api/conversations/{cid}/message/stream", json={"content": "resume me"}
    )
    try:
        leader = FrameReader(starter)  # kept: a dropped reader closes the stream
        seen = await leader.until("stage2_start")
        run_id = seen[0].event["run_id"]
        k = len(seen) // 2
        viewer = await _open(
            client, "GET", events_url(cid, run_id), headers={"Last-Event-ID": seen[k - 1].id}
        )
        try:
            assert viewer.headers["x-council-stream-source"] == "local"
            follower = FrameReader(viewer)
            assert await follower.until("stage2_start") == seen[k:]
            # The viewer is not one of the run's listeners: only the starter keeps it alive.
            assert server.runtime.runs.active(run_id).channel.listeners == 1
            # An id of another numbering (the run was resumed or retried since): from event 1.
            other = await _open(
                client,
                "GET",
                events_url(cid, run_id),
                headers={"Last-Event-ID": f"{run_id}:0badc0de:{k}"},
            )
            try:
                assert await FrameReader(other).until("stage2_start") == seen
            finally:
                await other.aclose()
            await starter.aclose()  # on_disconnect = cancel: the run stops
            rest = await follower.rest()
        finally:
            await viewer.aclose()
    finally:
        await starter.aclose()
    assert rest and rest[-1].type == "error"
    numbers = live_ids(run_id, seen[k:] + rest)
    assert numbers == list(range(k + 1, k + 1 + len(numbers))), "a gap or a repeat"
    shown = (await client.get(f"/api/conversations/{cid}")).json()["messages"][1]
    assert shown["status"] != "running"


async def test_a_finished_run_replays_as_stored_after_the_clients_place(
    client: httpx.AsyncClient,
) -> None:
    cid = await new_conversation(client)
    live = await _whole_run(client, cid, "replay me")
    run_id = live[0].event["run_id"]

    source, stored = await read_events(client, cid, run_id)
    assert source == "stored"
    assert [f.type for f in stored][-1] == "complete" and stored[0].event["replayed"] is True
    assert [f.id for f in stored] == [f"{run_id}:stored:{n}" for n in range(1, len(stored) + 1)]
    assert stored[-1].event["run_id"] == run_id
    _, after_two = await read_events(client, cid, run_id, last_id=f"{run_id}:stored:2")
    assert after_two == stored[2:]
    # A live cursor with no Redis to replay from: the stored run, whole, ending as it ended.
    _, whole = await read_events(client, cid, run_id, last_id=live[4].id)
    assert whole == stored
    query = await client.get(events_url(cid, run_id), params={"after": 3})
    assert parse_frames(query.text) == stored


async def test_a_finished_run_replays_exactly_what_came_after_n_from_redis(
    make_settings: Any, start_server: Any, database_url: str
) -> None:
    start = _starter(make_settings, start_server, database_url)
    one, two = await start(redis_url=REDIS_URL), await start(redis_url=REDIS_URL)
    async with (
        httpx.AsyncClient(base_url=one.base_url, timeout=30) as a,
        httpx.AsyncClient(base_url=two.base_url, timeout=30) as b,
    ):
        cid = await new_conversation(a)
        live = await _whole_run(a, cid, "replay me from redis")
        run_id = live[0].event["run_id"]
        await one.runtime.live_events.drained()  # its last events are in Redis
        n = len(live) // 3
        source, rest = await read_events(b, cid, run_id, last_id=live[n - 1].id)
        # A cursor of another numbering cannot be continued from the stream: the stored run.
        elsewhere, stored = await read_events(b, cid, run_id, last_id=f"{run_id}:0badc0de:{n}")
    assert source == "redis"
    assert rest == live[n:]
    assert elsewhere == "stored" and stored[-1].type == "complete" and stored[0].type == "run_start"
    redis = Redis.from_url(REDIS_URL)
    try:
        assert 0 < await redis.ttl(stream_key(run_id)) <= ENDED_TTL_SECONDS
        entries = await redis.xrange(stream_key(run_id))
        # Batches of events, one entry per send: every event once, in far fewer entries.
        assert sum(len(json.loads(fields[b"e"])) for _id, fields in entries) == len(live)
        assert len(entries) < len(live)
    finally:
        await redis.aclose()


async def test_a_viewer_on_another_instance_sees_the_run_live_through_redis(
    sim: SimServer, make_settings: Any, start_server: Any, database_url: str
) -> None:
    start = _starter(make_settings, start_server, database_url)
    one, two = await start(redis_url=REDIS_URL), await start(redis_url=REDIS_URL)
    sim.hold()  # every upstream call waits: the run stays live until release()
    async with (
        httpx.AsyncClient(base_url=one.base_url, timeout=30) as a,
        httpx.AsyncClient(base_url=two.base_url, timeout=30) as b,
    ):
        cid = await new_conversation(a)
        starter = await _open(
            a, "POST", f"/api/conversations/{cid}/message/stream", json={"content": "watch me"}
        )
        try:
            leader = FrameReader(starter)
            first = await leader.until("stage1_start")
            run_id = first[0].event["run_id"]
            viewer = await _open(b, "GET", events_url(cid, run_id), params={"after": 1})
            try:
                assert viewer.headers["x-council-stream-source"] == "redis"
                follower = FrameReader(viewer)
                assert await follower.until("stage1_start") == first[1:]
                sim.release()
                led = await leader.rest()
                followed = await follower.rest()
            finally:
                await viewer.aclose()
        finally:
            await starter.aclose()
    assert led[-1].type == "complete"
    assert followed == led
    assert live_ids(run_id, first[1:] + followed) == list(range(2, len(first) + len(led) + 1))


async def test_without_redis_a_run_live_elsewhere_is_answered_from_the_database_then_poll(
    sim: SimServer, make_settings: Any, start_server: Any, database_url: str
) -> None:
    start = _starter(make_settings, start_server, database_url)
    one, two = await start(), await start()
    sim.hold()
    async with (
        httpx.AsyncClient(base_url=one.base_url, timeout=30) as a,
        httpx.AsyncClient(base_url=two.base_url, timeout=30) as b,
    ):
        cid = await new_conversation(a)
        starter = await _open(
            a, "POST", f"/api/conversations/{cid}/message/stream", json={"content": "elsewhere"}
        )
        try:
            leader = FrameReader(starter)  # kept: a dropped reader closes the stream
            run_id = (await leader.until("run_start"))[0].event["run_id"]
            source, frames = await read_events(b, cid, run_id, last_id=f"{run_id}:1")
        finally:
            sim.release()
            await starter.aclose()
    assert source == "stored"
    assert [f.type for f in frames] == ["run_start", "stream_notice"]
    notice = frames[-1].event
    assert notice["status"] == "running" and notice["reason"] == "no_live_stream"
    assert notice["poll"] == f"/api/conversations/{cid}" and frames[-1].id is None


async def test_another_users_run_is_not_found_and_a_foreign_cursor_is_refused(
    governed_on_database: GovernedOnDatabase,
) -> None:
    server = await governed_on_database()
    await server.user("alice")
    await server.user("bob")
    alice, bob = await server.session("alice"), await server.session("bob")
    cid = await new_conversation(alice)
    sent = await alice.post(f"/api/conversations/{cid}/message", json={"content": "mine"})
    assert sent.status_code == 200, sent.text
    run_id = sent.json()["run_id"]
    other = await new_conversation(alice)

    assert (await bob.get(events_url(cid, run_id))).status_code == 404
    assert (await alice.get(events_url(other, run_id))).status_code == 404
    assert (await alice.get(events_url(cid, "no-such-run"))).status_code == 404
    for bad in ("another-run:3", f"{run_id}:x", f"{run_id}:stored:-1", f"{run_id}::3"):
        refused = await alice.get(events_url(cid, run_id), headers={"Last-Event-ID": bad})
        assert refused.status_code == 422, (bad, refused.text)
    assert (await alice.get(events_url(cid, run_id), params={"after": -1})).status_code == 422
    source, frames = await read_events(alice, cid, run_id)
    assert source == "stored" and frames[-1].type == "complete"


async def test_with_redis_unreachable_a_run_streams_and_is_answered_from_the_database(
    make_settings: Any, start_server: Any, sqlite_url: str
) -> None:
    """Redis configured but away (a closed port): the council streams as usual, its events are
    not published (logged), and a client that comes back is answered from the database."""
    start = _starter(make_settings, start_server, sqlite_url)
    live_server = await start(redis_url="redis://127.0.0.1:1/0", jobs={"backend": "local"})
    async with httpx.AsyncClient(base_url=live_server.base_url, timeout=30) as http:
        cid = await new_conversation(http)
        live = await _whole_run(http, cid, "no redis after all")
        run_id = live[0].event["run_id"]
        assert live[-1].type == "complete"
        assert live_ids(run_id, live) == list(range(1, len(live) + 1))
        source, stored = await read_events(http, cid, run_id, last_id=live[3].id)
    assert source == "stored" and stored[-1].type == "complete"


async def test_a_viewer_of_a_conversation_with_redacted_values_sees_what_the_starter_sees(
    sim: SimServer, make_settings: Any, start_server: Any, sqlite_url: str
) -> None:
    """The question holds an e-mail address: upstream sees a placeholder, and every stream
    restores it. A viewer resuming after n — here and on another instance — has its restorer fed
    from event 1, so its events after n are the starter's, byte for byte."""
    start = _starter(make_settings, start_server, sqlite_url)
    one, two = await start(redis_url=REDIS_URL), await start(redis_url=REDIS_URL)
    sim.hold()
    async with (
        httpx.AsyncClient(base_url=one.base_url, timeout=30) as a,
        httpx.AsyncClient(base_url=two.base_url, timeout=30) as b,
    ):
        cid = await new_conversation(a)
        question = "Write to alice.liddell@example.com about the council"
        starter = await _open(
            a, "POST", f"/api/conversations/{cid}/message/stream", json={"content": question}
        )
        viewers: list[httpx.Response] = []
        try:
            leader = FrameReader(starter)
            first = await leader.until("stage1_start")
            run_id = first[0].event["run_id"]
            for http in (a, b):
                viewers.append(
                    await _open(http, "GET", events_url(cid, run_id), params={"after": 1})
                )
            assert [v.headers["x-council-stream-source"] for v in viewers] == ["local", "redis"]
            readers = [FrameReader(v) for v in viewers]
            sim.release()
            led = await leader.rest()
            followed = [await reader.rest() for reader in readers]
        finally:
            sim.release()
            for viewer in viewers:
                await viewer.aclose()
            await starter.aclose()
    assert led[-1].type == "complete"
    assert followed == [first[1:] + led, first[1:] + led]
    sent = [str(r.messages) for r in sim.requests if r.prompt_kind == "answer"]
    assert sent and all("alice.liddell@example.com" not in text for text in sent)
