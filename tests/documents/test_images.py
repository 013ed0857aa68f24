"""Images go to the members that read them, on SQLite and PostgreSQL: a council of one model
whose list says it takes images and one that does not, a chairman that does. Asserted on what
the simulated upstream received model by model, on the note the text-only member is given, and
on the run's record of who saw which image (the API's shape of it)."""

from __future__ import annotations

import hashlib
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from files import make_png
from support import LiveServer

from llmcouncil.config import Settings
from llmcouncil.documents.settings import DocumentSettings
from llmcouncil.presets.settings import PresetSettings
from llmcouncil.sim import FaultSpec, SimServer
from llmcouncil.sim.state import CapturedRequest

VISION = "x-ai/grok-4"  # the simulator's list: text and image
TEXT_ONLY = "meta-llama/llama-3.3-70b-instruct"  # the simulator's list: text
CHAIR = "openai/gpt-4o-mini"  # text and image
TITLE = "google/gemini-2.5-flash"
QUESTION = "What colour is the square in the picture?"


def council(**fields: Any) -> dict[str, PresetSettings]:
    return {
        "default": PresetSettings(
            members=[VISION, TEXT_ONLY], chairman=CHAIR, title_model=TITLE, **fields
        )
    }


async def serve(
    make_settings: Any, start_server: Any, database_url: str, **overrides: Any
) -> LiveServer:
    values: dict[str, Any] = {
        "database_url": database_url,
        "documents": DocumentSettings(extraction="thread"),
        "privacy": {"key": Fernet.generate_key().decode()},  # needed beside PostgreSQL
        "presets": council(),
        **overrides,
    }
    settings: Settings = make_settings(**values)
    server: LiveServer = await start_server(settings)
    # The lists are fetched in the background; a run never waits for them, so the test does.
    await server.runtime.registry.refresh_catalogue(settings.model_refs(), force=True)
    return server


@pytest.fixture
async def vision_server(make_settings: Any, start_server: Any, database_url: str) -> LiveServer:
    return await serve(make_settings, start_server, database_url)


async def ask_about_image(server: LiveServer, png: bytes) -> tuple[str, str, str]:
    """(conversation id, image id, run id) of a question about an attached image."""
    async with httpx.AsyncClient(base_url=server.base_url, timeout=60) as client:
        cid = (await client.post("/api/conversations", json={})).json()["id"]
        uploaded = await client.post(
            f"/api/conversations/{cid}/documents", files={"file": ("photo.png", png, "image/png")}
        )
        assert uploaded.status_code == 201, uploaded.text
        answered = await client.post(
            f"/api/conversations/{cid}/message", json={"content": QUESTION}
        )
        assert answered.status_code == 200, answered.text
        return cid, uploaded.json()["id"], answered.json()["run_id"]


