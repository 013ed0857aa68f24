"""The adapter sends a message's images as OpenAI ``image_url`` content parts, streamed or not,
and a message without images as plain text; a model that reads no images answers 400, which
the adapter raises as the error tree's bad request (asserted on what the upstream received)."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import AsyncIterator

import pytest

from llmcouncil.errors import BadRequestError
from llmcouncil.providers.base import ChatMessage, CompletionRequest, ImagePart, final
from llmcouncil.providers.openai_compat import OpenAICompatProvider
from llmcouncil.sim import SimServer

# A 1×1 PNG.
PIXEL = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGNgYGAAAAAEAAH2FzhVAAAAAElFTkSuQmCC"
)


@pytest.fixture
async def provider(sim: SimServer) -> AsyncIterator[OpenAICompatProvider]:
    adapter = OpenAICompatProvider(name="sim", base_url=sim.base_url, api_key="sk-test")
    try:
        yield adapter
    finally:
        await adapter.aclose()


def request(model: str, *messages: ChatMessage) -> CompletionRequest:
    return CompletionRequest(model=model, messages=messages, timeout=10.0, first_token_timeout=5.0)


@pytest.mark.parametrize("watched", [False, True])
async def test_images_travel_as_content_parts(
    provider: OpenAICompatProvider, sim: SimServer, watched: bool
) -> None:
    seen = ChatMessage("user", "Pinned", images=(ImagePart.of("image/png", PIXEL),))
    plain = ChatMessage("assistant", "Noted.")
    ask = request("x-ai/grok-4", seen, plain, ChatMessage("user", "What is it?"))
    completion = await final(provider.stream(ask, watched=watched))
    assert completion.text
    (captured,) = sim.requests
    assert [(i.message, i.sha256) for i in captured.images] == [
        (0, hashlib.sha256(PIXEL).hexdigest())
    ]
    assert [p["type"] for p in captured.messages[0]["content"]] == ["text", "image_url"]
    assert captured.messages[1]["content"] == "Noted." and captured.messages[2]["content"] == (
        "What is it?"
    )


async def test_a_model_that_reads_no_images_refuses_them(
    provider: OpenAICompatProvider, sim: SimServer
) -> None:
    seen = ChatMessage("user", "What is it?", images=(ImagePart.of("image/png", PIXEL),))
    with pytest.raises(BadRequestError, match="image input"):
        await final(
            provider.stream(request("meta-llama/llama-3.3-70b-instruct", seen), watched=False)
        )
