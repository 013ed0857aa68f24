"""The OpenAI-compatible adapter against the simulated upstream: results, and every error kind."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web

from llmcouncil.errors import (
    BadRequestError,
    MalformedResponseError,
    ModelNotFoundError,
    PaymentRequiredError,
    ProviderAuthError,
    ProviderError,
    RateLimitedError,
    UpstreamConnectionError,
    UpstreamServerError,
    UpstreamTimeoutError,
)
from llmcouncil.providers.base import (
    ChatMessage,
    Completion,
    CompletionRequest,
    TextDelta,
    final,
)
from llmcouncil.providers.openai_compat import OpenAICompatProvider
from llmcouncil.providers.sse import DrainSchedule
from llmcouncil.sim import FaultSpec, LatencyProfile, SimServer

MODEL = "openai/gpt-5.1"


@pytest.fixture
async def provider(sim: SimServer) -> AsyncIterator[OpenAICompatProvider]:
    adapter = OpenAICompatProvider(name="sim", base_url=sim.base_url, api_key="sk-test")
    try:
        yield adapter
    finally:
        await adapter.aclose()


def request(**kw: object) -> CompletionRequest:
    values: dict[str, object] = {
        "model": MODEL,
        "messages": (ChatMessage("user", "Explain tides"),),
        "timeout": 10.0,
        "first_token_timeout": 5.0,
    }
    values.update(kw)
    return CompletionRequest(**values)  # type: ignore[arg-type]


def fault(sim: SimServer, spec: FaultSpec, model: str = MODEL) -> None:
    sim.configure(sim.config.model_copy(update={"faults": {model: [spec]}}))


def steady_but_slow(sim: SimServer) -> None:
    """No faults; the first token after 50 ms, the whole answer after 1.5 s."""
    profile = LatencyProfile(base_ms=1500, jitter_ms=0, first_token_ms=50)
    sim.configure(sim.config.model_copy(update={"faults": {}, "latency": {"*": profile}}))


def sse_event(delta: dict[str, str], finish: str | None = None) -> bytes:
    """One chunk of a streamed completion, as an upstream writes it."""
    chunk = {"model": MODEL, "choices": [{"delta": delta, "finish_reason": finish}]}
    return f"data: {json.dumps(chunk)}\n\n".encode()


@contextlib.asynccontextmanager
async def hand_written_upstream(
    completions: Callable[[web.Request], Awaitable[web.StreamResponse]],
    *,
    host: str,
    **options: Any,
) -> AsyncIterator[OpenAICompatProvider]:
    """An adapter on an upstream whose chat-completions handler the test writes itself (for
    replies the simulator does not make), served on a free loopback port."""
    app = web.Application()
    app.router.add_post("/v1/chat/completions", completions)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    adapter = OpenAICompatProvider(
        name="own", base_url=f"http://{host}:{port}/v1", api_key="k", **options
    )
    try:
        yield adapter
    finally:
        await adapter.aclose()
        await runner.cleanup()


async def collect(
    provider: OpenAICompatProvider, req: CompletionRequest
) -> tuple[list[str], Completion]:
    deltas: list[str] = []
    answer: Completion | None = None
    async for item in provider.stream(req, watched=True):
        if isinstance(item, TextDelta):
            deltas.append(item.text)
        else:
            answer = item
    assert answer is not None
    return deltas, answer


async def whole(provider: OpenAICompatProvider, req: CompletionRequest) -> Completion:
    """An unwatched call: the adapter's fast path, only the answer handed back."""
    return await final(provider.stream(req, watched=False))


async def test_unwatched_call_reports_text_usage_cost_and_model(
    provider: OpenAICompatProvider, sim: SimServer
) -> None:
    result = await whole(provider, request(temperature=0.2, max_tokens=500))
    assert result.text and result.model == MODEL and result.finish_reason == "stop"
    assert result.usage.prompt_tokens > 0 and result.usage.completion_tokens > 0
    assert result.usage.total_tokens == result.usage.prompt_tokens + result.usage.completion_tokens
    assert result.usage.cost is not None and result.usage.cost > 0
    assert result.latency_ms > 0 and result.simulated is True
    sent = sim.requests[-1]
    assert sent.temperature == 0.2 and sent.max_tokens == 500 and sent.stream is True


async def test_stream_yields_deltas_then_one_completion(provider: OpenAICompatProvider) -> None:
    deltas, final = await collect(provider, request())
    assert len(deltas) > 1 and "".join(deltas) == final.text
    assert final.usage.completion_tokens > 0 and final.usage.cost is not None
    assert final.ttft_ms is not None and final.ttft_ms <= final.latency_ms


