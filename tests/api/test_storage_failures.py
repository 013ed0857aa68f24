"""The server when its database refuses writes: runs end with the reason, clients get 503, and a
retry completes once the database works again. SQLite and PostgreSQL.

Faults are the database's own (``storage_faults.StorageFault``): SQLite at its page limit
("database or disk is full") or read-only, a PostgreSQL transaction read-only.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from storage_faults import FaultKind, StorageFault
from support import LiveServer, new_conversation, stream_events, types

from llmcouncil.sim import SimServer


@pytest.fixture
async def live(
    database_url: str, make_settings: Any, start_server: Any
) -> AsyncIterator[tuple[LiveServer, httpx.AsyncClient]]:
    overrides: dict[str, Any] = {"database_url": database_url}
    if not database_url.startswith("sqlite"):
        overrides["privacy"] = {"key": Fernet.generate_key().decode()}
    server: LiveServer = await start_server(make_settings(**overrides))
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as http:
        yield server, http


@pytest.fixture
async def unretrieved() -> AsyncIterator[list[dict[str, Any]]]:
    """What the event loop reports as never retrieved (task exceptions) during the test."""
    loop = asyncio.get_running_loop()
    reports: list[dict[str, Any]] = []
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: reports.append(context))
    yield reports
    gc.collect()  # an unretrieved task exception is reported when the task is collected
    loop.set_exception_handler(previous)


def _full_or_read_only(database_url: str) -> FaultKind:
    return "full" if database_url.startswith("sqlite") else "read_only"


async def _assistant(http: httpx.AsyncClient, cid: str) -> dict[str, Any]:
    response = await http.get(f"/api/conversations/{cid}")
    assert response.status_code == 200, response.text
    turns: list[dict[str, Any]] = response.json()["messages"]
    return turns[-1]


async def test_a_stage_write_refused_answers_503_and_a_retry_completes_later(
    live: tuple[LiveServer, httpx.AsyncClient],
    database_url: str,
    unretrieved: list[dict[str, Any]],
) -> None:
    _server, http = live
    cid = await new_conversation(http)
    kind = _full_or_read_only(database_url)
    with StorageFault(database_url, kind=kind, trip_on="INSERT INTO model_calls") as fault:
        refused = await http.post(f"/api/conversations/{cid}/message", json={"content": "hi"})
        assert fault.tripped
        # While the database still refuses, the run reads as ended, with the reason.
        during = await _assistant(http, cid)
        fault.clear()
        after = await _assistant(http, cid)
        run_id = after["run_id"]
        events = await stream_events(http, f"/api/conversations/{cid}/runs/{run_id}/retry")
        done = await _assistant(http, cid)

    assert refused.status_code == 503, refused.text
    detail = refused.json()["detail"]
    assert detail["code"] == "storage_unavailable"
    reason = "database or disk is full" if kind == "full" else "read-only"
    assert reason in detail["message"]
    for turn in (during, after):
        assert turn["status"] == "failed"
        assert turn["error"]["code"] == "storage_unavailable"
        assert reason in turn["error"]["message"]
    assert types(events)[-1] == "complete"
    assert done["status"] == "complete" and done["attempts"] == 2
    assert done["stage3"]["response"]
    assert not unretrieved


async def test_a_live_stream_gets_the_error_and_the_retry_resumes_after_the_stored_stage(
    live: tuple[LiveServer, httpx.AsyncClient],
    database_url: str,
    sim: SimServer,
    unretrieved: list[dict[str, Any]],
) -> None:
    _server, http = live
    cid = await new_conversation(http)
    # The stage-2 write (its run update names the label map) is refused; stage 1 is stored.
    with StorageFault(database_url, kind="read_only", trip_on="label_to_model") as fault:
        url = f"/api/conversations/{cid}/message/stream"
        events = await stream_events(http, url, json_body={"content": "stream it"})
        assert fault.tripped
        with_the_row_stuck = await _assistant(http, cid)
        run_id = events[0]["run_id"]
        # The end could not be written: this process knows the run is over, so no 409.
        sim.clear_requests()
        fault.clear()
        retried = await stream_events(http, f"/api/conversations/{cid}/runs/{run_id}/retry")
        done = await _assistant(http, cid)

    assert types(events)[-1] == "error"
    assert events[-1]["code"] == "storage_unavailable"
    assert "read-only" in events[-1]["message"]
    assert "stage2_complete" not in types(events)
    assert with_the_row_stuck["status"] == "failed"
    assert with_the_row_stuck["stages_done"] == 1
    assert types(retried)[-1] == "complete"
    assert done["status"] == "complete" and done["stages_done"] == 3
    kinds = {r.prompt_kind for r in sim.requests}
    assert "answer" not in kinds and {"ranking", "chairman"} <= kinds, "stage 1 asked again"
    assert not unretrieved


async def test_new_work_while_the_database_refuses_is_503_not_500(
    live: tuple[LiveServer, httpx.AsyncClient], database_url: str
) -> None:
    _server, http = live
    cid = await new_conversation(http)
    with StorageFault(database_url, kind="read_only") as fault:
        fault.trip()
        created = await http.post("/api/conversations", json={})
        sent = await http.post(f"/api/conversations/{cid}/message", json={"content": "hi"})
        asked = await http.post(
            "/v1/chat/completions",
            json={"model": "council", "messages": [{"role": "user", "content": "hi"}]},
        )
        fault.clear()
        assert (await http.post("/api/conversations", json={})).status_code == 200
    for response in (created, sent):
        assert response.status_code == 503, response.text
        detail = response.json()["detail"]
        assert detail["code"] == "storage_unavailable"
        assert "read-only" in detail["message"]
    assert asked.status_code == 503, asked.text  # in the OpenAI error format
    assert asked.json()["error"]["code"] == "storage_unavailable"
    assert "read-only" in asked.json()["error"]["message"]
