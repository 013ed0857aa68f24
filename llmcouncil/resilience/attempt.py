"""One attempt: one request to one upstream, streamed or not, with the first-token deadline.

The first-token deadline runs from the moment the request is sent until the first token, so it
also covers an upstream that never sends its response headers (the provider's own first-token
timer only starts once the body does). A request for structured output that the upstream
rejects (400) is repeated once as plain text.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging

from llmcouncil.errors import BadRequestError, ProviderError, UpstreamTimeoutError
from llmcouncil.providers.base import (
    Completion,
    CompletionRequest,
    Provider,
    ReasoningDelta,
    TextDelta,
)
from llmcouncil.resilience.call_plan import DeltaListener, unwatched

log = logging.getLogger(__name__)


async def send(
    provider: Provider,
    request: CompletionRequest,
    on_delta: DeltaListener | None,
) -> Completion:
    """``on_delta`` None asks for a plain completion, otherwise a stream."""
    try:
        return await _send(provider, request, on_delta)
    except BadRequestError:
        if request.json_schema is None:
            raise
        log.info("structured output rejected by %s; asking for text", request.model)
        plain = dataclasses.replace(request, json_schema=None)
        return await _send(provider, plain, on_delta)


async def _send(
    provider: Provider, request: CompletionRequest, on_delta: DeltaListener | None
) -> Completion:
    if on_delta is None:
        return await provider.complete(request)
    if on_delta is unwatched:  # the provider's own deadline covers the first token
        return await provider.collect(request)
    final: Completion | None = None
    started = False
    try:
        async with asyncio.timeout(request.first_token_timeout) as first_token:
            async for item in provider.stream(request):
                if isinstance(item, ReasoningDelta):  # alive, but thinking is not the answer
                    first_token.reschedule(None)
                elif isinstance(item, TextDelta):
                    if not started:
                        started = True
                        first_token.reschedule(None)
                    on_delta(item.text)
                else:
                    final = item
                    first_token.reschedule(None)
    except TimeoutError as exc:
        limit = request.first_token_timeout or 0.0
        raise UpstreamTimeoutError(
            f"no first token within {limit:g} s", model=request.model, provider=provider.name
        ) from exc
    if final is None:  # the contract promises a final Completion; guard against adapters
        raise ProviderError(
            "stream ended without a result", model=request.model, provider=provider.name
        )
    return final
