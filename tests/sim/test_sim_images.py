"""Images on the wire: the provider contract's content parts as the simulated upstream
receives them (recorded by media type, size and SHA-256), a model whose list says it reads no
images refusing them as a router does, and the model list naming a model that reads images."""

from __future__ import annotations

import hashlib
import struct
import zlib

import aiohttp
from sim_client import post_chat

from llmcouncil.providers.base import ChatMessage, ImagePart
from llmcouncil.sim import SimServer

VISION = "x-ai/grok-4"
TEXT_ONLY = "meta-llama/llama-3.3-70b-instruct"


def png(width: int = 2, height: int = 2) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    rows = b"".join(b"\x00" + b"\x00\x80\xff" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + (chunk(b"IEND", b""))
    )


def body(model: str, message: ChatMessage) -> dict[str, object]:
    return {"model": model, "messages": [message.as_wire()], "stream": False}


def test_a_message_without_images_is_plain_text_and_one_with_images_is_content_parts() -> None:
    assert ChatMessage("user", "hi").as_wire() == {"role": "user", "content": "hi"}
    image = ImagePart.of("image/png", b"\x89PNG")
    assert image.url == "data:image/png;base64,iVBORw=="
    assert ChatMessage("user", "look", images=(image,)).as_wire() == {
        "role": "user",
        "content": [
            {"type": "text", "text": "look"},
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw=="}},
        ],
    }


async def test_the_upstream_records_each_image_it_received(
    http: aiohttp.ClientSession, sim: SimServer
) -> None:
    data = png(3, 2)
    message = ChatMessage("user", "What is this?", images=(ImagePart.of("image/png", data),))
    status, reply = await post_chat(http, sim, body(VISION, message))
    assert status == 200, reply
    (captured,) = sim.requests
    assert [(i.message, i.media_type, i.bytes, i.sha256) for i in captured.images] == [
        (0, "image/png", len(data), hashlib.sha256(data).hexdigest())
    ]
    # The capture keeps the text whole and the image's URL short.
    parts = captured.messages[0]["content"]
    assert parts[0] == {"type": "text", "text": "What is this?"}
    assert len(parts[1]["image_url"]["url"]) < 60


async def test_a_model_that_reads_no_images_refuses_them(
    http: aiohttp.ClientSession, sim: SimServer
) -> None:
    message = ChatMessage("user", "What is this?", images=(ImagePart.of("image/png", png()),))
    status, reply = await post_chat(http, sim, body(TEXT_ONLY, message))
    assert status == 400
    assert "does not support image input" in reply["error"]["message"]
    status, _ = await post_chat(http, sim, body(TEXT_ONLY, ChatMessage("user", "What is this?")))
    assert status == 200


async def test_the_model_list_says_which_models_read_images(
    http: aiohttp.ClientSession, sim: SimServer
) -> None:
    async with http.get(f"{sim.base_url}/models") as response:
        listed = {m["id"]: m for m in (await response.json())["data"]}
    assert "image" in listed[VISION]["architecture"]["input_modalities"]
    assert listed[TEXT_ONLY]["architecture"]["input_modalities"] == ["text"]
