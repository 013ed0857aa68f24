"""An image's data URL spliced into a request body: the same JSON the encoder would write, and
an image part whose URL would need escaping is refused when it is made."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from llmcouncil.providers.base import ChatMessage, ImagePart
from llmcouncil.providers.image_wire import json_body


def payload(*messages: ChatMessage) -> dict[str, Any]:
    return {"model": "m", "messages": [m.as_wire() for m in messages], "stream": False}


@given(
    texts=st.lists(st.text(), min_size=1, max_size=4),
    images=st.lists(st.binary(max_size=64), max_size=3),
)
def test_the_spliced_body_is_what_the_json_encoder_writes(
    texts: list[str], images: list[bytes]
) -> None:
    parts = tuple(ImagePart.of("image/png", data) for data in images)
    messages = [ChatMessage("user", texts[0], images=parts)]
    messages += [ChatMessage("assistant", text) for text in texts[1:]]
    expected = json.dumps(payload(*messages)).encode()
    assert json_body(payload(*messages)) == expected


def test_text_that_looks_like_a_token_stays_text() -> None:
    image = ImagePart.of("image/png", b"\x89PNG")
    sent = payload(ChatMessage("user", '"council-image-0-0" and council-image-', images=(image,)))
    body = json.loads(json_body(sent))
    assert body["messages"][0]["content"][0]["text"] == '"council-image-0-0" and council-image-'
    assert body["messages"][0]["content"][1]["image_url"]["url"] == image.url


@pytest.mark.parametrize("url", ['data:image/png;base64,a"b', "data:x\\y", "data:\nx", "data:é"])
def test_an_image_url_that_would_need_escaping_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match="plain ASCII"):
        ImagePart(url)
