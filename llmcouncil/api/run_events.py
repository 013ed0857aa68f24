"""``GET …/runs/{run_id}/events``: a run's events after the last one a client received.

Where the events come from, first match wins:

1. the run is live in this process: its channel, from the event after the cursor, then live;
2. it is live on another instance and Redis is configured: the run's Redis stream
   (``api/live_streams.py``), read after the cursor and blocking, to the terminal event;
3. it has ended and its stream is still in Redis (for an hour) holding the event after the
   cursor: the rest of the stream, so the client gets exactly what it missed;
4. otherwise the database: the stored run as events (``transcript.replay_events``, numbered
   ``<run_id>:stored:<n>``); for a run still running elsewhere with no stream to follow, what
   is stored so far and then a ``stream_notice`` event saying to poll the conversation — the
   response ends, it never hangs.

A run handed over by a draining instance (council/handover.py) is nobody's until a live
instance's sweep takes it, within a heartbeat: a client that follows it then is held until it
has been taken over and its new owner publishes (at most ``handover_wait`` seconds), and then
gets the events of its new numbering from the first.

A viewer is not a listener of the run: it neither keeps it alive nor cancels it when it goes
away (``on_disconnect`` applies to the starter's stream only). The response names its source
in ``X-Council-Stream-Source`` (``local``, ``redis``, ``stored``).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass

from fastapi.responses import StreamingResponse
from redis.exceptions import RedisError

from llmcouncil.api.live_streams import FeedBreak, RedisEventFeed, StreamHead
from llmcouncil.api.sse import STORED_MARK, numbered_frames, sse_response
from llmcouncil.council.events import CouncilEvent
from llmcouncil.council.handover import handover_error
from llmcouncil.council.runs import RunService
from llmcouncil.council.transcript import replay_events
from llmcouncil.errors import NotFoundError, ValidationFailedError
from llmcouncil.records import RunStatus
from llmcouncil.store.records import RunDetail
from llmcouncil.store.repository import Store

log = logging.getLogger(__name__)
SOURCE_HEADER = "X-Council-Stream-Source"
NOTICE_TYPE = "stream_notice"


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where the client is: after live event ``after`` of the numbering ``epoch`` (None: the
    current one), or after event ``stored`` of a stored replay (None: it has seen none of one)."""

    after: int = 0
    epoch: str | None = None
    stored: int | None = None

    def after_in(self, epoch: str | None) -> int:
        """The event to continue after in the numbering ``epoch``: from the start when the
        client's events were of another numbering (the run was resumed or retried since)."""
        if self.epoch is not None and epoch is not None and self.epoch != epoch:
            return 0
        return self.after


def parse_cursor(run_id: str, *, last_event_id: str | None, after: int | None) -> Cursor:
    """``Last-Event-ID`` (what an EventSource sends when it reconnects) wins over ``?after``."""
    if not last_event_id:
        return Cursor(after=after or 0)
    parts = last_event_id.strip().split(":")
    if parts[0] != run_id:
        raise ValidationFailedError(
            f"Last-Event-ID {last_event_id!r} is not an event of run {run_id}"
        )
    if len(parts) not in (2, 3) or not parts[-1].isdigit() or not all(parts[1:-1]):
        raise ValidationFailedError(
            f"Last-Event-ID {last_event_id!r} is not <run_id>:<epoch>:<n> or <run_id>:stored:<n>"
        )
    seq = int(parts[-1])
    if len(parts) == 3 and parts[1] == STORED_MARK:
        return Cursor(stored=seq)
    return Cursor(after=seq, epoch=parts[1] if len(parts) == 3 else None)


def notice(run_id: str, conversation_id: str, *, reason: str, message: str) -> bytes:
    body = {
        "type": NOTICE_TYPE,
        "run_id": run_id,
        "status": RunStatus.RUNNING.value,
        "reason": reason,
        "message": message,
        "poll": f"/api/conversations/{conversation_id}",
    }
    return f"data: {json.dumps(body, ensure_ascii=False)}\n\n".encode()


async def _numbered(events: Iterable[CouncilEvent]) -> AsyncIterator[tuple[int, CouncilEvent]]:
    for seq, event in enumerate(events, start=1):
        yield seq, event


def _stored_frames(detail: RunDetail, cursor: Cursor) -> AsyncIterator[bytes]:
    """The stored run, after the client's place in an earlier replay of it (or all of it)."""
    return numbered_frames(
        _numbered(replay_events(detail)),
        run_id=detail.run.id,
        vault=detail.vault,
        after=cursor.stored or 0,
        stored=True,
    )


def _replayable(head: StreamHead | None, cursor: Cursor) -> bool:
    """An ended run's stream still holds the event after the client's live cursor, in the
    client's numbering."""
    if head is None or cursor.after <= 0 or cursor.after_in(head.epoch) == 0:
        return False
    return head.first <= cursor.after + 1


class _FollowOutcome:
    """How following a stream ended, when it did not end at the terminal event."""

    def __init__(self) -> None:
        self.broken: FeedBreak | None = None
        self.ended: RunDetail | None = None  # the run ended, its terminal never in the stream
        self.unpublished = False  # live elsewhere, with no stream to follow
        self.epoch: str | None = None  # the numbering of the events read


def _awaiting_takeover(detail: RunDetail) -> bool:
    return (
        detail.run.status == RunStatus.RUNNING
        and handover_error(detail.run.error or {}, detail.run.id) is not None
    )


