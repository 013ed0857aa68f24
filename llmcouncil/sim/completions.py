"""`POST /v1/chat/completions` and `GET /v1/models`: the upstream as clients see it.

Each call is planned on arrival (latency and fault, see `faults.py`), captured, then served.
Waiting is only ever a timer against a deadline computed at arrival (`clock.wait_until`; the
first and last chunk to the 0.1 ms), so a thousand slow streams cost a thousand sleeping tasks
and nothing more, and a busy loop does not stretch the total time of a call. The reply itself
is written inside the wait, not before it.
"""

from __future__ import annotations

import itertools
import json
import re
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web
from pydantic import ValidationError

from llmcouncil.sim.arrival import arrival_of
from llmcouncil.sim.catalogue import expired_on, refuses_images, today_utc
from llmcouncil.sim.clock import wait_until
from llmcouncil.sim.config import PromptKind
from llmcouncil.sim.content import write_reasoning, write_reply, write_unformatted
from llmcouncil.sim.faults import CallPlan
from llmcouncil.sim.prompts import detect_prompt_kind
from llmcouncil.sim.skills import with_skill
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
    body = models_body(config.known_models, created=int(time.time()), today=today_utc())
    return web.json_response(body)


async def chat_completions(request: web.Request) -> web.StreamResponse:
    # The call's time counts from its arrival (``arrival.py``): reading, planning and writing
    # the reply happen inside its latency, not on top of it.
    arrived = arrival_of(request)
    state = request.app[STATE_KEY]
    chat = await _read_chat_request(request)
    if isinstance(chat, web.Response):
        return chat
    config = state.config
    if config.strict_models and chat.model not in config.known_models:
        return error_response(404, f"The model `{chat.model}` does not exist.")
    kind = detect_prompt_kind(user_text=chat.last_user_text(), system_text=chat.system_text())
    plan = state.planner.plan(
        model=chat.model, stream=chat.stream, prompt_kind=kind, prompt=chat.last_user_text()
    )
    state.record(
        capture_call(
            chat=chat,
            authorization=request.headers.get("Authorization"),
            prompt_kind=kind,
            fault=plan.fault_kind,
        )
    )
    expired = expired_on(chat.model, today_utc())
    if expired is not None:  # as a router does once a model's expiration date has passed
        return error_response(
            404, f"The model `{chat.model}` was retired on {expired.isoformat()}."
        )
    if refuses_images(chat.model) and chat.has_images():
        # As a router answers when no endpoint of the model takes images.
        return error_response(400, f"The model `{chat.model}` does not support image input.")
    with state.track_call():
        await state.wait_if_held()
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

    style = state.config.reasoning_for(chat.model)

    def reply() -> _Reply:
        thought: str | None = None
        if fault is not None and fault.empty:
            content = ""
        else:
            prompt = chat.last_user_text()
            if style is not None:
                thought = write_reasoning(model=chat.model, kind=kind, prompt=prompt)
            if fault is not None and fault.unformatted:
                content = write_unformatted(model=chat.model)
            else:
                content = write_reply(
                    model=chat.model,
                    kind=kind,
                    prompt=prompt,
                    json_mode=chat.wants_json,
                    judging=state.config.judging,
                    context="\n".join(m.text() for m in chat.messages if m.role == "user"),
                )
                content = with_skill(
                    state.config.skills,
                    model=chat.model,
                    kind=kind,
                    prompt=prompt,
                    json_mode=chat.wants_json,
                    written=content,
                )
        field = None
        if thought is not None and style == "think":
            content, thought = f"<think>\n{thought}\n</think>\n\n{content}", None
        elif thought is not None:
            field = style
        limit = chat.token_limit
        if fault is not None and fault.length is not None:
            limit = min(limit or fault.length, fault.length)
        content, finish_reason = _apply_token_limit(content, limit)
        thinking = count_tokens(thought) if thought else 0
        usage = usage_body(
            model=chat.model,
            prompt=prompt_tokens(chat),
            completion=count_tokens(content) + thinking,
            reasoning=thinking,
        )
        return _Reply(
            model=chat.model,
            content=content,
            finish_reason=finish_reason,
            usage=usage,
            reasoning=(field, thought) if field and thought else None,
        )

    if chat.stream:
        return await _stream(request, reply=reply, plan=plan, started=arrived)
    # The reply is written while the call waits (see ``_stream``), then sent whole at the end.
    await wait_until(arrived + plan.first_token_s)
    whole = reply()
    await wait_until(arrived + plan.total_s, precise=True)
    if fault is not None and fault.malformed:
        return web.Response(text=_MALFORMED_JSON, content_type="application/json")
    return web.json_response(whole.completion())


class _Reply:
    """The reply to one call, in both of the shapes it can take on the wire."""

    def __init__(
        self,
        *,
        model: str,
        content: str,
        finish_reason: str,
        usage: dict[str, Any],
        reasoning: tuple[str, str] | None = None,
    ) -> None:
        self.model = model
        self.content = content
        self.reasoning = reasoning  # (field name, text): sent apart from the content
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
            reasoning=self.reasoning,
        )

    def pieces(self) -> list[tuple[str, str]]:
        """(delta field, text) in the order they are streamed: reasoning first, then content."""
        thinking: list[tuple[str, str]] = []
        if self.reasoning is not None:
            field, text = self.reasoning
            thinking = [(field, piece) for piece in split_into_chunks(text)]
        content = [("content", piece) for piece in split_into_chunks(self.content)]
        return thinking + content or [("content", "")]

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
    request: web.Request, *, reply: Callable[[], _Reply], plan: CallPlan, started: float
) -> web.StreamResponse:
    """Headers at once; the reply is written only when its first chunk is due.

    One process serves every call, so whatever a handler does before its first wait delays
    the calls that arrived with it: the next one's bytes are not even read (and its clock not
    started) until this handler waits. Writing the reply inside the wait keeps that delay to
    the request's parsing, as if each call were served by an upstream of its own.
    """
    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
    )
    await response.prepare(request)
    await wait_until(started + plan.first_token_s, precise=True)
    written = reply()
    pieces = written.pieces()
    gap = (plan.total_s - plan.first_token_s) / max(1, len(pieces) - 1)
    fault = plan.fault
    last = len(pieces) - 1
    for index, (field, piece) in enumerate(pieces):
        # The first and the last chunk are the call's timing; those between may be 1 ms late.
        await wait_until(started + plan.first_token_s + index * gap, precise=index == last)
        if fault is not None and fault.cut_stream_after == index:
            return _cut(request, response)
        delta = {"role": "assistant", field: piece} if index == 0 else {field: piece}
        await response.write(written.chunk(delta))
        if fault is not None and fault.malformed:
            await response.write(_MALFORMED_EVENT)
            break
    if fault is not None and fault.cut_stream_after is not None:
        # Asked to cut after more chunks than the reply has: cut before the final chunk.
        return _cut(request, response)
    # The closing events leave together, as an upstream's do, in one write with the end of
    # the body.
    final = written.chunk({}, finish_reason=written.finish_reason)
    await response.write_eof(final + written.usage_chunk() + DONE_EVENT)
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


def _format_seconds(seconds: float) -> str:
    return str(int(seconds)) if seconds == int(seconds) else f"{seconds:g}"
