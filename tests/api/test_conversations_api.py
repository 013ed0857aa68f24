"""Conversation resources and input validation: a client's mistake is a clear 4xx, never a 500."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from support import LiveServer, new_conversation


async def test_create_list_rename_delete(client: httpx.AsyncClient) -> None:
    first = await new_conversation(client)
    second = await new_conversation(client)
    listed = (await client.get("/api/conversations")).json()
    assert [c["id"] for c in listed] == [second, first]
    renamed = await client.patch(f"/api/conversations/{first}", json={"title": "  Tea   notes "})
    assert renamed.status_code == 200 and renamed.json()["title"] == "Tea notes"
    assert [c["id"] for c in (await client.get("/api/conversations?q=tea")).json()] == [first]
    assert (await client.get("/api/conversations?q=100%")).json() == []
    assert (await client.delete(f"/api/conversations/{first}")).status_code == 204
    assert (await client.get(f"/api/conversations/{first}")).status_code == 404
    assert (await client.delete(f"/api/conversations/{first}")).status_code == 404
    assert [c["id"] for c in (await client.get("/api/conversations")).json()] == [second]


async def test_delete_removes_messages_and_runs(
    client: httpx.AsyncClient, server: LiveServer
) -> None:
    cid = await new_conversation(client)
    await client.post(f"/api/conversations/{cid}/message", json={"content": "keep?"})
    assert (await client.delete(f"/api/conversations/{cid}")).status_code == 204
    assert (await client.get(f"/api/conversations/{cid}/export")).status_code == 404
    from sqlalchemy import text

    async with server.runtime.engine.connect() as conn:
        for table in ("messages", "runs", "model_calls"):
            count = (await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one()
            assert count == 0, table


async def test_council_picker_validates_and_is_used(client: httpx.AsyncClient) -> None:
    bad = await client.post("/api/conversations", json={"preset": "nope"})
    assert bad.status_code == 404 and "nope" in bad.json()["detail"]["message"]
    too_many = await client.post(
        "/api/conversations", json={"members": [f"m{i}" for i in range(27)]}
    )
    assert too_many.status_code == 422
    cid = await new_conversation(
        client, members=["openai/gpt-5.1", "x-ai/grok-4"], chairman="x-ai/grok-4"
    )
    body = (await client.post(f"/api/conversations/{cid}/message", json={"content": "hi"})).json()
    assert [a["model"] for a in body["stage1"]] == ["openai/gpt-5.1", "x-ai/grok-4"]
    assert body["stage3"]["model"] == "x-ai/grok-4"
    assert body["metadata"]["members"] == ["openai/gpt-5.1", "x-ai/grok-4"]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"content": ""}, 422, "validation_failed"),
        ({"content": "   \n "}, 422, "validation_failed"),
        ({}, 422, "validation_failed"),
        ({"content": 5}, 422, "validation_failed"),
        ({"content": "x" * 100_001}, 413, "content_too_large"),
    ],
)
async def test_bad_message_bodies(
    client: httpx.AsyncClient, body: dict[str, Any], status: int, code: str
) -> None:
    cid = await new_conversation(client)
    for path in ("message", "message/stream"):
        response = await client.post(f"/api/conversations/{cid}/{path}", json=body)
        assert response.status_code == status, response.text
        assert response.json()["detail"]["code"] == code
    # Nothing was stored for a rejected message: no orphan user message.
    assert (await client.get(f"/api/conversations/{cid}")).json()["messages"] == []


async def test_malformed_json_and_unknown_routes(client: httpx.AsyncClient) -> None:
    cid = await new_conversation(client)
    for raw in (b"{bad", b"", b"[]", b"null", "\udcff".encode("utf-8", "surrogatepass")):
        response = await client.post(
            f"/api/conversations/{cid}/message",
            content=raw,
            headers={"content-type": "application/json"},
        )
        assert response.status_code == 422, (raw, response.text)
        assert set(response.json()["detail"]) >= {"code", "message"}
    assert (
        await client.post("/api/conversations/nope/message", json={"content": "x"})
    ).status_code == 404
    assert (await client.get("/api/nothing-here")).status_code == 404
    assert (await client.put("/api/conversations")).status_code == 405
    assert (await client.patch(f"/api/conversations/{cid}", json={"title": ""})).status_code == 422
    assert (
        await client.patch(f"/api/conversations/{cid}", json={"colour": "red"})
    ).status_code == 422


async def test_export_markdown_and_json(client: httpx.AsyncClient) -> None:
    cid = await new_conversation(client)
    await client.post(f"/api/conversations/{cid}/message", json={"content": "Export me"})
    md = await client.get(f"/api/conversations/{cid}/export?format=md")
    assert md.status_code == 200 and md.headers["content-type"].startswith("text/markdown")
    assert "## Question" in md.text and "Export me" in md.text and "Final answer" in md.text
    assert "Peer ranking" in md.text
    as_json = (await client.get(f"/api/conversations/{cid}/export?format=json")).json()
    assert as_json["messages"][0]["content"] == "Export me"
    assert (await client.get(f"/api/conversations/{cid}/export?format=pdf")).status_code == 422


async def test_models_status_health(client: httpx.AsyncClient) -> None:
    models = (await client.get("/api/models")).json()
    assert models["default_preset"] == "default"
    assert models["presets"][0]["members"][0] == "openai/gpt-5.1"
    status = (await client.get("/api/status")).json()
    assert status["demo"] is False and status["database"] == "sqlite"
    # What a client checks before sending: the sizes the server would refuse past.
    limits = status["limits"]
    assert limits["max_content_chars"] == 100_000 and limits["max_documents"] >= 1
    assert limits["max_file_bytes"] > limits["max_image_bytes"] > 0
    assert "EPUB" in limits["accepted"] and limits["document_context_chars"] > 0
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    assert (await client.get("/readyz")).json()["status"] == "ready"
    schema = (await client.get("/openapi.json")).json()
    assert "/api/conversations/{conversation_id}/message/stream" in schema["paths"]
    assert (await client.get("/docs")).status_code == 200