async def shown(server: LiveServer, cid: str, run_id: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as client:
        response = await client.get(f"/api/conversations/{cid}/runs/{run_id}/documents")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def answers(sim: SimServer) -> dict[str, CapturedRequest]:
    """Stage 1's request of each member (its last message is the question)."""
    return {r.model: r for r in sim.requests if r.messages[-1]["content"] == QUESTION}


def pinned_text(request: CapturedRequest) -> str:
    content = request.messages[0]["content"]
    if isinstance(content, str):
        return content
    return "\n".join(p["text"] for p in content if p["type"] == "text")


async def test_the_image_goes_to_the_models_that_read_images_and_the_run_says_who_saw_it(
    vision_server: LiveServer, sim: SimServer
) -> None:
    png = make_png(8, 6)
    cid, image_id, run_id = await ask_about_image(vision_server, png)
    digest = hashlib.sha256(png).hexdigest()

    asked = answers(sim)
    assert set(asked) == {VISION, TEXT_ONLY}
    seen = asked[VISION]
    assert [(i.message, i.media_type, i.bytes, i.sha256) for i in seen.images] == [
        (0, "image/png", len(png), digest)
    ]
    parts = seen.messages[0]["content"]
    assert [p["type"] for p in parts] == ["text", "image_url"]
    assert "photo.png" in pinned_text(seen) and "not shown to you" not in pinned_text(seen)

    blind = asked[TEXT_ONLY]
    assert blind.images == []
    note = pinned_text(blind)
    assert "photo.png" in note and "not shown to you" in note

    # Reviewers judge text answers; the chairman reads images, so it is sent the image too.
    reviews = [r for r in sim.requests if r.prompt_kind == "ranking"]
    assert reviews and all(r.images == [] for r in reviews)
    chair = [r for r in sim.requests if r.model == CHAIR]
    assert len(chair) == 1 and [i.sha256 for i in chair[0].images] == [digest]
    assert all(r.images == [] for r in sim.requests if r.model == TITLE)

    record = await shown(vision_server, cid, run_id)
    assert record["images"] == [
        {
            "document_id": image_id,
            "filename": "photo.png",
            "seen_by": [VISION, CHAIR],
            "left_out_for": [TEXT_ONLY],
            "reason": "does not read images",
        }
    ]
    assert record["images_left_out"] == [image_id]


async def test_a_follow_up_still_sends_the_image_and_a_run_without_images_sends_plain_text(
    vision_server: LiveServer, sim: SimServer
) -> None:
    png = make_png(3, 3)
    async with httpx.AsyncClient(base_url=vision_server.base_url, timeout=60) as client:
        plain = (await client.post("/api/conversations", json={})).json()["id"]
        sent = await client.post(f"/api/conversations/{plain}/message", json={"content": QUESTION})
        assert sent.status_code == 200
        # No image in the conversation: every message is plain text on the wire.
        assert all(
            isinstance(m["content"], str) and r.images == []
            for r in sim.requests
            for m in r.messages
        )
    cid, _, _ = await ask_about_image(vision_server, png)
    sim.clear_requests()
    async with httpx.AsyncClient(base_url=vision_server.base_url, timeout=60) as client:
        again = await client.post(f"/api/conversations/{cid}/message", json={"content": "And?"})
        assert again.status_code == 200
    follow = {r.model: r for r in sim.requests if r.messages[-1]["content"] == "And?"}
    assert [i.sha256 for i in follow[VISION].images] == [hashlib.sha256(png).hexdigest()]
    assert follow[TEXT_ONLY].images == []


async def test_configuration_names_a_model_that_reads_images_when_its_list_says_nothing(
    make_settings: Any, start_server: Any, database_url: str, sim: SimServer
) -> None:
    # The text-only model is vouched for by configuration (as for an upstream whose model
    # list states no modalities); the simulator takes images from an id it does not describe.
    server = await serve(
        make_settings,
        start_server,
        database_url,
        presets={
            "default": PresetSettings(
                members=["acme/unlisted-vision", TEXT_ONLY], chairman=TEXT_ONLY, title_model=TITLE
            )
        },
        documents=DocumentSettings(extraction="thread", vision=["acme/unlisted-vision"]),
    )
    png = make_png()
    cid, image_id, run_id = await ask_about_image(server, png)
    asked = answers(sim)
    assert len(asked["acme/unlisted-vision"].images) == 1
    assert asked[TEXT_ONLY].images == []
    record = await shown(server, cid, run_id)
    assert record["images"][0]["seen_by"] == ["acme/unlisted-vision"]
    assert record["images"][0]["left_out_for"] == [TEXT_ONLY]


async def test_under_a_block_policy_no_model_is_sent_an_image(
    make_settings: Any, start_server: Any, database_url: str, sim: SimServer
) -> None:
    server = await serve(
        make_settings, start_server, database_url, presets=council(pii_policy="block")
    )
    cid, image_id, run_id = await ask_about_image(server, make_png())
    assert all(r.images == [] for r in sim.requests)
    assert "not shown to you" in pinned_text(answers(sim)[VISION])
    record = await shown(server, cid, run_id)
    assert record["images"][0]["seen_by"] == []
    assert record["images"][0]["left_out_for"] == [VISION, TEXT_ONLY, CHAIR]
    assert "pii_policy is block" in record["images"][0]["reason"]


async def test_revision_rounds_and_self_moa_samples_see_the_image_too(
    make_settings: Any, start_server: Any, database_url: str, sim: SimServer
) -> None:
    server = await serve(
        make_settings,
        start_server,
        database_url,
        presets={
            "default": council(mode="revise")["default"],
            "samples": PresetSettings(
                members=[VISION, TEXT_ONLY], chairman=CHAIR, mode="self-moa", samples=2
            ),
        },
    )
    png = make_png(2, 5)
    digest = hashlib.sha256(png).hexdigest()
    await ask_about_image(server, png)
    revisions = {r.model: r for r in sim.requests if r.prompt_kind == "revision"}
    assert set(revisions) == {VISION, TEXT_ONLY}
    assert [i.sha256 for i in revisions[VISION].images] == [digest]
    assert revisions[TEXT_ONLY].images == []

    sim.clear_requests()
    async with httpx.AsyncClient(base_url=server.base_url, timeout=60) as client:
        cid = (await client.post("/api/conversations", json={"preset": "samples"})).json()["id"]
        uploaded = await client.post(
            f"/api/conversations/{cid}/documents", files={"file": ("photo.png", png, "image/png")}
        )
        assert uploaded.status_code == 201
        answered = await client.post(
            f"/api/conversations/{cid}/message", json={"content": QUESTION}
        )
        assert answered.status_code == 200, answered.text
    samples = [r for r in sim.requests if r.messages[-1]["content"] == QUESTION]
    assert [r.model for r in samples] == [VISION, VISION]  # the first member, sampled twice
    assert all([i.sha256 for i in r.images] == [digest] for r in samples)
    # The text-only member only reviewed: it is not named among those an image was for.
    (image,) = (await shown(server, cid, answered.json()["run_id"]))["images"]
    assert (image["seen_by"], image["left_out_for"]) == ([VISION, CHAIR], [])


async def test_in_a_mode_without_a_chairman_the_record_names_only_the_members(
    make_settings: Any, start_server: Any, database_url: str, sim: SimServer
) -> None:
    server = await serve(make_settings, start_server, database_url, presets=council(mode="answers"))
    cid, _, run_id = await ask_about_image(server, make_png())
    assert CHAIR not in {r.model for r in sim.requests}
    (image,) = (await shown(server, cid, run_id))["images"]
    assert (image["seen_by"], image["left_out_for"]) == ([VISION], [TEXT_ONLY])


async def test_a_member_that_reads_images_falls_back_only_to_models_that_read_them(
    make_settings: Any, start_server: Any, database_url: str, sim: SimServer
) -> None:
    blind_fallback, seeing_fallback = "deepseek/deepseek-chat", "anthropic/claude-haiku-4.5"
    server = await serve(
        make_settings,
        start_server,
        database_url,
        presets=council(fallbacks={VISION: [blind_fallback, seeing_fallback]}),
    )
    refused = [FaultSpec(status=401, prompt_kind="answer")]
    sim.configure(sim.config.model_copy(update={"faults": {VISION: refused}}))
    png = make_png(4, 4)
    cid, _, run_id = await ask_about_image(server, png)
    asked = [r for r in sim.requests if r.messages[-1]["content"] == QUESTION]
    assert blind_fallback not in {r.model for r in asked}  # it would not have seen the image
    (stood_in,) = [r for r in asked if r.model == seeing_fallback]
    assert [i.sha256 for i in stood_in.images] == [hashlib.sha256(png).hexdigest()]
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as client:
        run = (await client.get(f"/api/conversations/{cid}")).json()["messages"][-1]
    answers = {a["model"]: a for a in run["stage1"]}
    assert VISION in answers  # answered by its fallback, under its own name
