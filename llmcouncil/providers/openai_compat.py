"""The OpenAI-compatible adapter: OpenRouter, OpenAI, Ollama, vLLM, LM Studio, llama.cpp servers.

Built on one pooled ``aiohttp.ClientSession`` per upstream for the life of the process: measured
on loopback at 200–400 concurrent calls, aiohttp's connector kept its throughput where httpx's
pool degraded (see ``bench/http_clients.py`` and docs/PERFORMANCE.md).

Streams are read as raw bytes and split into lines by ``providers/sse.py``. OpenRouter's
in-stream ``{"error": …}`` chunks and ``: comment`` keep-alives are handled. Every call is a
stream (the first-token deadline holds); an unwatched one (``watched=False``) yields no deltas
and reads everything after the first token in a few drains.

Reasoning is kept apart from the answer: the ``reasoning`` / ``reasoning_content`` fields of a
message or a delta, and ``<think>`` blocks in the content (``split_reasoning``), become
``Completion.reasoning``; a stream yields them as ``ReasoningDelta`` items, never as text.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Mapping
from typing import Any, NoReturn

import aiohttp

from llmcouncil.errors import (
    MalformedResponseError,
    ProviderError,
    UpstreamConnectionError,
    UpstreamTimeoutError,
)
from llmcouncil.providers.base import (
    Completion,
    CompletionRequest,
    ReasoningDelta,
    StreamItem,
    TextDelta,
)
from llmcouncil.providers.image_wire import json_body
from llmcouncil.providers.reasoning import split_reasoning
from llmcouncil.providers.reasoning_stream import ThinkFilter
from llmcouncil.providers.reasoning_wire import WireFormat, add_reasoning, guess_format
from llmcouncil.providers.sse import (
    READ_BUFFER,
    DrainSchedule,
    SseLines,
    StreamState,
)
from llmcouncil.providers.upstream_errors import (
    error_message,
    retry_after_seconds,
    snippet,
    status_error,
)

SIMULATED_HEADER = "X-Council-Simulated"
_JSON_HEADERS = {"Content-Type": "application/json"}


class OpenAICompatProvider:
    """An upstream speaking the chat-completions wire format."""

    def __init__(
        self,
        *,
        name: str,
        base_url: str,
        api_key: str | None = None,
        headers: Mapping[str, str] | None = None,
        max_connections: int = 512,
        connect_timeout: float = 15.0,
        reasoning_format: WireFormat | None = None,
        read_buffer: int = READ_BUFFER,
        drains: DrainSchedule | None = None,
    ) -> None:
        """``read_buffer``: bytes aiohttp reads at once (it pauses the socket at twice that);
        ``drains``: when an unwatched call drains the rest of its body (``sse.DrainSchedule``).
        """
        self.name = name
        self._read_buffer = read_buffer
        self._drains = drains or DrainSchedule()
        self.base_url = base_url.rstrip("/")
        self._reasoning_format = reasoning_format or guess_format(self.base_url)
        self._headers = {"Content-Type": "application/json", **(headers or {})}
        if api_key:
            self._headers["Authorization"] = f"Bearer {api_key}"
        self._max_connections = max_connections
        self._connect_timeout = connect_timeout
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                limit=self._max_connections,
                limit_per_host=self._max_connections,
                ttl_dns_cache=300,
                keepalive_timeout=30,
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                headers=self._headers,
                timeout=aiohttp.ClientTimeout(total=None, sock_connect=self._connect_timeout),
                read_bufsize=self._read_buffer,
                # Nothing an upstream sets as a cookie is sent back with later calls (which
                # may be other users' councils).
                cookie_jar=aiohttp.DummyCookieJar(),
            )
        return self._session

    async def aclose(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    def _payload(self, request: CompletionRequest) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "model": request.model,
            "messages": [m.as_wire() for m in request.messages],
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        if request.temperature is not None:
            payload["temperature"] = request.temperature
        if request.max_tokens is not None:
            payload["max_tokens"] = request.max_tokens
        if request.json_schema is not None:
            payload["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "response", "strict": True, "schema": request.json_schema},
            }
        if request.seed is not None:
            payload["seed"] = request.seed
        if request.reasoning is not None:
            add_reasoning(payload, request, self._reasoning_format)
        return payload

    def _body(self, request: CompletionRequest) -> dict[str, Any]:
        """The post's body: JSON as aiohttp writes it, or, when a message carries images,
        bytes with the images spliced in (``image_wire.py``)."""
        payload = self._payload(request)
        if not any(m.images for m in request.messages):
            return {"json": payload}
        return {"data": json_body(payload), "headers": _JSON_HEADERS}

    async def stream(
        self, request: CompletionRequest, *, watched: bool
    ) -> AsyncIterator[StreamItem]:
        async with self._streaming(request) as call:
            if watched:
                async for item in self._deltas(call):
                    yield item
            else:
                await self._drain(call)
        yield call.completion()

    async def _deltas(self, call: _Call) -> AsyncIterator[StreamItem]:
        """Chunk by chunk, each piece of text or reasoning yielded as it arrives."""
        thinking = ThinkFilter()
        async for line in call.lines:
            text = call.state.feed(line)
            if call.state.done:
                break
            thought = call.state.thought
            if text:
                text, in_text = thinking.feed(text)
                thought += in_text
            if text or thought:
                call.first_token()  # thinking is a sign of life too
            if thought:
                yield ReasoningDelta(thought)
            if text:
                yield TextDelta(text)
        rest = thinking.finish()
        if rest:
            yield TextDelta(rest)

    async def _drain(self, call: _Call) -> None:
        """Nobody watches: chunk by chunk until the first token (its deadline holds), then the
        rest of the body in a few drains (``sse.DrainSchedule``), not chunk by chunk."""
        async for line in call.lines:
            if call.state.feed(line) or call.state.thought:
                call.first_token()
                break
            if call.state.done:
                break
        waits = self._drains.waits()
        while not call.state.done and not call.lines.finished:
            call.state.feed_rest(await call.lines.arrived(next(waits)))

    @contextlib.asynccontextmanager
    async def _streaming(self, request: CompletionRequest) -> AsyncIterator[_Call]:
        """A streamed request under one deadline: first the earlier of first-token and total
        (the headers' wait counts towards the first token), moved to the total deadline when
        the first token arrives; upstream failures become the error tree."""
        loop = asyncio.get_running_loop()
        total_at = None if request.timeout is None else loop.time() + request.timeout
        first_at = (
            None
            if request.first_token_timeout is None
            else loop.time() + request.first_token_timeout
        )
        waiting_first = first_at is not None and (total_at is None or first_at < total_at)
        state = StreamState(
            request.model,
            decode=lambda body: self._decode(request.model, body),
            body_error=lambda error: self._raise_body_error(request.model, error),
        )
        call: _Call | None = None
        try:
            async with asyncio.timeout_at(first_at if waiting_first else total_at) as deadline:
                call = _Call(state, deadline, total_at if waiting_first else None)
                async with self._client().post(
                    f"{self.base_url}/chat/completions", **self._body(request)
                ) as response:
                    call.simulated = response.headers.get(SIMULATED_HEADER, "") == "true"
                    if response.status >= 400:
                        body = await response.read()
                        self._raise_for_status(
                            request.model, response.status, body, response.headers
                        )
                    call.lines = SseLines(response)
                    yield call
                    if not state.complete:
                        raise UpstreamConnectionError(
                            "stream ended before it was complete",
                            model=request.model,
                            provider=self.name,
                        )
        except TimeoutError as exc:
            first = call is None or call.ttft is None and waiting_first
            waited = "first token" if first else "answer"
            limit = request.first_token_timeout if first else request.timeout
            raise UpstreamTimeoutError(
                f"no {waited} within {limit:g} s", model=request.model, provider=self.name
            ) from exc
        except aiohttp.ClientError as exc:
            raise self._connection_error(request.model, exc) from exc

    async def list_models(self) -> list[str]:
        return [str(e["id"]) for e in await self.list_model_entries() if "id" in e]

    async def list_model_entries(self) -> list[dict[str, Any]]:
        """The upstream's ``GET /models`` entries as sent (OpenRouter's carry prices, context
        length, modalities and expiration dates; OpenAI's little more than ids)."""
        try:
            async with asyncio.timeout(self._connect_timeout * 2):
                async with self._client().get(f"{self.base_url}/models") as response:
                    body = await response.read()
                    if response.status >= 400:
                        self._raise_for_status("", response.status, body, response.headers)
        except TimeoutError as exc:
            raise UpstreamTimeoutError("model list timed out", provider=self.name) from exc
        except aiohttp.ClientError as exc:
            raise self._connection_error("", exc) from exc
        data = self._decode("", body)
        entries = data.get("data") if isinstance(data, dict) else None
        if not isinstance(entries, list):
            raise MalformedResponseError("model list has no data array", provider=self.name)
        return [e for e in entries if isinstance(e, dict)]

    def _decode(self, model: str, body: bytes) -> dict[str, Any]:
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise MalformedResponseError(
                f"reply is not JSON: {snippet(body)}", model=model, provider=self.name
            ) from exc
        if not isinstance(data, dict):
            raise MalformedResponseError(
                "reply is not a JSON object", model=model, provider=self.name
            )
        return data

    def _connection_error(self, model: str, exc: aiohttp.ClientError) -> ProviderError:
        reason = str(exc) or type(exc).__name__
        return UpstreamConnectionError(reason, model=model, provider=self.name)

    def _raise_body_error(self, model: str, error: Any) -> NoReturn:
        message = error_message(error) or "upstream reported an error"
        code = error.get("code") if isinstance(error, dict) else None
        status = code if isinstance(code, int) else 502
        raise status_error(status, message, model=model, provider=self.name, retry_after=None)

    def _raise_for_status(
        self, model: str, status: int, body: bytes, headers: Mapping[str, str]
    ) -> NoReturn:
        message = ""
        try:
            message = error_message(json.loads(body).get("error"))
        except (ValueError, AttributeError, UnicodeDecodeError):
            pass
        message = message or snippet(body) or f"HTTP {status}"
        retry_after = retry_after_seconds(headers.get("Retry-After"))
        raise status_error(
            status, message, model=model, provider=self.name, retry_after=retry_after
        )


class _Call:
    """One streamed request in progress: its lines, what they said, its timing."""

    def __init__(
        self, state: StreamState, deadline: asyncio.Timeout, total_at: float | None
    ) -> None:
        self.state = state
        self.lines: SseLines
        self.simulated = False
        self.started = time.perf_counter()
        self.ttft: float | None = None
        self._deadline = deadline
        self._total_at = total_at  # set while the first-token deadline is the one running

    def first_token(self) -> None:
        if self.ttft is None:
            self.ttft = (time.perf_counter() - self.started) * 1000
            if self._total_at is not None:
                self._deadline.reschedule(self._total_at)
                self._total_at = None

    def completion(self) -> Completion:
        state = self.state
        field = "".join(state.reasoning_parts) or None
        text, reasoning = _apart("".join(state.parts), field)
        return Completion(
            text=text,
            reasoning=reasoning,
            model=state.answered_by,
            usage=state.usage,
            finish_reason=state.finish,
            latency_ms=(time.perf_counter() - self.started) * 1000,
            ttft_ms=self.ttft,
            simulated=self.simulated,
        )


def _apart(content: str, field: str | None) -> tuple[str, str | None]:
    """The visible text and all the reasoning: the upstream's field, then any ``<think>``."""
    text, in_text = split_reasoning(content)
    parts = [part.strip() for part in (field, in_text) if part and part.strip()]
    return text, "\n\n".join(parts) or None