async def test_structured_output_request_is_sent(
    provider: OpenAICompatProvider, sim: SimServer
) -> None:
    schema = {"type": "object", "properties": {"ranking": {"type": "array"}}}
    await whole(provider, request(json_schema=schema))
    assert sim.requests[-1].response_format == {
        "type": "json_schema",
        "json_schema": {"name": "response", "strict": True, "schema": schema},
    }


@pytest.mark.parametrize(
    ("status", "error", "kind"),
    [
        (401, ProviderAuthError, "auth"),
        (403, ProviderAuthError, "auth"),
        (402, PaymentRequiredError, "payment_required"),
        (404, ModelNotFoundError, "model_not_found"),
        (400, BadRequestError, "bad_request"),
        (500, UpstreamServerError, "upstream_5xx"),
        (503, UpstreamServerError, "upstream_5xx"),
    ],
)
@pytest.mark.parametrize("watched", [False, True])
async def test_status_codes_become_the_error_tree(
    provider: OpenAICompatProvider,
    sim: SimServer,
    status: int,
    error: type[ProviderError],
    kind: str,
    watched: bool,
) -> None:
    fault(sim, FaultSpec(status=status))
    with pytest.raises(error) as caught:
        if watched:
            await collect(provider, request())
        else:
            await whole(provider, request())
    assert caught.value.kind == kind and caught.value.status == status
    assert caught.value.model == MODEL and caught.value.provider == "sim"
    assert str(status) in caught.value.message
    assert caught.value.retryable is (status >= 500)


async def test_429_carries_retry_after(provider: OpenAICompatProvider, sim: SimServer) -> None:
    fault(sim, FaultSpec(status=429, retry_after_s=7))
    with pytest.raises(RateLimitedError) as caught:
        await whole(provider, request())
    assert caught.value.retry_after == 7.0 and caught.value.retryable


async def test_malformed_reply(provider: OpenAICompatProvider, sim: SimServer) -> None:
    fault(sim, FaultSpec(malformed=True))
    with pytest.raises(MalformedResponseError):
        await whole(provider, request())
    with pytest.raises(MalformedResponseError):
        await collect(provider, request())


async def test_stream_cut_midway_is_a_connection_error(
    provider: OpenAICompatProvider, sim: SimServer
) -> None:
    fault(sim, FaultSpec(cut_stream_after=2))
    with pytest.raises(UpstreamConnectionError):
        await collect(provider, request())


async def test_first_token_and_total_timeouts_are_separate(
    provider: OpenAICompatProvider, sim: SimServer
) -> None:
    fault(sim, FaultSpec(hang=True))
    with pytest.raises(UpstreamTimeoutError, match="first token within 0.2 s"):
        await collect(provider, request(first_token_timeout=0.2, timeout=5.0))
    with pytest.raises(UpstreamTimeoutError, match="within 0.2 s"):
        await whole(provider, request(timeout=0.2))
    # A slow but steady stream passes the first-token deadline, then meets the total one.
    steady_but_slow(sim)
    with pytest.raises(UpstreamTimeoutError, match="no answer within 0.5 s"):
        await collect(provider, request(first_token_timeout=0.3, timeout=0.5))


async def test_unreachable_upstream_is_a_connection_error() -> None:
    adapter = OpenAICompatProvider(name="down", base_url="http://127.0.0.1:9/v1", connect_timeout=1)
    try:
        with pytest.raises(UpstreamConnectionError) as caught:
            await whole(adapter, request())
        assert caught.value.provider == "down"
    finally:
        await adapter.aclose()


async def test_model_list_and_one_pooled_session(provider: OpenAICompatProvider) -> None:
    models = await provider.list_models()
    assert MODEL in models
    session = provider._client()
    await whole(provider, request())
    await collect(provider, request())
    assert provider._client() is session


async def test_unwatched_streams_but_hands_back_the_whole_answer_without_deltas(
    provider: OpenAICompatProvider, sim: SimServer
) -> None:
    deltas, streamed = await collect(provider, request())
    items = [item async for item in provider.stream(request(), watched=False)]
    assert len(items) == 1 and isinstance(items[0], Completion)  # no deltas: nobody watches
    answer = items[0]
    assert sim.requests[-1].stream is True  # streamed from the upstream all the same
    assert answer.text == streamed.text == "".join(deltas)
    assert answer.usage == streamed.usage and answer.finish_reason == "stop"
    assert answer.model == MODEL and answer.simulated is True
    assert answer.ttft_ms is not None and 0 < answer.ttft_ms <= answer.latency_ms


