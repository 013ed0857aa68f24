"""``/v1`` images through the official ``openai`` SDK, on SQLite and PostgreSQL: an ``image_url``
part with a data URL reaches the member whose model reads images and not the other (asserted on
what the simulated upstream received), the run records who saw it, and a bad, oversized or
unsupported image is an OpenAI-format 4xx that stores nothing and calls no model."""

from __future__ import annotations

import base64
import hashlib
import importlib.util
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from cryptography.fernet import Fernet
from openai import AsyncOpenAI
from support import LiveServer

from llmcouncil.config import Settings
from llmcouncil.documents.settings import DocumentSettings
from llmcouncil.presets.settings import PresetSettings
from llmcouncil.sim import SimServer

_spec = importlib.util.spec_from_file_location(
    "document_files", Path(__file__).parent.parent / "documents" / "files.py"
)
assert _spec is not None and _spec.loader is not None
files = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(files)

VISION = "x-ai/grok-4"
TEXT_ONLY = "meta-llama/llama-3.3-70b-instruct"
CHAIR = "openai/gpt-4o-mini"
IMAGE_LIMIT = 2_000


def data_url(media: str, data: bytes) -> str:
    return f"data:{media};base64,{base64.b64encode(data).decode()}"


def image(url: str) -> dict[str, Any]:
    return {"type": "image_url", "image_url": {"url": url}}


@pytest.fixture
async def live(make_settings: Any, start_server: Any, database_url: str) -> LiveServer:
    settings: Settings = make_settings(
        database_url=database_url,
        documents=DocumentSettings(extraction="thread", max_image_bytes=IMAGE_LIMIT),
        privacy={"key": Fernet.generate_key().decode()},  # needed beside PostgreSQL
        presets={
            "default": PresetSettings(
                members=[VISION, TEXT_ONLY], chairman=CHAIR, title_model="google/gemini-2.5-flash"
            )
        },
    )
    server: LiveServer = await start_server(settings)
    await server.runtime.registry.refresh_catalogue(settings.model_refs(), force=True)
    return server


def sdk(server: LiveServer) -> AsyncOpenAI:
    return AsyncOpenAI(base_url=f"{server.base_url}/v1", api_key="local-mode", max_retries=0)


async def test_an_image_url_part_reaches_the_member_that_reads_images(
    live: LiveServer, sim: SimServer
) -> None:
    png = files.make_png(5, 5)
    question = "Describe the picture."
    messages: Any = [
        {
            "role": "user",
            "content": [{"type": "text", "text": question}, image(data_url("image/png", png))],
        }
    ]
    async with sdk(live) as api:
        completion = await api.chat.completions.create(model="council", messages=messages)
    council = completion.model_extra["council"] if completion.model_extra else {}

    asked = {r.model: r for r in sim.requests if r.messages[-1]["content"] == question}
    assert [i.sha256 for i in asked[VISION].images] == [hashlib.sha256(png).hexdigest()]
    assert asked[TEXT_ONLY].images == []
    assert "image-1.png" in asked[TEXT_ONLY].messages[0]["content"]

    async with httpx.AsyncClient(base_url=live.base_url, timeout=30) as client:
        cid, run_id = council["conversation_id"], council["run_id"]
        record = (await client.get(f"/api/conversations/{cid}/runs/{run_id}/documents")).json()
    assert [(i["filename"], i["seen_by"], i["left_out_for"]) for i in record["images"]] == [
        ("image-1.png", [VISION, CHAIR], [TEXT_ONLY])
    ]


@pytest.mark.parametrize(
    ("url", "status", "needle"),
    [
        # A PNG's signature with nothing after it: the image is damaged.
        (data_url("image/png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40), 400, "damaged"),
        (data_url("image/gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"), 415, "not a PNG"),
        (data_url("image/png", b"%PDF-1.7 a document, not an image"), 415, "not a PNG"),
        (data_url("image/png", files.make_png(60, 60) + b"\x00" * IMAGE_LIMIT), 413, "limit"),
        ("data:image/png;base64,@@@", 400, "not valid base64"),
    ],
)
async def test_a_bad_image_is_refused_before_anything_is_stored_or_sent(
    live: LiveServer, sim: SimServer, url: str, status: int, needle: str
) -> None:
    messages: Any = [{"role": "user", "content": [{"type": "text", "text": "Look"}, image(url)]}]
    sim.clear_requests()
    async with sdk(live) as api:
        with pytest.raises(openai.APIStatusError) as caught:
            await api.chat.completions.create(model="council", messages=messages)
    assert caught.value.status_code == status
    error = caught.value.response.json()["error"]
    assert error["type"] == "invalid_request_error" and needle in error["message"]
    assert "messages[0].content[1]" in error["message"]
    async with httpx.AsyncClient(base_url=live.base_url, timeout=30) as client:
        assert (await client.get("/api/conversations")).json() == []
    assert sim.requests == []
