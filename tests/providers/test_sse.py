"""What a stream's chunks said, taken line by line (``feed``) or all at once (``feed_rest``)."""

from __future__ import annotations

import json
from typing import Any, NoReturn

import pytest

from llmcouncil.providers.sse import StreamState


class Malformed(Exception):
    pass


class BodyError(Exception):
    pass


def decode(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise Malformed(body.decode()) from exc
    if not isinstance(data, dict):
        raise Malformed(body.decode())
    return data


def body_error(error: Any) -> NoReturn:
    raise BodyError(str(error))


def state() -> StreamState:
    return StreamState("asked/model", decode=decode, body_error=body_error)


def line(chunk: dict[str, Any] | str) -> str:
    return f"data: {chunk if isinstance(chunk, str) else json.dumps(chunk)}"


def delta(text: str, finish: str | None = None) -> dict[str, Any]:
    return {
        "model": "served/model",
        "choices": [{"delta": {"content": text}, "finish_reason": finish}],
    }


STREAM = [
    line(delta("Tides ")),
    ": keep-alive",
    line(delta("follow ")),
    line(delta("the moon.", "stop")),
    line({"choices": [], "usage": {"prompt_tokens": 7, "completion_tokens": 3, "cost": 0.5}}),
    line("[DONE]"),
    line(delta("after the end")),
]


def test_taking_the_rest_at_once_says_what_line_by_line_says() -> None:
    one_by_one, at_once = state(), state()
    for item in STREAM:
        one_by_one.feed(item)
        if one_by_one.done:
            break
    at_once.feed_rest(STREAM)
    for taken in (one_by_one, at_once):
        assert "".join(taken.parts) == "Tides follow the moon."
        assert taken.finish == "stop" and taken.done and taken.answered_by == "served/model"
        assert (taken.usage.prompt_tokens, taken.usage.completion_tokens) == (7, 3)
        assert taken.usage.cost == 0.5


@pytest.mark.parametrize(
    "payloads",
    [
        ['{"choices": []}', "not json", '{"choices": []}'],
        ['{"choices": []}', "[1, 2]"],
        # payloads that are not objects on their own but join into as many objects
        ['{"k": [1', "2]}", '{"a": 1}, {"b": 2}'],
        ['{"a": 1}, {"b": 2}', ""],
    ],
)
def test_a_payload_that_is_not_one_object_is_named_as_line_by_line(payloads: list[str]) -> None:
    with pytest.raises(Malformed):
        state().feed_rest([line(p) for p in payloads])


def test_an_error_chunk_before_a_malformed_one_is_the_error_raised() -> None:
    with pytest.raises(BodyError, match="overloaded"):
        state().feed_rest([line({"error": {"message": "overloaded"}}), line("{broken")])
    with pytest.raises(BodyError, match="overloaded"):
        state().feed_rest([line(delta("x")), line({"error": {"message": "overloaded"}})])
