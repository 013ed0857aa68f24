"""One attempt: one streamed request to one upstream, watched or not, with the first-token
deadline.

The first-token deadline runs from the moment the request is sent until the first token, so it
also covers an upstream that never sends its response headers. An unwatched request yields no
deltas to time it by, so there the adapter's own first-token deadline is the one that holds.
A request for structured output that the upstream rejects (400) is repeated once as plain text.
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
    final,
)
from llmcouncil.resilience.call_plan import DeltaListener

log = logging.getLogger(__name__)


async def send(
    provider: Provider,
    request: CompletionRequest,
    *,
    watched: bool,
    on_delta: DeltaListener | None,
) -> Completion:
    """One streamed request; ``on_delta`` hears the deltas of a watched one."""
    try:
        return await _send(provider, request, watched=watched, on_delta=on_delta)
    except BadRequestError:
        if request.json_schema is None:
            raise
        log.info("structured output rejected by %s; asking for text", request.model)
        plain = dataclasses.replace(request, json_schema=None)
        return await _send(provider, plain, watched=watched, on_delta=on_delta)


async def _send(
    provider: Provider,
    request: CompletionRequest,
    *,
    watched: bool,
    on_delta: DeltaListener | None,
) -> Completion:
    if not watched:  # no deltas to time the first token by: the adapter's deadline covers it
        return await final(provider.stream(request, watched=False))
    final_item: Completion | None = None
    started = False
    try:
        async with asyncio.timeout(request.first_token_timeout) as first_token:
            async for item in provider.stream(request, watched=True):
                if isinstance(item, ReasoningDelta):  # alive, but thinking is not the answer
                    first_token.reschedule(None)
                elif isinstance(item, TextDelta):
                    if not started:
                        started = True
                        first_token.reschedule(None)
                    if on_delta is not None:
                        on_delta(item.text)
                else:
                    final_item = item
                    first_token.reschedule(None)
    except TimeoutError as exc:
        limit = request.first_token_timeout or 0.0
        raise UpstreamTimeoutError(
            f"no first token within {limit:g} s", model=request.model, provider=provider.name
        ) from exc
    if final_item is None:  # the contract promises a final Completion; guard against adapters
        raise ProviderError(
            "stream ended without a result", model=request.model, provider=provider.name
        )
    return final_item