async def test_unwatched_keeps_every_failure_of_a_stream(
    provider: OpenAICompatProvider, sim: SimServer
) -> None:
    fault(sim, FaultSpec(status=503))
    with pytest.raises(UpstreamServerError):
        await whole(provider, request())
    fault(sim, FaultSpec(malformed=True))
    with pytest.raises(MalformedResponseError):
        await whole(provider, request())
    fault(sim, FaultSpec(cut_stream_after=2))
    with pytest.raises(UpstreamConnectionError):
        await whole(provider, request())
    fault(sim, FaultSpec(hang=True))
    with pytest.raises(UpstreamTimeoutError, match="first token within 0.2 s"):
        await whole(provider, request(first_token_timeout=0.2, timeout=5.0))
    steady_but_slow(sim)
    with pytest.raises(UpstreamTimeoutError, match="no answer within 0.5 s"):
        await whole(provider, request(first_token_timeout=0.3, timeout=0.5))


async def test_unwatched_reads_a_body_larger_than_the_read_buffer() -> None:
    """After the first token an unwatched call waits for the end of the body, not for each network
    read; a body past the reader's high water mark (which pauses the socket) is drained as it
    goes, so it neither stalls nor loses a byte."""
    options = {"read_buffer": 16 * 1024, "drains": DrainSchedule(every=0.02)}  # pauses at 32 KiB
    words = [f"w{i:05d} " for i in range(20_000)]  # ≈ 2.6 MiB of events

    async def completions(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        await response.write(sse_event({"content": words[0]}))
        for start in range(1, len(words), 500):
            await response.write(
                b"".join(sse_event({"content": w}) for w in words[start : start + 500])
            )
        await response.write(sse_event({}, "stop") + b"data: [DONE]\n\n")
        return response

    async with hand_written_upstream(completions, host="127.0.0.1", **options) as adapter:
        answer = await whole(adapter, request(timeout=20.0))
    assert answer.text == "".join(words)
    assert answer.finish_reason == "stop"


async def test_unwatched_parses_the_rest_as_it_arrives_not_all_at_the_end(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Between the first token and the end, an unwatched call wakes a few times (not once per chunk)
    and parses what has come: when the body ends, only its last stretch is left to parse
    before the answer can go on to the next stage."""
    from llmcouncil.providers import sse

    batches: list[int] = []
    feed_rest = sse.StreamState.feed_rest

    def counting(self: sse.StreamState, lines: list[str]) -> None:
        batches.append(sum(line.startswith("data: {") for line in lines))
        feed_rest(self, lines)

    monkeypatch.setattr(sse.StreamState, "feed_rest", counting)  # observed, not changed
    every_20_ms = sse.DrainSchedule(first=0.02, growth=1.0)  # whatever the load
    words = [f"w{i:03d} " for i in range(60)]

    async def completions(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        for word in words:  # 60 chunks over 0.3 s
            await response.write(sse_event({"content": word}))
            await asyncio.sleep(0.005)
        await response.write(sse_event({}, "stop") + b"data: [DONE]\n\n")
        return response

    async with hand_written_upstream(completions, host="127.0.0.1", drains=every_20_ms) as adapter:
        answer = await whole(adapter, request(timeout=20.0))
    assert answer.text == "".join(words) and answer.finish_reason == "stop"
    assert sum(batches) == len(words)  # the first chunk, then the other 59 and the final one
    assert 4 <= len(batches) <= 40  # drains, not one wake-up per chunk
    assert batches[-1] <= len(words) // 3  # the end leaves only a stretch of the body


def test_drains_come_quickly_then_further_apart_up_to_a_cap() -> None:
    from llmcouncil.providers import sse

    waits = list(itertools.islice(sse.DrainSchedule().waits(), 12))
    assert waits[0] == sse.FIRST_DRAIN
    assert all(b >= a for a, b in itertools.pairwise(waits))
    assert max(waits) == sse.DRAIN_EVERY


async def test_cookies_an_upstream_sets_are_not_sent_back() -> None:
    """The adapter's connection pool serves every user's councils: a cookie one response sets
    must not ride along on the next call."""

    seen: list[str | None] = []

    async def completions(request: web.Request) -> web.StreamResponse:
        seen.append(request.headers.get("Cookie"))
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        response.set_cookie("session", "from-the-upstream")
        await response.prepare(request)
        await response.write(sse_event({"content": "ok"}, "stop") + b"data: [DONE]\n\n")
        return response

    # a host name: a cookie jar ignores cookies from bare IP addresses anyway
    async with hand_written_upstream(completions, host="localhost") as adapter:
        for _ in range(2):
            assert (await whole(adapter, request())).text == "ok"
    assert seen == [None, None]
