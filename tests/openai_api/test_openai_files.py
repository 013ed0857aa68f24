"""The official ``openai`` SDK sending files and images inline, on SQLite and PostgreSQL: they
become documents of the conversation the request opens (asserted on what the simulated
upstream received and on what was stored), and bad ones are OpenAI-format errors that store
nothing."""

from __future__ import annotations

import base64
import importlib.util
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from cryptography.fernet import Fernet
from openai import AsyncOpenAI
from support import MEMBERS, LiveServer

from llmcouncil.config import Settings
from llmcouncil.documents.settings import DocumentSettings
from llmcouncil.sim import SimServer

_spec = importlib.util.spec_from_file_location(
    "document_files", Path(__file__).parent.parent / "documents" / "files.py"
)
assert _spec is not None and _spec.loader is not None
files = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(files)

BOOK = (
    b"# The Harbour\n\nThe lighthouse keeper counts ships by lantern light every night.\n\n"
    b"# The Orchard\n\nApple trees grow in crooked rows behind the old stone wall.\n"
)
LIMIT = 300_000


def data_url(media: str, data: bytes) -> str:
    return f"data:{media};base64,{base64.b64encode(data).decode()}"


def file_part(name: str, file_data: str) -> dict[str, Any]:
    return {"type": "file", "file": {"filename": name, "file_data": file_data}}


@pytest.fixture
async def live(make_settings: Any, start_server: Any, database_url: str) -> LiveServer:
    settings: Settings = make_settings(
        database_url=database_url,
        documents=DocumentSettings(extraction="thread", max_file_bytes=LIMIT),
        privacy={"key": Fernet.generate_key().decode()},  # needed beside PostgreSQL
        # No model list, and none configured as reading images: every member is sent text
        # (tests/documents/test_images.py has the members that read images).
        catalogue={"enabled": False},
    )
    server: LiveServer = await start_server(settings)
    return server


def sdk(server: LiveServer) -> AsyncOpenAI:
    return AsyncOpenAI(base_url=f"{server.base_url}/v1", api_key="local-mode", max_retries=0)


async def test_a_file_and_an_image_are_attached_and_shown_to_every_member(
    live: LiveServer, sim: SimServer
) -> None:
    question = "Who counts the ships?"
    messages: Any = [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": question},
                file_part("harbour.md", data_url("text/markdown", BOOK)),
                {
                    "type": "image_url",
                    "image_url": {"url": data_url("image/png", files.make_png())},
                },
            ],
        }
    ]
    async with sdk(live) as api:
        completion = await api.chat.completions.create(model="council", messages=messages)
    council = completion.model_extra["council"] if completion.model_extra else {}
    assert completion.choices[0].message.content

    asked = [r for r in sim.requests if r.messages[-1]["content"] == question]
    assert {r.model for r in asked} == set(MEMBERS)
    for request in asked:
        pinned = request.messages[0]["content"]
        assert "The lighthouse keeper counts ships" in pinned
        assert "image-1.png" in pinned  # said to be left out: no model here reads images

    async with httpx.AsyncClient(base_url=live.base_url, timeout=30) as client:
        cid = council["conversation_id"]
        stored = (await client.get(f"/api/conversations/{cid}/documents")).json()
        assert [(d["kind"], d["filename"]) for d in stored] == [
            ("markdown", "harbour.md"),
            ("image", "image-1.png"),
        ]
        image = await client.get(f"/api/conversations/{cid}/documents/{stored[1]['id']}/content")
        assert image.content == files.make_png()
        shown = (
            await client.get(f"/api/conversations/{cid}/runs/{council['run_id']}/documents")
        ).json()
        assert shown["images_left_out"] == [stored[1]["id"]]
        assert shown["documents"][0]["description"] == "all 2 chapters"


@pytest.mark.parametrize(
    ("part", "status", "needle"),
    [
        (file_part("a.pdf", "data:application/pdf;base64,@@not base64@@"), 400, "not valid base64"),
        (file_part("a.pdf", "data:application/pdf,plain"), 400, "data:<media type>;base64"),
        ({"type": "file", "file": {"file_id": "file-abc"}}, 400, "file_id is not supported"),
        (file_part("big.txt", data_url("text/plain", b"word " * LIMIT)), 413, "limit"),
        (file_part("anim.gif", data_url("image/gif", b"GIF89a\x01\x00\x01\x00")), 415, "anim.gif"),
        (file_part("cut.pdf", data_url("application/pdf", files.make_pdf()[:700])), 400, "cut.pdf"),
        (
            {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}},
            400,
            "fetches no URL",
        ),
    ],
)
async def test_a_bad_file_is_an_openai_error_and_nothing_is_stored(
    live: LiveServer, part: dict[str, Any], status: int, needle: str
) -> None:
    messages: Any = [{"role": "user", "content": [{"type": "text", "text": "Read this"}, part]}]
    async with sdk(live) as api:
        with pytest.raises(openai.APIStatusError) as caught:
            await api.chat.completions.create(model="council", messages=messages)
    assert caught.value.status_code == status
    error = caught.value.response.json()["error"]
    assert error["type"] == "invalid_request_error" and needle in error["message"]
    async with httpx.AsyncClient(base_url=live.base_url, timeout=30) as client:
        assert (await client.get("/api/conversations")).json() == []


async def test_files_in_an_assistant_message_are_refused(live: LiveServer) -> None:
    messages: Any = [
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": [file_part("a.md", data_url("text/markdown", BOOK))]},
        {"role": "user", "content": "And?"},
    ]
    async with sdk(live) as api:
        with pytest.raises(openai.BadRequestError, match="user messages only"):
            await api.chat.completions.create(model="council", messages=messages)
