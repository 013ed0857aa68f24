"""Reading mode on the real server, on SQLite and PostgreSQL: chapter summaries written once by
the title model when a later chapter is first discussed, stored, and reused (asserted on the
requests the simulated upstream received); the message request's ``section``; a summary that
cannot be written is left out with a note and the run goes on."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from files import chapter_text, make_epub
from support import CHAIRMAN, MEMBERS

from llmcouncil.config import Settings
from llmcouncil.documents.settings import DocumentSettings
from llmcouncil.documents.summaries import SUMMARY_MARKER
from llmcouncil.sim import FaultSpec, SimServer

TITLE_MODEL = "google/gemini-2.5-flash"  # the test preset's (conftest.make_settings)


@pytest.fixture
async def client(make_settings: Any, start_server: Any, database_url: str) -> Any:
    settings: Settings = make_settings(
        database_url=database_url,
        documents=DocumentSettings(extraction="thread"),
        privacy={"key": Fernet.generate_key().decode()},  # needed beside PostgreSQL
    )
    server = await start_server(settings)
    async with httpx.AsyncClient(base_url=server.base_url, timeout=60) as http:
        yield http


async def _book(client: httpx.AsyncClient) -> tuple[str, str, dict[str, int]]:
    """A conversation holding a four-chapter book; the chapters' positions by number."""
    cid = (await client.post("/api/conversations", json={})).json()["id"]
    upload = await client.post(
        f"/api/conversations/{cid}/documents",
        files={"file": ("book.epub", make_epub(chapters=4), "application/epub+zip")},
    )
    assert upload.status_code == 201, upload.text
    doc = upload.json()["id"]
    contents = (await client.get(f"/api/conversations/{cid}/documents/{doc}")).json()["contents"]
    return cid, doc, {e["number"]: e["position"] for e in contents if e["level"] == 1}


def _summary_requests(sim: SimServer) -> list[Any]:
    return [r for r in sim.requests if SUMMARY_MARKER in r.messages[-1]["content"]]


def _summarised(request: Any) -> str:
    """Which chapter a summary request was about: the first words of its text."""
    prompt = str(request.messages[-1]["content"])
    return next(str(i + 1) for i in range(4) if chapter_text(i, paragraphs=1)[0] in prompt)


async def test_summaries_are_written_once_and_reused(
    client: httpx.AsyncClient, sim: SimServer
) -> None:
    cid, doc, chapters = await _book(client)
    sim.clear_requests()
    asked = await client.post(
        f"/api/conversations/{cid}/documents/{doc}/sections/{chapters['3']}/discuss",
        json={"content": "What happens on the mountain?"},
    )
    assert asked.status_code == 200, asked.text
    written = _summary_requests(sim)
    assert sorted(_summarised(r) for r in written) == ["1", "2"]
    assert {r.model for r in written} == {TITLE_MODEL}
    members = [
        r for r in sim.requests if r.messages[-1]["content"] == "What happens on the mountain?"
    ]
    assert {r.model for r in members} == set(MEMBERS)
    pinned = members[0].messages[0]["content"]
    assert "Summaries of the chapters before the one discussed:" in pinned
    assert chapter_text(2, paragraphs=1)[0] in pinned  # the chapter itself

    run_id = asked.json()["run_id"]
    shown = (await client.get(f"/api/conversations/{cid}/runs/{run_id}/documents")).json()
    assert shown["summaries_made"] == 2 and shown["notes"] == []
    assert shown["focus"] == {"document_id": doc, "section": "3"}
    first = (
        await client.get(f"/api/conversations/{cid}/documents/{doc}/sections/{chapters['1']}")
    ).json()
    assert first["has_summary"] is True and first["summary"]
    assert first["summary"] in pinned

    # Chapter 4 through the message request's section: only chapter 3 lacks a summary.
    sim.clear_requests()
    fourth = await client.post(
        f"/api/conversations/{cid}/message",
        json={"content": "And at the end?", "document_id": doc, "section": chapters["4"]},
    )
    assert fourth.status_code == 200, fourth.text
    assert [_summarised(r) for r in _summary_requests(sim)] == ["3"]
    shown = (
        await client.get(f"/api/conversations/{cid}/runs/{fourth.json()['run_id']}/documents")
    ).json()
    assert shown["focus"] == {"document_id": doc, "section": "4"}

    # Chapter 3 again: every summary it needs is stored, so none is written.
    sim.clear_requests()
    again = await client.post(
        f"/api/conversations/{cid}/documents/{doc}/sections/{chapters['3']}/discuss",
        json={"content": "Who climbs first?"},
    )
    assert again.status_code == 200
    assert _summary_requests(sim) == []
    members = [r for r in sim.requests if r.messages[-1]["content"] == "Who climbs first?"]
    assert first["summary"] in members[0].messages[0]["content"]


