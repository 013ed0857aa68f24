"""An in-process provider with queued replies, for fast tests of stages and runs.

Like ``MockModel.enqueue`` in simonw/llm: a test queues what each model will say, in order, and
the council calls the fake through the ordinary provider contract (no HTTP, no simulator)::

    fake = FakeProvider()
    fake.enqueue("m1", "An answer", "FINAL RANKING:\\n1. Response A\\n2. Response B")
    fake.enqueue("chair", UpstreamServerError("boom"))          # the chairman fails
    fake.enqueue("m2", FakeReply("slow", release=event))        # answers once the event is set

A reply may also be a function of the request (to answer from the prompt). A model with
nothing queued answers with ``ProviderError`` (not retried), which a test sees as that member's
failure. ``requests`` records every request, in the order it was received, and ``watched``
whether its tokens were watched.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from llmcouncil.errors import ProviderError, UpstreamTimeoutError
from llmcouncil.providers.base import (
    Completion,
    CompletionRequest,
    ReasoningDelta,
    StreamItem,
    TextDelta,
)
from llmcouncil.records import Usage


@dataclass(frozen=True, slots=True)
class FakeReply:
    text: str
    reasoning: str | None = None
    # The reply waits for this event before its first token (a call a test holds in flight).
    release: asyncio.Event | None = None
    answered_by: str | None = None  # the model the upstream says answered (default: the asked)
    chunks: int = 3  # text deltas a stream is cut into
    finish_reason: str = "stop"  # "length": the reply was cut by the output budget


Reply = str | FakeReply | ProviderError | Callable[[CompletionRequest], "str | FakeReply"]


class FakeProvider:
    def __init__(self, name: str = "fake") -> None:
        self.name = name
        self.requests: list[CompletionRequest] = []
        self.watched: list[bool] = []  # each request's ``watched``, in the order received
        self._queues: dict[str, deque[Reply]] = {}
        self._arrived = asyncio.Condition()

    def enqueue(self, model: str, *replies: Reply) -> None:
        """What ``model`` (the upstream id) answers to its next calls, in order."""
        self._queues.setdefault(model, deque()).extend(replies)

    def pending(self, model: str) -> int:
        """Replies still queued for ``model``."""
        return len(self._queues.get(model, ()))

    async def received(self, count: int) -> None:
        """Until ``count`` requests have arrived in all."""
        async with self._arrived:
            await self._arrived.wait_for(lambda: len(self.requests) >= count)

    async def _next(self, request: CompletionRequest) -> FakeReply:
        self.requests.append(request)
        async with self._arrived:
            self._arrived.notify_all()
        queue = self._queues.get(request.model)
        if not queue:
            raise ProviderError("nothing queued", model=request.model, provider=self.name)
        reply = queue.popleft()
        if isinstance(reply, ProviderError):
            reply.model = reply.model or request.model
            reply.provider = reply.provider or self.name
            raise reply
        if callable(reply):
            reply = reply(request)
        return FakeReply(reply) if isinstance(reply, str) else reply

    def _completion(self, request: CompletionRequest, reply: FakeReply) -> Completion:
        words = len(reply.text.split())
        prompt = sum(len(m.content.split()) for m in request.messages)
        return Completion(
            text=reply.text,
            model=reply.answered_by or request.model,
            usage=Usage(prompt_tokens=prompt, completion_tokens=words, total_tokens=prompt + words),
            finish_reason=reply.finish_reason,
            latency_ms=1.0,
            ttft_ms=0.5,
            reasoning=reply.reasoning,
        )

    async def stream(
        self, request: CompletionRequest, *, watched: bool
    ) -> AsyncIterator[StreamItem]:
        """Unwatched, it yields no deltas (as the HTTP adapter's fast path) and a held reply
        that is not released within the request's first-token timeout fails as a timeout."""
        self.watched.append(watched)
        reply = await self._next(request)
        if reply.release is not None:
            await self._released(request, reply.release)
        if watched:
            if reply.reasoning:
                yield ReasoningDelta(reply.reasoning)
            size = max(1, -(-len(reply.text) // max(1, reply.chunks)))
            for start in range(0, len(reply.text), size):
                yield TextDelta(reply.text[start : start + size])
        yield self._completion(request, reply)

    async def _released(self, request: CompletionRequest, release: asyncio.Event) -> None:
        try:
            async with asyncio.timeout(request.first_token_timeout):
                await release.wait()
        except TimeoutError as exc:
            limit = request.first_token_timeout or 0.0
            raise UpstreamTimeoutError(
                f"no first token within {limit:g} s", model=request.model, provider=self.name
            ) from exc

    async def list_models(self) -> list[str]:
        return sorted(self._queues)

    async def aclose(self) -> None:
        return None
