"""Server-sent events for a run: ``data: {json}`` lines, as the original prototype sent them.

Each event of a run's stream also carries an ``id:`` line, ``<run_id>:<epoch>:<n>`` with ``n``
its sequence number in the run (``RunChannel.numbered``) and ``epoch`` its channel's (a run
resumed by another instance, or retried, numbers its events again on a new channel), so a
client whose stream breaks can ask ``GET …/runs/{run_id}/events`` for what came after it
(``api/run_events.py``); the ``data:`` lines are unchanged. The events of a stored run
replayed (a repeated Idempotency-Key, a run that ended before the request) are numbered in the
replay: ``<run_id>:stored:<n>``.

When the privacy guard restores placeholders, one event can become several (a held-back delta
tail is flushed before a ``model_complete``): they are written as one chunk and only the last
carries the id, so a client never records an id whose event it has only partly seen.

A comment line every 15 s keeps proxies from closing an idle stream while a slow model thinks.
When the starter's client goes away, the stream detaches from the run and the run service
decides whether the run goes on (``on_disconnect``); a viewer's stream has no such hooks.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable

from fastapi.responses import StreamingResponse

from llmcouncil.council.events import CouncilEvent
from llmcouncil.council.restored_events import StreamRestorer
from llmcouncil.council.runs import RunHandle, RunService
from llmcouncil.privacy.restore import Restoring

SSE_HEADERS = {"Cache-Control": "no-cache", "Connection": "keep-alive", "X-Accel-Buffering": "no"}
KEEPALIVE_SECONDS = 15.0
STORED_MARK = "stored"


def event_id(run_id: str, seq: int, *, epoch: str | None = None, stored: bool = False) -> str:
    """The SSE id of a run's event: live ``<run_id>:<epoch>:<n>`` (``<run_id>:<n>`` when the
    epoch is unknown), replayed ``<run_id>:stored:<n>``."""
    if stored:
        return f"{run_id}:{STORED_MARK}:{seq}"
    return f"{run_id}:{epoch}:{seq}" if epoch else f"{run_id}:{seq}"


async def numbered_frames(
    pairs: AsyncIterator[tuple[int, CouncilEvent]],
    *,
    run_id: str,
    vault: Restoring | None,
    after: int = 0,
    epoch: str | Callable[[], str | None] | None = None,
    stored: bool = False,
) -> AsyncIterator[bytes]:
    """The wire bytes of the numbered events after ``after``, placeholders restored.

    With a vault, ``pairs`` must start at event 1: the restorer is fed every event (those up to
    ``after`` silently), so the text it holds back is the same as on the first stream.
    """
    restorer = StreamRestorer(vault) if vault is not None and len(vault) else None
    async for seq, event in pairs:
        pieces = list(restorer.feed(event)) if restorer is not None else [event]
        if seq <= after or not pieces:
            continue
        numbering = epoch() if callable(epoch) else epoch  # a follower learns it as it reads
        last = pieces[-1].to_sse(event_id(run_id, seq, epoch=numbering, stored=stored))
        yield b"".join(piece.to_sse() for piece in pieces[:-1]) + last


def sse_response(
    pieces: AsyncIterator[bytes],
    *,
    opening: bytes = b"",
    on_start: Callable[[], None] | None = None,
    on_end: Callable[[], None] | None = None,
    headers: dict[str, str] | None = None,
) -> StreamingResponse:
    """A streaming response of ``pieces``, with keep-alive comments while none comes.

    ``on_end`` must be synchronous: on a disconnect it runs inside a cancelled scope, where any
    await would be cancelled again before it could finish.
    """

    async def body() -> AsyncIterator[bytes]:
        pending: asyncio.Future[bytes] | None = None
        if on_start is not None:
            on_start()
        try:
            if opening:
                yield opening
            while True:
                if pending is None:
                    pending = asyncio.ensure_future(anext(pieces))
                done, _ = await asyncio.wait({pending}, timeout=KEEPALIVE_SECONDS)
                if not done:
                    yield b": keep-alive\n\n"
                    continue
                finished, pending = pending, None
                try:
                    piece = finished.result()
                except StopAsyncIteration:
                    return
                yield piece
        finally:
            if pending is not None:
                pending.cancel()
            if on_end is not None:
                on_end()

    return StreamingResponse(
        body(), media_type="text/event-stream", headers={**SSE_HEADERS, **(headers or {})}
    )


def _attached(handle: RunHandle, runs: RunService) -> tuple[Callable[[], None], Callable[[], None]]:
    """The starter's hooks: the run lives for this stream (``on_disconnect``)."""

    def ended() -> None:
        handle.channel.detach()
        runs.released(handle)

    return handle.channel.attach, ended


async def _rendered(
    events: AsyncIterator[CouncilEvent], render: Callable[[CouncilEvent], Iterable[bytes]]
) -> AsyncIterator[bytes]:
    async for event in events:
        chunk = b"".join(render(event))
        if chunk:
            yield chunk


def event_stream(
    handle: RunHandle,
    runs: RunService,
    *,
    render: Callable[[CouncilEvent], Iterable[bytes]],
    opening: bytes = b"",
) -> StreamingResponse:
    """Stream a run's events to the client that started it, each turned into wire bytes by
    ``render``."""
    on_start, on_end = _attached(handle, runs)
    return sse_response(
        _rendered(handle.events(), render), opening=opening, on_start=on_start, on_end=on_end
    )


def run_stream(handle: RunHandle, runs: RunService) -> StreamingResponse:
    """The original prototype's stream, one ``data: {json}`` line per event, each with its id."""
    on_start, on_end = _attached(handle, runs)
    frames = numbered_frames(
        handle.channel.numbered(),
        run_id=handle.run_id,
        vault=handle.vault,
        epoch=handle.channel.epoch,
        stored=handle.task is None,  # a replay of a run that had already ended
    )
    return sse_response(frames, on_start=on_start, on_end=on_end)
