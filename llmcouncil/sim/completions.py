"""`POST /v1/chat/completions` and `GET /v1/models`: the upstream as clients see it.

Each call is planned on arrival (latency and fault, see `faults.py`), captured, then served.
Waiting is only ever `asyncio.sleep` against a deadline computed at arrival, so a thousand slow
streams cost a thousand sleeping tasks and nothing more, and a busy loop does not stretch the
total time of a call.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from typing import Any

from aiohttp import web
from pydantic import ValidationError

from llmcouncil.sim.config import PromptKind
from llmcouncil.sim.content import write_reply
from llmcouncil.sim.faults import CallPlan
from llmcouncil.sim.prompts import detect_prompt_kind
from llmcouncil.sim.state import STATE_KEY, SimState, capture_call
from llmcouncil.sim.wire import (
    DONE_EVENT,
    ChatRequest,
    chunk_body,
    completion_body,
    count_tokens,
    error_body,
    models_body,
    prompt_tokens,
    sse_event,
    usage_body,
    usage_chunk_body,
)

# Streams carry a few words per chunk, but never more than this many chunks, so a long reply
# does not turn into hundreds of timers per call.
_MAX_CHUNKS = 40
_MIN_WORDS_PER_CHUNK = 3
_PIECE = re.compile(r"\s*\S+\s*")
_MALFORMED_JSON = '{"id": "chatcmpl-sim", "object": "chat.completion", "choices": [{"message": '
_MALFORMED_EVENT = b'data: {"choices": [{"delta": {"content": "unterminated\n\n'

_completion_ids = itertools.count(1)


def error_response(status: int, message: str | None = None) -> web.Response:
    return web.json_response(error_body(status, message), status=status)


async def list_models(request: web.Request) -> web.Response:
    config = request.app[STATE_KEY].config
    return web.json_response(models_body(config.known_models, created=int(time.time())))


async def chat_completions(request: web.Request) -> web.StreamResponse:
    # The call's time counts from here: reading, planning and writing the reply happen inside
    # its latency, not on top of it.
    arrived = asyncio.get_running_loop().time()
    state = request.app[STATE_KEY]
    chat = await _read_chat_request(request)
    if isinstance(chat, web.Response):
        return chat
    config = state.config
    if config.strict_models and chat.model not in config.known_models:
        return error_response(404, f"The model `{chat.model}` does not exist.")
    kind = detect_prompt_kind(user_text=chat.last_user_text(), system_text=chat.system_text())
    plan = state.planner.plan(model=chat.model, stream=chat.stream, prompt_kind=kind)
    state.record(
        capture_call(
            chat=chat,
            authorization=request.headers.get("Authorization"),
            prompt_kind=kind,
            fault=plan.fault_kind,
        )
    )
    with state.track_call():
        return await _serve(request, state=state, chat=chat, kind=kind, plan=plan, arrived=arrived)


async def _read_chat_request(request: web.Request) -> ChatRequest | web.Response:
    try:
        payload: Any = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return error_response(400, "The request body is not valid JSON.")
    try:
        return ChatRequest.model_validate(payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "body"
        return error_response(400, f"Invalid request: {where}: {first['msg']}")


async def _serve(
    request: web.Request,
    *,
    state: SimState,
    chat: ChatRequest,
    kind: PromptKind,
    plan: CallPlan,
    arrived: float,
) -> web.StreamResponse:
    fault = plan.fault
    if fault is not None and fault.status is not None:
        response = error_response(fault.status)
        if fault.status == 429:
            response.headers["Retry-After"] = _format_seconds(fault.retry_after_s)
        return response
    if fault is not None and fault.hang:
        # Handler cancellation is on, so a client that gives up cancels this wait.
        await state.closing.wait()
        return error_response(503, "The simulated upstream is shutting down.")
    if fault is not None and fault.empty:
        content = ""
    else:
        content = write_reply(
            model=chat.model, kind=kind, prompt=chat.last_user_text(), json_mode=chat.wants_json
        )
    content, finish_reason = _apply_token_limit(content, chat.token_limit)
    usage = usage_body(
        model=chat.model, prompt=prompt_tokens(chat), completion=count_tokens(content)
    )
    reply = _Reply(model=chat.model, content=content, finish_reason=finish_reason, usage=usage)
    if chat.stream:
        return await _stream(request, reply=reply, plan=plan, started=arrived)
    await _sleep_until(asyncio.get_running_loop(), arrived + plan.total_s)
    if fault is not None and fault.malformed:
        return web.Response(text=_MALFORMED_JSON, content_type="application/json")
    return web.json_response(reply.completion())


class _Reply:
    """The reply to one call, in both of the shapes it can take on the wire."""

    def __init__(
        self, *, model: str, content: str, finish_reason: str, usage: dict[str, Any]
    ) -> None:
        self.model = model
        self.content = content
        self.finish_reason = finish_reason
        self.usage = usage
        self.id = f"chatcmpl-sim-{next(_completion_ids):08d}"
        self.created = int(time.time())

    def completion(self) -> dict[str, Any]:
        return completion_body(
            completion_id=self.id,
            created=self.created,
            model=self.model,
            content=self.content,
            finish_reason=self.finish_reason,
            usage=self.usage,
        )

    def chunk(self, delta: dict[str, str], finish_reason: str | None = None) -> bytes:
        body = chunk_body(
            completion_id=self.id,
            created=self.created,
            model=self.model,
            delta=delta,
            finish_reason=finish_reason,
        )
        return sse_event(body)

    def usage_chunk(self) -> bytes:
        body = usage_chunk_body(
            completion_id=self.id, created=self.created, model=self.model, usage=self.usage
        )
        return sse_event(body)


async def _stream(
    request: web.Request, *, reply: _Reply, plan: CallPlan, started: float
) -> web.StreamResponse:
    loop = asyncio.get_running_loop()
    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
    )
    await response.prepare(request)
    pieces = split_into_chunks(reply.content) or [""]
    gap = (plan.total_s - plan.first_token_s) / max(1, len(pieces) - 1)
    fault = plan.fault
    for index, piece in enumerate(pieces):
        await _sleep_until(loop, started + plan.first_token_s + index * gap)
        if fault is not None and fault.cut_stream_after == index:
            return _cut(request, response)
        delta = {"role": "assistant", "content": piece} if index == 0 else {"content": piece}
        await response.write(reply.chunk(delta))
        if fault is not None and fault.malformed:
            await response.write(_MALFORMED_EVENT)
            break
    if fault is not None and fault.cut_stream_after is not None:
        # Asked to cut after more chunks than the reply has: cut before the final chunk.
        return _cut(request, response)
    await response.write(reply.chunk({}, finish_reason=reply.finish_reason))
    await response.write(reply.usage_chunk())
    await response.write(DONE_EVENT)
    await response.write_eof()
    return response


def _cut(request: web.Request, response: web.StreamResponse) -> web.StreamResponse:
    # close(), not abort(): the chunks already written must reach the client before the cut.
    if request.transport is not None:
        request.transport.close()
    return response


def split_into_chunks(text: str) -> list[str]:
    """`text` in pieces of a few words that concatenate back to exactly `text`."""
    words = _PIECE.findall(text)
    per_chunk = max(_MIN_WORDS_PER_CHUNK, -(-len(words) // _MAX_CHUNKS))
    return ["".join(words[i : i + per_chunk]) for i in range(0, len(words), per_chunk)]


def _apply_token_limit(content: str, limit: int | None) -> tuple[str, str]:
    if limit is None or count_tokens(content) <= limit:
        return content, "stop"
    return content[: limit * 4], "length"


async def _sleep_until(loop: asyncio.AbstractEventLoop, deadline: float) -> None:
    delay = deadline - loop.time()
    if delay > 0:
        await asyncio.sleep(delay)


def _format_seconds(seconds: float) -> str:
    return str(int(seconds)) if seconds == int(seconds) else f"{seconds:g}"
