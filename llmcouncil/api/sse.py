"""Server-sent events for a run: ``data: {json}`` lines, as the original prototype sent them.

A comment line every 15 s keeps proxies from closing an idle stream while a slow model thinks.
When the client goes away, the stream detaches from the run and the run service decides
whether the run goes on (``on_disconnect``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from fastapi.responses import StreamingResponse

from llmcouncil.council.events import CouncilEvent
from llmcouncil.council.runs import RunHandle, RunService

SSE_HEADERS = {"Cache-Control": "no-cache", "Connection": "keep-alive", "X-Accel-Buffering": "no"}
KEEPALIVE_SECONDS = 15.0


def run_stream(handle: RunHandle, runs: RunService) -> StreamingResponse:
    async def body() -> AsyncIterator[bytes]:
        events = handle.events()
        pending: asyncio.Future[CouncilEvent] | None = None
        handle.channel.attach()
        try:
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
                yield event.to_sse()
        finally:
            # Only synchronous steps here: on a disconnect this runs inside a cancelled scope,
            # where any await would be cancelled again before it could finish.
            if pending is not None:
                pending.cancel()
            handle.channel.detach()
            runs.released(handle)

    return StreamingResponse(body(), media_type="text/event-stream", headers=SSE_HEADERS)
