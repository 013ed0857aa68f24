"""Errors under /v1 arrive in the OpenAI format, as the SDK's own exception classes."""

from __future__ import annotations

from typing import Any

import httpx
import openai
import pytest
from openai import AsyncOpenAI
from support import LiveServer

from llmcouncil.sim import FaultSpec, SimServer

HI = [{"role": "user", "content": "Hi"}]


def sdk(server: LiveServer) -> AsyncOpenAI:
    return AsyncOpenAI(base_url=f"{server.base_url}/v1", api_key="local-mode", max_retries=0)


def assert_openai_error(body: Any, *, type_: str, code: str | None = None) -> dict[str, Any]:
    assert set(body) == {"error"}, body
    error: dict[str, Any] = body["error"]
    assert {"message", "type", "param", "code"} <= set(error)
    assert error["type"] == type_ and error["message"]
    if code is not None:
        assert error["code"] == code
    return error


async def test_an_unknown_model_is_a_404_naming_the_models_there_are(server: LiveServer) -> None:
    async with sdk(server) as api:
        with pytest.raises(openai.NotFoundError) as caught:
            await api.chat.completions.create(model="gpt-4o", messages=HI)  # type: ignore[arg-type]
        with pytest.raises(openai.NotFoundError):
            await api.models.retrieve("council/nope")
    error = assert_openai_error(caught.value.response.json(), type_="invalid_request_error")
    assert "council/default" in error["message"]


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"model": "council", "messages": [{"role": "assistant", "content": "x"}]}, "last message"),
        ({"model": "council", "messages": []}, "messages"),
        ({"model": "council", "messages": HI, "n": 2}, "n must be 1"),
        ({"model": "council", "messages": HI, "tools": [{"type": "function"}]}, "tools"),
        (
            {
                "model": "council",
                "messages": [
                    {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}
                ],
            },
            "image_url",
        ),
        ({"model": "council", "messages": [{"role": "tool", "content": "1"}]}, "tool messages"),
        ({"model": "council", "messages": [{"role": "wizard", "content": "1"}]}, "role"),
        ({"messages": HI}, "model"),
        ({"model": "council", "messages": [{"role": "user", "content": "  "}]}, "empty"),
    ],
)
async def test_a_clients_mistake_is_a_400_in_the_openai_format(
    client: httpx.AsyncClient, body: dict[str, Any], needle: str
) -> None:
    response = await client.post("/v1/chat/completions", json=body)
    assert response.status_code == 400, response.text
    error = assert_openai_error(response.json(), type_="invalid_request_error")
    assert needle in error["message"]


async def test_malformed_json_and_oversized_content_are_not_500s(
    make_settings: Any, start_server: Any
) -> None:
    live = await start_server(make_settings(limits={"max_content_chars": 50}))
    async with httpx.AsyncClient(base_url=live.base_url, timeout=60) as client:
        response = await client.post(
            "/v1/chat/completions",
            content=b'{"model": "council", "messages": [',
            headers={"content-type": "application/json"},
        )
        assert response.status_code == 400
        assert_openai_error(response.json(), type_="invalid_request_error")
        big = {"model": "council", "messages": [{"role": "user", "content": "x" * 51}]}
        response = await client.post("/v1/chat/completions", json=big)
    assert response.status_code == 413
    assert_openai_error(response.json(), type_="invalid_request_error", code="content_too_large")


async def test_a_failed_council_is_a_502_the_sdk_does_not_retry(
    server: LiveServer, sim: SimServer
) -> None:
    sim.configure(
        sim.config.model_copy(
            update={"faults": {"*": [FaultSpec(status=401, prompt_kind="answer")]}}
        )
    )
    async with AsyncOpenAI(base_url=f"{server.base_url}/v1", api_key="x", max_retries=2) as api:
        with pytest.raises(openai.APIStatusError) as caught:
            await api.chat.completions.create(model="council", messages=HI)  # type: ignore[arg-type]
    response = caught.value.response
    assert response.status_code == 502
    assert response.headers["x-should-retry"] == "false"
    error = assert_openai_error(response.json(), type_="server_error", code="council_failed")
    assert len(error["council"]["failures"]) == 4
    assert len([r for r in sim.requests if r.prompt_kind == "answer"]) == 4  # one council only


async def test_other_routes_keep_their_own_error_format(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/conversations/does-not-exist")
    assert response.status_code == 404
    assert response.json()["detail"]["code"] == "not_found"
    response = await client.get("/v1/nothing-here")
    assert response.status_code == 404
    assert_openai_error(response.json(), type_="invalid_request_error")
