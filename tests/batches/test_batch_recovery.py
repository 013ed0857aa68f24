"""In-process mode (no Redis): a server stopped mid-batch leaves it resumable, and the next
server on the database finishes it at start-up, asking again only what was in flight."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import httpx
from cryptography.fernet import Fernet
from support import CHAIRMAN, MEMBERS, serve_app

from llmcouncil.api.app import create_app
from llmcouncil.sim import SimServer

QUESTIONS = ["Why is the sky blue?", "Why is the sea salty?"]


def _asks(request: Any, question: str) -> bool:
    return any(question in str(m.get("content")) for m in request.messages)


async def test_the_next_start_finishes_a_stopped_servers_batch(
    sim: SimServer, make_settings: Any, database_url: str
) -> None:
    settings = make_settings(
        database_url=database_url, privacy={"key": Fernet.generate_key().decode()}
    )
    first = await serve_app(create_app(settings))
    try:
        sim.hold()  # the first question's answers wait at the upstream
        async with httpx.AsyncClient(base_url=first.base_url, timeout=30) as http:
            started = await http.post(
                "/api/batches", json={"questions": QUESTIONS, "concurrency": 1}
            )
            assert started.status_code == 202, started.text
            batch = started.json()["id"]
            await asyncio.wait_for(sim.wait_for_in_flight(len(MEMBERS)), 30)
    finally:
        await first.stop()  # its batch job stops; the run it had is interrupted
    sim.release()

    second = await serve_app(create_app(settings))
    try:
        async with httpx.AsyncClient(base_url=second.base_url, timeout=90) as http:
            done = (await http.get(f"/api/batches/{batch}", params={"wait": 60})).json()
            items = (await http.get(f"/api/batches/{batch}/results")).json()["items"]
    finally:
        await second.stop()
    assert done["status"] == "complete", done
    assert [i["status"] for i in items] == ["done", "done"]
    for position, question in enumerate(QUESTIONS):
        calls = Counter((r.prompt_kind, r.model) for r in sim.requests if _asks(r, question))
        answers = 2 if position == 0 else 1  # held when the first server stopped: asked again
        assert calls == Counter(
            {
                **{("answer", m): answers for m in MEMBERS},
                **{("ranking", m): 1 for m in MEMBERS},
                ("chairman", CHAIRMAN): 1,
            }
        ), (question, calls)
