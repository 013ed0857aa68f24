"""Documents over HTTP on the real server, on SQLite and PostgreSQL: upload, table of contents,
sections, refusals that store nothing, and pinned context on every question (asserted on what
the simulated upstream received)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from files import (
    CHAPTERS,
    chapter_text,
    encrypt_pdf,
    make_docx,
    make_epub,
    make_pdf,
    make_png,
    make_zip_bomb,
)
from support import CHAIRMAN, MEMBERS

from llmcouncil.config import Settings
from llmcouncil.documents.settings import DocumentSettings
from llmcouncil.sim import SimServer


@pytest.fixture
async def docs_client(make_settings: Any, start_server: Any, database_url: str) -> Any:
    settings: Settings = make_settings(
        database_url=database_url,
        documents=DocumentSettings(extraction="thread", max_file_bytes=2_000_000),
        privacy={"key": Fernet.generate_key().decode()},  # needed beside PostgreSQL
    )
    server = await start_server(settings)
    async with httpx.AsyncClient(base_url=server.base_url, timeout=60) as http:
        yield http


async def new_conversation(client: httpx.AsyncClient) -> str:
    response = await client.post("/api/conversations", json={})
    assert response.status_code in (200, 201)
    return str(response.json()["id"])


async def upload(
    client: httpx.AsyncClient,
    cid: str,
    name: str,
    data: bytes,
    media: str = "application/octet-stream",
) -> httpx.Response:
    return await client.post(
        f"/api/conversations/{cid}/documents", files={"file": (name, data, media)}
    )


async def test_upload_list_contents_section_duplicate_and_delete(
    docs_client: httpx.AsyncClient,
) -> None:
    cid = await new_conversation(docs_client)
    # One file's bytes, sent twice (an EPUB made again carries a new modification time).
    epub = make_epub(chapters=4)
    created = await upload(docs_client, cid, "book.epub", epub)
    assert created.status_code == 201, created.text
    book = created.json()
    assert (book["kind"], book["title"], book["chapters"]) == ("epub", "A Test Book", 4)

    again = await upload(docs_client, cid, "copy.epub", epub)
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert again.json()["id"] == book["id"]

    listed = (await docs_client.get(f"/api/conversations/{cid}/documents")).json()
    assert [d["id"] for d in listed] == [book["id"]]

    detail = (await docs_client.get(f"/api/conversations/{cid}/documents/{book['id']}")).json()
    assert [(e["number"], e["title"]) for e in detail["contents"] if e["level"] == 1] == [
        (str(i + 1), f"Chapter {i + 1}: {title}") for i, (title, _) in enumerate(CHAPTERS)
    ]
    third = next(e for e in detail["contents"] if e["number"] == "3")
    section = (
        await docs_client.get(
            f"/api/conversations/{cid}/documents/{book['id']}/sections/{third['position']}"
        )
    ).json()
    assert section["title"] == "Chapter 3: The Mountain"
    assert chapter_text(2)[0] in section["text"]

    gone = await docs_client.delete(f"/api/conversations/{cid}/documents/{book['id']}")
    assert gone.status_code == 204
    assert (await docs_client.get(f"/api/conversations/{cid}/documents")).json() == []


@pytest.mark.parametrize(
    ("name", "make", "status", "code"),
    [
        ("locked.pdf", lambda: encrypt_pdf(make_pdf()), 422, "document_encrypted"),
        ("cut.pdf", lambda: make_pdf()[:700], 422, "document_corrupt"),
        ("scan.pdf", lambda: make_pdf(text=False), 422, "document_no_text"),
        ("bomb.epub", lambda: make_zip_bomb(kind="epub"), 422, "archive_bomb"),
        ("bomb.docx", lambda: make_zip_bomb(kind="docx"), 422, "archive_bomb"),
        ("big.txt", lambda: b"word " * 500_000, 413, "content_too_large"),
        ("anim.gif", lambda: b"GIF89a\x01\x00\x01\x00\x00\x00\x00", 415, "unsupported_media_type"),
    ],
)
async def test_bad_files_are_refused_and_nothing_is_stored(
    docs_client: httpx.AsyncClient, name: str, make: Any, status: int, code: str
) -> None:
    cid = await new_conversation(docs_client)
    response = await upload(docs_client, cid, name, make())
    assert response.status_code == status, response.text
    assert response.json()["detail"]["code"] == code
    assert (await docs_client.get(f"/api/conversations/{cid}/documents")).json() == []
    conversation = (await docs_client.get(f"/api/conversations/{cid}")).json()
    assert conversation["messages"] == []


async def test_pdf_docx_and_image_uploads(docs_client: httpx.AsyncClient) -> None:
    cid = await new_conversation(docs_client)
    pdf = (await upload(docs_client, cid, "book.pdf", make_pdf(chapters=2))).json()
    assert (pdf["kind"], pdf["pages"], pdf["chapters"]) == ("pdf", 4, 2)
    contents = (await docs_client.get(f"/api/conversations/{cid}/documents/{pdf['id']}")).json()
    assert [(e["number"], e["page_start"], e["page_end"]) for e in contents["contents"]] == [
        ("1", 1, 2),
        ("2", 3, 4),
    ]
    report = (await upload(docs_client, cid, "report.docx", make_docx(chapters=2))).json()
    assert report["kind"] == "docx" and report["chapters"] == 2
    image = await upload(docs_client, cid, "photo.png", make_png(6, 4), "image/png")
    assert image.status_code == 201
    assert image.json()["metadata"] == {"width": 6, "height": 4}
    content = await docs_client.get(
        f"/api/conversations/{cid}/documents/{image.json()['id']}/content"
    )
    assert content.content == make_png(6, 4) and content.headers["content-type"] == "image/png"


async def test_personal_data_in_a_document_is_stored_and_sent_as_placeholders(
    docs_client: httpx.AsyncClient, sim: SimServer
) -> None:
    cid = await new_conversation(docs_client)
    text = b"# Contacts\n\nWrite to jane.doe@example.com about the harbour lighthouse.\n"
    doc = (await upload(docs_client, cid, "contacts.md", text, "text/markdown")).json()
    assert doc["privacy"]["redactions"] == {"EMAIL_ADDRESS": 1}
    section = (
        await docs_client.get(f"/api/conversations/{cid}/documents/{doc['id']}/sections/0")
    ).json()
    assert "jane.doe@example.com" in section["text"]  # restored for its owner
    sim.clear_requests()
    answered = await docs_client.post(
        f"/api/conversations/{cid}/message", json={"content": "Who do I write to?"}
    )
    assert answered.status_code == 200
    sent = [m["content"] for r in sim.requests for m in r.messages]
    assert any("<EMAIL_ADDRESS_1>" in c or "<EMAIL_1>" in c for c in sent)
    assert not any("jane.doe@example.com" in c for c in sent)


async def test_a_follow_up_after_a_long_document_still_carries_it(
    make_settings: Any, start_server: Any, sim: SimServer
) -> None:
    """The history budget drops old turns, never the document; the run says so."""
    settings: Settings = make_settings(
        documents=DocumentSettings(extraction="thread", context_chars=400_000),
        limits={"max_history_chars": 100},
    )
    server = await start_server(settings)
    async with httpx.AsyncClient(base_url=server.base_url, timeout=60) as client:
        cid = await new_conversation(client)
        book = make_epub(chapters=4, paragraphs=120)  # ~80,000 characters
        doc = (await upload(client, cid, "book.epub", book)).json()
        assert doc["chars"] > 50_000
        for question in ("What happens at the harbour?", "And in the orchard?", "And later?"):
            sim.clear_requests()
            answered = await client.post(
                f"/api/conversations/{cid}/message", json={"content": question}
            )
            assert answered.status_code == 200, answered.text
            firsts = [r for r in sim.requests if r.messages[-1]["content"] == question]
            assert {r.model for r in firsts} == set(MEMBERS)
            for request in firsts:
                pinned = request.messages[0]["content"]
                assert all(chapter_text(i, paragraphs=1)[0] in pinned for i in range(4))
        run_id = answered.json()["run_id"]
        shown = (await client.get(f"/api/conversations/{cid}/runs/{run_id}/documents")).json()
        assert shown["complete"] is True
        assert shown["documents"][0]["description"] == "all 4 chapters"
        assert shown["dropped_turns"] >= 1  # the budget left earlier turns out, and says so
        assert set(MEMBERS) <= set(shown["models"])


async def test_retrieval_shows_the_relevant_chapter_when_the_book_does_not_fit(
    make_settings: Any, start_server: Any, sim: SimServer
) -> None:
    # Set per model: a window configured for a model wins over the one its catalogue states.
    windows = dict.fromkeys([*MEMBERS, CHAIRMAN], 9000)
    settings: Settings = make_settings(
        documents=DocumentSettings(extraction="thread", model_context_chars=windows),
    )
    server = await start_server(settings)
    async with httpx.AsyncClient(base_url=server.base_url, timeout=60) as client:
        cid = await new_conversation(client)
        doc = (await upload(client, cid, "book.epub", make_epub(chapters=4, paragraphs=40))).json()
        assert doc["chars"] > 20_000  # four chapters of about 6,000
        question = "What do the climbers find near the glacier summit?"
        answered = await client.post(
            f"/api/conversations/{cid}/message", json={"content": question}
        )
        assert answered.status_code == 200
        firsts = [r for r in sim.requests if r.messages[-1]["content"] == question]
        pinned = (
            firsts[0]["messages"][0]["content"]
            if isinstance(firsts[0], dict)
            else firsts[0].messages[0]["content"]
        )
        assert chapter_text(2, paragraphs=1)[0] in pinned  # the mountain chapter
        assert chapter_text(1, paragraphs=1)[0] not in pinned  # the orchard did not fit
        assert "§2 Chapter 2: The Orchard" in pinned  # but its heading is in the contents
        run_id = answered.json()["run_id"]
        shown = (await client.get(f"/api/conversations/{cid}/runs/{run_id}/documents")).json()
        assert shown["complete"] is False
        assert shown["documents"][0]["description"].startswith("chapter 3 of 4")
        assert "3" in [s["number"] for s in shown["documents"][0]["sections"]]


async def test_a_member_with_a_larger_window_reads_more_of_the_book_and_the_run_says_so(
    make_settings: Any, start_server: Any, sim: SimServer
) -> None:
    """The smallest window sets what every model is sent, except the models whose windows
    (with their fallbacks') take more: each of those gets its own larger share, and the record
    says what each saw. A member whose fallback has a small window keeps the small share, so
    its fallback can still answer for it."""
    big, small, held = MEMBERS[0], MEMBERS[1], MEMBERS[2]
    windows = {**dict.fromkeys([*MEMBERS, CHAIRMAN], 9000), big: 400_000, held: 400_000}
    settings: Settings = make_settings(
        documents=DocumentSettings(extraction="thread", model_context_chars=windows),
        preset={"fallbacks": {held: [small]}},
    )
    server = await start_server(settings)
    async with httpx.AsyncClient(base_url=server.base_url, timeout=60) as client:
        cid = await new_conversation(client)
        doc = (await upload(client, cid, "book.epub", make_epub(chapters=4, paragraphs=40))).json()
        assert doc["chars"] > 20_000
        question = "What do the climbers find near the glacier summit?"
        sim.clear_requests()
        answered = await client.post(
            f"/api/conversations/{cid}/message", json={"content": question}
        )
        assert answered.status_code == 200, answered.text
        firsts = {r.model: r for r in sim.requests if r.messages[-1]["content"] == question}
        whole = firsts[big].messages[0]["content"]
        part = firsts[small].messages[0]["content"]
        assert all(chapter_text(i, paragraphs=1)[0] in whole for i in range(4))
        assert chapter_text(2, paragraphs=1)[0] in part
        assert chapter_text(1, paragraphs=1)[0] not in part
        assert firsts[held].messages[0]["content"] == part
        chair = next(r for r in sim.requests if r.prompt_kind == "chairman")
        assert chapter_text(1, paragraphs=1)[0] not in chair.messages[0]["content"]
        run_id = answered.json()["run_id"]
        shown = (await client.get(f"/api/conversations/{cid}/runs/{run_id}/documents")).json()
    assert shown["complete"] is False
    assert shown["documents"][0]["description"].startswith("chapter 3 of 4")
    assert list(shown["by_model"]) == [big]
    own = shown["by_model"][big]
    assert own["complete"] is True and own["documents"][0]["description"] == "all 4 chapters"
