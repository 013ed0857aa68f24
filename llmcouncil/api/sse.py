"""Server-sent events for a run: ``data: {json}`` lines, as the original prototype sent them.

A comment line every 15 s keeps proxies from closing an idle stream while a slow model thinks.
When the client goes away, the stream detaches from the run and the run service decides
whether the run goes on (``on_disconnect``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable

from fastapi.responses import StreamingResponse

from llmcouncil.council.events import CouncilEvent
from llmcouncil.council.runs import RunHandle, RunService

SSE_HEADERS = {"Cache-Control": "no-cache", "Connection": "keep-alive", "X-Accel-Buffering": "no"}
KEEPALIVE_SECONDS = 15.0


def event_stream(
    handle: RunHandle,
    runs: RunService,
    *,
    render: Callable[[CouncilEvent], Iterable[bytes]],
    opening: bytes = b"",
) -> StreamingResponse:
    """Stream a run's events, each turned into wire bytes by ``render``."""

    async def body() -> AsyncIterator[bytes]:
        events = handle.events()
        pending: asyncio.Future[CouncilEvent] | None = None
        handle.channel.attach()
        try:
            if opening:
                yield opening
            while True:
                if pending is None:
                    pending = asyncio.ensure_future(anext(events))
                done, _ = await asyncio.wait({pending}, timeout=KEEPALIVE_SECONDS)
                if not done:
                    yield b": keep-alive\n\n"
                    continue
                finished, pending = pending, None
                try:
                    event = finished.result()
                except StopAsyncIteration:
                    return
                for piece in render(event):
                    yield piece
        finally:
            # Only synchronous steps here: on a disconnect this runs inside a cancelled scope,
            # where any await would be cancelled again before it could finish.
            if pending is not None:
                pending.cancel()
            handle.channel.detach()
            runs.released(handle)

    return StreamingResponse(body(), media_type="text/event-stream", headers=SSE_HEADERS)


def run_stream(handle: RunHandle, runs: RunService) -> StreamingResponse:
    """The original prototype's stream: one ``data: {json}`` line per event."""
    return event_stream(handle, runs, render=lambda event: (event.to_sse(),))