async def test_section_field_is_checked(client: httpx.AsyncClient) -> None:
    cid, doc, _ = await _book(client)
    half = await client.post(
        f"/api/conversations/{cid}/message", json={"content": "Hi", "document_id": doc}
    )
    assert half.status_code == 422 and "go together" in half.text
    unknown = await client.post(
        f"/api/conversations/{cid}/message",
        json={"content": "Hi", "document_id": doc, "section": 999},
    )
    assert unknown.status_code == 404 and "no section 999" in unknown.text
    conversation = (await client.get(f"/api/conversations/{cid}")).json()
    assert conversation["messages"] == []  # refused before any run


async def test_a_summary_that_cannot_be_written_is_left_out_with_a_note(
    client: httpx.AsyncClient, sim: SimServer
) -> None:
    cid, doc, chapters = await _book(client)
    refused = [FaultSpec(status=401, prompt_kind="answer")]  # the title model and its fallback
    sim.configure(
        sim.config.model_copy(update={"faults": {TITLE_MODEL: refused, CHAIRMAN: refused}})
    )
    sim.clear_requests()
    asked = await client.post(
        f"/api/conversations/{cid}/documents/{doc}/sections/{chapters['2']}/discuss",
        json={"content": "What grows in the orchard?"},
    )
    assert asked.status_code == 200, asked.text
    assert asked.json()["stage3"]["response"]
    assert {r.model for r in _summary_requests(sim)} == {TITLE_MODEL, CHAIRMAN}
    shown = (
        await client.get(f"/api/conversations/{cid}/runs/{asked.json()['run_id']}/documents")
    ).json()
    assert shown["summaries_made"] == 0
    assert len(shown["notes"]) == 1 and shown["notes"][0].startswith("no summary of §1")
    first = (
        await client.get(f"/api/conversations/{cid}/documents/{doc}/sections/{chapters['1']}")
    ).json()
    assert first["has_summary"] is False

    # Once the model answers again, the next discussion writes it.
    sim.configure(sim.config.model_copy(update={"faults": {}}))
    sim.clear_requests()
    again = await client.post(
        f"/api/conversations/{cid}/documents/{doc}/sections/{chapters['2']}/discuss",
        json={"content": "And the apples?"},
    )
    assert again.status_code == 200
    assert [_summarised(r) for r in _summary_requests(sim)] == ["1"]


async def test_a_retried_reading_mode_run_discusses_the_same_chapter(
    client: httpx.AsyncClient, sim: SimServer
) -> None:
    cid, doc, chapters = await _book(client)
    sim.configure(
        sim.config.model_copy(
            update={"faults": {"*": [FaultSpec(status=500, prompt_kind="chairman")]}}
        )
    )
    asked = await client.post(
        f"/api/conversations/{cid}/documents/{doc}/sections/{chapters['3']}/discuss",
        json={"content": "Who climbs the mountain?"},
    )
    assert asked.status_code == 200, asked.text
    run_id = asked.json()["run_id"]
    assert asked.json()["status"] != "complete" or asked.json()["stage3"]["degraded"]
    sim.configure(sim.config.model_copy(update={"faults": {}}))
    sim.clear_requests()
    retried = await client.post(f"/api/conversations/{cid}/runs/{run_id}/retry")
    assert retried.status_code == 200, retried.text
    shown = (await client.get(f"/api/conversations/{cid}/runs/{run_id}/documents")).json()
    assert shown["focus"] == {"document_id": doc, "section": "3"}
    chairman = [r for r in sim.requests if r.prompt_kind == "chairman"]
    assert chairman and "Summaries of the chapters before the one discussed:" in str(
        chairman[-1].messages
    )