class RunEventSource:
    def __init__(
        self,
        *,
        store: Store,
        runs: RunService,
        feed: RedisEventFeed | None,
        handover_wait: float = 10.0,
        poll: float = 0.2,
    ) -> None:
        self._store = store
        self._runs = runs
        self._feed = feed
        self._handover_wait = handover_wait
        self._poll = poll

    async def response(
        self, *, conversation_id: str, run_id: str, cursor: Cursor
    ) -> StreamingResponse:
        if self._runs.active(run_id) is None:
            await self._until_taken_over(run_id)
        handle = self._runs.active(run_id)
        if handle is not None and handle.conversation_id == conversation_id:
            restoring = handle.vault is not None and len(handle.vault) > 0
            after = cursor.after_in(handle.channel.epoch)
            frames = numbered_frames(
                handle.channel.numbered(0 if restoring else after),
                run_id=run_id,
                vault=handle.vault,
                after=after,
                epoch=handle.channel.epoch,
            )
            return sse_response(frames, headers={SOURCE_HEADER: "local"})
        detail = await self._store.get_run(run_id)
        if detail.run.conversation_id != conversation_id:
            raise NotFoundError(f"run {run_id} does not exist")
        running = detail.run.status == RunStatus.RUNNING
        if self._feed is not None:
            try:
                head = await self._feed.head(run_id)
            except (RedisError, OSError):
                log.warning("live streams: Redis is unreachable; run %s answered as stored", run_id)
            else:
                if running or _replayable(head, cursor):
                    frames = self._followed(self._feed, detail, cursor, head)
                    return sse_response(frames, headers={SOURCE_HEADER: "redis"})
        frames = _stored_frames(detail, cursor)
        if running:
            frames = self._then_poll(frames, detail, reason="no_live_stream")
        return sse_response(frames, headers={SOURCE_HEADER: "stored"})

    async def _until_taken_over(self, run_id: str) -> None:
        """A handed-over run: until an instance has taken it over and published its first
        events, or ``handover_wait`` has passed. Another process's state, with no event to
        await: looked at every ``poll`` seconds."""
        loop = asyncio.get_running_loop()
        give_up = loop.time() + self._handover_wait
        while loop.time() < give_up:
            if self._runs.active(run_id) is not None:
                return
            try:
                detail = await self._store.get_run(run_id)
            except NotFoundError:
                return
            if not _awaiting_takeover(detail):
                if self._feed is None or detail.run.status != RunStatus.RUNNING:
                    return
                try:
                    if not await self._feed.ended_by_handover(run_id):
                        return
                except (RedisError, OSError):
                    return
            await asyncio.sleep(self._poll)

    async def _then_poll(
        self, frames: AsyncIterator[bytes], detail: RunDetail, *, reason: str
    ) -> AsyncIterator[bytes]:
        async for frame in frames:
            yield frame
        yield notice(
            detail.run.id,
            detail.run.conversation_id,
            reason=reason,
            message=(
                "The run is live on another server instance and its events cannot be followed "
                "from here; read the conversation again until the run has ended."
            ),
        )

    async def _followed(
        self, feed: RedisEventFeed, detail: RunDetail, cursor: Cursor, head: StreamHead | None
    ) -> AsyncIterator[bytes]:
        run_id = detail.run.id
        restoring = detail.vault is not None and len(detail.vault) > 0
        epoch = head.epoch if head is not None else cursor.epoch
        after = cursor.after_in(epoch)
        outcome = _FollowOutcome()
        pairs = self._pairs(
            feed, run_id, after=0 if restoring else after, epoch=epoch, outcome=outcome
        )
        async for frame in numbered_frames(
            pairs, run_id=run_id, vault=detail.vault, after=after, epoch=lambda: outcome.epoch
        ):
            yield frame
        if outcome.ended is not None:  # its owner died, or Redis lost the end: the database
            async for frame in _stored_frames(outcome.ended, Cursor()):
                yield frame
        elif outcome.broken is not None:
            yield notice(
                run_id,
                detail.run.conversation_id,
                reason="stream_broken",
                message=f"{outcome.broken.reason}; read the conversation again.",
            )
        elif outcome.unpublished:
            async for frame in self._then_poll(
                _stored_frames(detail, Cursor()), detail, reason="no_live_stream"
            ):
                yield frame

    async def _pairs(
        self,
        feed: RedisEventFeed,
        run_id: str,
        *,
        after: int,
        epoch: str | None,
        outcome: _FollowOutcome,
    ) -> AsyncIterator[tuple[int, CouncilEvent]]:
        try:
            async for pair in self._read(feed, run_id, after=after, epoch=epoch, outcome=outcome):
                yield pair
        except (RedisError, OSError) as exc:
            outcome.broken = FeedBreak(f"Redis is unreachable ({type(exc).__name__})")

    async def _read(
        self,
        feed: RedisEventFeed,
        run_id: str,
        *,
        after: int,
        epoch: str | None,
        outcome: _FollowOutcome,
    ) -> AsyncIterator[tuple[int, CouncilEvent]]:
        ended: RunDetail | None = None
        async for item in feed.follow(run_id, after=after, epoch=epoch):
            if isinstance(item, FeedBreak):
                outcome.broken = item
                return
            if item is not None:
                seq, event, outcome.epoch = item
                yield seq, event
                continue
            if ended is not None:  # a whole block after the run ended, and still no end
                outcome.ended = ended
                return
            # A block passed with nothing new: is the run still live, and published?
            now = await self._store.get_run(run_id)
            if now.run.status != RunStatus.RUNNING:
                ended = now  # its end may be on its way to the stream: one more block
                continue
            if not await feed.exists(run_id):
                outcome.unpublished = True
                return
