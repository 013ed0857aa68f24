"""The schema says what the server does: error bodies, media types, and Allow on a 405."""

from __future__ import annotations

import httpx


async def test_validation_errors_are_documented_as_the_server_sends_them(
    client: httpx.AsyncClient,
) -> None:
    schema = (await client.get("/openapi.json")).json()
    components = schema["components"]["schemas"]
    assert "HTTPValidationError" not in components
    assert components["ErrorDetail"]["properties"]["problems"]
    sent = await client.post("/api/conversations/x/message", json={"content": 5})
    assert sent.status_code == 422 and sent.json()["detail"]["problems"]
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            documented = operation["responses"]
            if path.startswith("/v1/"):
                assert "422" not in documented and "400" in documented, (method, path)
                assert "OpenAIErrorBody" in str(documented["400"]), (method, path)
            elif path != "/mcp":
                assert "ErrorBody" in str(documented["422"]), (method, path)


async def test_the_export_documents_both_of_its_media_types(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    export = schema["paths"]["/api/conversations/{conversation_id}/export"]["get"]
    assert set(export["responses"]["200"]["content"]) == {"text/markdown", "application/json"}
    created = (await client.post("/api/conversations", json={})).json()["id"]
    markdown = await client.get(f"/api/conversations/{created}/export")
    assert markdown.headers["content-type"].startswith("text/markdown")


async def test_a_405_names_every_method_the_path_takes(client: httpx.AsyncClient) -> None:
    for method, path, allowed in (
        ("PUT", "/api/conversations", "GET, POST"),
        ("PUT", "/api/conversations/abc", "DELETE, GET, PATCH"),
        ("DELETE", "/mcp", "POST"),
        ("GET", "/mcp", "POST"),
        ("POST", "/v1/models", "GET"),
    ):
        response = await client.request(method, path)
        assert response.status_code == 405, (method, path)
        assert response.headers["allow"] == allowed, (method, path)


async def test_an_idempotency_key_must_be_visible_ascii(client: httpx.AsyncClient) -> None:
    created = (await client.post("/api/conversations", json={})).json()["id"]
    response = await client.post(
        f"/api/conversations/{created}/message",
        json={"content": "hi"},
        headers={"Idempotency-Key": "k\u00ff".encode("latin-1")},
    )
    assert response.status_code == 422
    assert "idempotency-key" in response.json()["detail"]["message"].lower()
