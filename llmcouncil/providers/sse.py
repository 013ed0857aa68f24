"""Reading an OpenAI-compatible event stream: lines, and what the chunks said so far.

Lines are split here from raw bytes rather than with aiohttp's readline, whose line-length limit
a single large SSE chunk can exceed. ``SseLines`` can also hand over whatever has arrived after
a wait (``arrived``): a caller that only needs the final answer reads the stream chunk by chunk
until the first token (its deadline) and then the remainder in a few drains (``DrainSchedule``),
which spares the event loop a wake-up, a line split and an async step per chunk, and still
leaves little to parse when the body ends.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, NoReturn

import aiohttp

from llmcouncil.records import Usage

BodyError = Callable[[Any], NoReturn]  # raises for an in-stream {"error": …} chunk
Decode = Callable[[bytes], dict[str, Any]]  # a chunk's JSON object, or raises


class SseLines:
    """Splits a response body into non-empty lines, whatever the sizes of the network reads."""

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self._response = response
        self._buffer = b""
        self._pending: list[str] = []
        self._eof = False

    def __aiter__(self) -> SseLines:
        return self

    async def __anext__(self) -> str:
        while not self._pending:
            if self._eof:
                raise StopAsyncIteration
            chunk = await self._response.content.readany()
            if not chunk:
                self._eof = True
                if self._buffer.strip():
                    self._pending.append(_text(self._buffer))
                self._buffer = b""
                continue
            self._buffer += chunk
            *complete, self._buffer = self._buffer.split(b"\n")
            self._pending.extend(_text(line) for line in complete if line.strip())
        return self._pending.pop(0)

    @property
    def finished(self) -> bool:
        """The body has ended and every line of it has been handed out."""
        return self._eof and not self._pending and not self._buffer

    async def arrived(self, wait: float) -> list[str]:
        """Every line not yet returned that has arrived within ``wait`` seconds, or by the end of
        the body if that comes first: one wake-up, not one per network read.

        A connection error ends the wait with that error, as a read would raise it.
        """
        content = self._response.content
        if not self._eof:
            if not content.is_eof():
                try:
                    async with asyncio.timeout(wait):
                        await content.wait_eof()
                except TimeoutError:
                    pass
            # Drains what has arrived (resuming a socket paused at the high water mark), or
            # raises the connection's error if it broke meanwhile. Resuming can feed the rest of
            # the body, its end included, while the drain runs: the body has ended only when
            # the end has come *and* nothing is left unread (``at_eof``), else the next drain
            # takes the rest.
            self._buffer += content.read_nowait()
            self._eof = content.at_eof()
        # Split as bytes: a newline byte never falls inside a UTF-8 character.
        *complete, self._buffer = self._buffer.split(b"\n")
        if self._eof:
            complete.append(self._buffer)
            self._buffer = b""
        lines, self._pending = self._pending, []
        lines.extend(_text(line) for line in complete if line.strip())
        return lines


# After its first token, a call whose tokens nobody watches takes the rest of its body in drains:
# the first FIRST_DRAIN after the first token, each later one DRAIN_GROWTH times further on,
# at most DRAIN_EVERY apart. A drain parses what has arrived, so the body's end
# leaves only its last stretch to parse: a few chunks for a short answer, at most DRAIN_EVERY's
# worth for a long one, where waiting for the whole body left all of it (hundreds of chunks)
# between the last token and the next stage. Being at most DRAIN_EVERY apart also keeps a body
# larger than the reader's buffer (``READ_BUFFER``; aiohttp pauses the socket at twice that)
# from stalling.
FIRST_DRAIN = 0.025
DRAIN_GROWTH = 1.5
DRAIN_EVERY = 0.5
READ_BUFFER = 1 << 20


@dataclass(frozen=True, slots=True)
class DrainSchedule:
    """When an unwatched stream drains the rest of a body: ``first`` seconds after the first token,
    each later wait ``growth`` times the one before, at most ``every``."""

    first: float = FIRST_DRAIN
    growth: float = DRAIN_GROWTH
    every: float = DRAIN_EVERY

    def waits(self) -> Iterator[float]:
        wait = min(self.first, self.every)
        while True:
            yield wait
            wait = min(self.every, wait * self.growth)


class StreamState:
    """What the chunks of one stream said: text, reasoning, usage, finish reason, the answering
    model.

    Reasoning comes in its own delta field, ``reasoning`` (OpenRouter, Ollama, vLLM's newer
    servers) or ``reasoning_content`` (DeepSeek, vLLM): it is collected apart from the text and
    never returned by ``feed`` as text; ``thought`` is what the last chunk added.
    """

    __slots__ = (
        "parts",
        "reasoning_parts",
        "thought",
        "usage",
        "finish",
        "answered_by",
        "done",
        "_body_error",
        "_decode",
    )

    def __init__(self, model: str, *, decode: Decode, body_error: BodyError) -> None:
        self.parts: list[str] = []
        self.reasoning_parts: list[str] = []
        self.thought = ""
        self.usage = Usage()
        self.finish: str | None = None
        self.answered_by = model
        self.done = False  # [DONE] seen
        self._decode = decode
        self._body_error = body_error

    def feed(self, line: str) -> str:
        """Take one line; return the text it added ("" for none; its reasoning is ``thought``)."""
        if not line.startswith("data:"):
            self.thought = ""
            return ""  # comments and keep-alives
        raw = line[5:].strip()
        if raw == "[DONE]":
            self.done = True
            self.thought = ""
            return ""
        return self._take(self._decode(raw.encode()))

    def feed_rest(self, lines: list[str]) -> None:
        """Take a batch of lines at once (a drain's, after the first token), their JSON parsed in
        one call.

        A drain holds several chunks; one ``json.loads`` of them all as an array replaces as
        many calls. Should any payload not be one JSON object, the lines are taken
        one by one instead, so the error names the chunk as ``feed`` would.
        """
        payloads: list[str] = []
        for line in lines:
            if not line.startswith("data:"):
                continue
            raw = line[5:].strip()
            if raw == "[DONE]":
                self.done = True
                break
            payloads.append(raw)
        if not payloads:  # a drain that found nothing new, or only comments and [DONE]
            return
        chunks: Any = None
        if all(p.startswith("{") and p.endswith("}") for p in payloads):
            try:
                chunks = json.loads(f"[{','.join(payloads)}]")
            except ValueError:
                chunks = None
        if (
            not isinstance(chunks, list)
            or len(chunks) != len(payloads)
            or not all(isinstance(c, dict) for c in chunks)
        ):
            for raw in payloads:  # in order, so an earlier error chunk is still the one raised
                self._take(self._decode(raw.encode()))
            return
        for chunk in chunks:
            self._take(chunk)

    def _take(self, chunk: dict[str, Any]) -> str:
        if "error" in chunk:
            self._body_error(chunk["error"])
        self.answered_by = str(chunk.get("model") or self.answered_by)
        if chunk.get("usage"):
            self.usage = usage_of(chunk["usage"])
        added = ""
        thought = ""
        for choice in chunk.get("choices") or []:
            delta = choice.get("delta") or {}
            content = delta.get("content")
            if content:
                added += content
            reasoning = delta.get("reasoning") or delta.get("reasoning_content")
            if reasoning and isinstance(reasoning, str):
                thought += reasoning
            self.finish = choice.get("finish_reason") or self.finish
        if added:
            self.parts.append(added)
        if thought:
            self.reasoning_parts.append(thought)
        self.thought = thought
        return added

    @property
    def complete(self) -> bool:
        return self.done or self.finish is not None


def usage_of(raw: Any) -> Usage:
    if not isinstance(raw, dict):
        return Usage()
    prompt = int(raw.get("prompt_tokens") or 0)
    completion = int(raw.get("completion_tokens") or 0)
    cost = raw.get("cost")
    details = raw.get("completion_tokens_details")
    thinking = details.get("reasoning_tokens") if isinstance(details, dict) else None
    reasoning = int(thinking) if isinstance(thinking, int | float) and thinking > 0 else 0
    if reasoning > completion:  # an upstream that counts thinking apart: it is output all the same
        completion += reasoning
    return Usage(
        prompt_tokens=prompt,
        completion_tokens=completion,
        total_tokens=int(raw.get("total_tokens") or prompt + completion),
        cost=float(cost) if isinstance(cost, int | float) else None,
        reasoning_tokens=reasoning,
    )


def _text(line: bytes) -> str:
    return line.decode("utf-8", "replace").rstrip("\r")
