"""Chapter summaries written by the background job (``documents.summaries = "background"``) on
the real server, on SQLite and PostgreSQL: a book read is summarised chapter by chapter but
the last, once, by the title model, charged to the conversation's owner (ledger and budget);
reading mode then shows them without a call; a used-up budget leaves them to the runs.

The job runs on the server's in-process queue; the tests wait for it to end, not for time.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from files import chapter_text, make_epub
from sqlalchemy import select
from support import LiveServer

from llmcouncil.audit.chain import AuditEntry
from llmcouncil.audit.log import AuditFilter
from llmcouncil.config import Settings
from llmcouncil.documents import summary_jobs
from llmcouncil.documents.settings import DocumentSettings
from llmcouncil.documents.summaries import SUMMARY_MARKER
from llmcouncil.documents.summary_jobs import KIND
from llmcouncil.sim import SimServer
from llmcouncil.store import transactions
from llmcouncil.usage.tables import UsageRecordRow

TITLE_MODEL = "google/gemini-2.5-flash"  # the test preset's (conftest.make_settings)
OWNER = "reader-1"


@pytest.fixture
async def server(make_settings: Any, start_server: Any, database_url: str) -> LiveServer:
    settings: Settings = make_settings(
        database_url=database_url,
        documents=DocumentSettings(extraction="thread", summaries="background"),
        privacy={"key": Fernet.generate_key().decode()},  # needed beside PostgreSQL
        usage={"prices": {"*": {"prompt": 1.0, "completion": 2.0}}},  # per million tokens
    )
    started: LiveServer = await start_server(settings)
    return started


async def _book(server: LiveServer, chapters: int = 4) -> tuple[str, str]:
    """(conversation, document): a book attached to a conversation of ``OWNER``, its
    summaries job run to its end."""
    runtime = server.runtime
    conversation = await runtime.store.create_conversation(user_id=OWNER)
    attached = await runtime.document_uploads.service.attach(
        conversation.id, make_epub(chapters=chapters), filename="book.epub"
    )
    await runtime.summary_jobs.queue.wait(KIND, attached.document.id)
    return conversation.id, attached.document.id


async def _audited(server: LiveServer) -> list[AuditEntry]:
    audit = server.runtime.governance.audit
    return await audit.query(AuditFilter(action="document.summaries"))


def _summary_requests(sim: SimServer) -> list[Any]:
    return [r for r in sim.requests if SUMMARY_MARKER in r.messages[-1]["content"]]


def _summarised(request: Any) -> str:
    prompt = str(request.messages[-1]["content"])
    return next(str(i + 1) for i in range(6) if chapter_text(i, paragraphs=1)[0] in prompt)


async def _ledger(server: LiveServer) -> list[UsageRecordRow]:
    def read(session: Any) -> list[UsageRecordRow]:
        return list(session.scalars(select(UsageRecordRow)).all())

    return await transactions.read_session(server.runtime.engine, read)


async def test_a_book_is_summarised_in_the_background_and_charged_to_its_owner(
    server: LiveServer, sim: SimServer
) -> None:
    sim.clear_requests()
    cid, doc = await _book(server)
    written = _summary_requests(sim)
    assert sorted(_summarised(r) for r in written) == ["1", "2", "3"]  # not the last chapter
    assert {r.model for r in written} == {TITLE_MODEL}

    records = await _ledger(server)
    assert len(records) == 3
    assert {(r.run_id, r.model_call_id, r.document_id) for r in records} == {(None, None, doc)}
    assert {(r.user_id, r.conversation_id, r.stage) for r in records} == {(OWNER, cid, 0)}
    assert all(r.cost > 0 and r.cost_source in ("upstream", "price_table") for r in records)
    by_user = await server.runtime.governance.usage.summary(group_by="user")
    assert [(row["id"], row["calls"]) for row in by_user] == [(OWNER, 3)]
    # Audited as a run is: where the document's text went, and what it cost.
    (audited,) = await _audited(server)
    assert (audited.outcome, audited.target, audited.actor.name) == ("success", doc, "system")
    assert audited.details["owner"] == OWNER and audited.details["models"] == [TITLE_MODEL]
    assert audited.details["calls"] == 3 and audited.details["cost"] > 0

    # Delivered again, the job finds every summary made.
    assert await server.runtime.summary_jobs.run(doc) == 0
    assert len(_summary_requests(sim)) == 3

    # Reading mode shows them at once: discussing the last chapter writes none.
    async with httpx.AsyncClient(base_url=server.base_url, timeout=60) as http:
        contents = (await http.get(f"/api/conversations/{cid}/documents/{doc}")).json()["contents"]
        chapters = {e["number"]: e for e in contents if e["level"] == 1}
        assert [chapters[n]["has_summary"] for n in "1234"] == [True, True, True, False]
        sim.clear_requests()
        asked = await http.post(
            f"/api/conversations/{cid}/documents/{doc}/sections/{chapters['4']['position']}"
            "/discuss",
            json={"content": "How does it end?"},
        )
        assert asked.status_code == 200, asked.text
    assert _summary_requests(sim) == []
    members = [r for r in sim.requests if r.messages[-1]["content"] == "How does it end?"]
    pinned = members[0].messages[0]["content"]
    assert "Summaries of the chapters before the one discussed:" in pinned


async def test_an_owner_whose_budget_is_used_up_leaves_the_summaries_to_the_runs(
    server: LiveServer, sim: SimServer
) -> None:
    await server.runtime.governance.usage.set_budget(
        subject_type="user",
        subject_id=OWNER,
        period="month",
        limit_cost=0.0,
        limit_tokens=None,
        hard=True,
    )
    sim.clear_requests()
    cid, doc = await _book(server)
    assert _summary_requests(sim) == [] and await _ledger(server) == []
    (refused,) = await _audited(server)
    assert (refused.outcome, refused.details["reason"]) == ("refused", "budget_exceeded")
    stored = await server.runtime.document_uploads.service.documents.get(cid, doc, sections=True)
    assert [s.summary for s in stored.sections or [] if s.level == 1] == [None] * 4


async def test_a_book_of_one_chapter_gets_no_summary(server: LiveServer, sim: SimServer) -> None:
    sim.clear_requests()
    await _book(server, chapters=1)
    assert _summary_requests(sim) == [] and await _ledger(server) == []


async def test_by_default_only_runs_write_summaries(
    make_settings: Any, start_server: Any, sim: SimServer
) -> None:
    on_demand: LiveServer = await start_server(
        make_settings(documents=DocumentSettings(extraction="thread"))
    )
    assert not on_demand.runtime.summary_jobs.enabled
    sim.clear_requests()
    await _book(on_demand)
    assert _summary_requests(sim) == []


async def test_a_long_book_is_summarised_stored_and_charged_chunk_by_chunk(
    server: LiveServer, sim: SimServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each chunk of chapters is admitted, stored and charged before the next is asked, so a
    job stopped mid-book keeps (and has paid for) what it made."""
    monkeypatch.setattr(summary_jobs, "CHUNK", 2)
    sim.clear_requests()
    cid, doc = await _book(server, chapters=4)  # chapters 1-2, then 3
    assert len(_summary_requests(sim)) == 3
    audited = await _audited(server)
    assert sorted(a.details["calls"] for a in audited) == [1, 2]
    assert len(await _ledger(server)) == 3
    stored = await server.runtime.document_uploads.service.documents.get(cid, doc, sections=True)
    assert [s.summary is not None for s in stored.sections or [] if s.level == 1] == [
        True,
        True,
        True,
        False,
    ]
