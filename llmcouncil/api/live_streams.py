"""A run's events in Redis Streams, so a client of any instance can follow a live run.

The instance that runs a council publishes the events of its channel to the run's stream,
``llmcouncil:run-events:<run_id>``: one entry per batch of events, under the entry id ``0-<n>``
with ``n`` the sequence number of the batch's last event (the number the SSE ``id:`` carries),
so a follower reads "after event n" as ``XREAD … 0-<n>`` — the first entry it gets holds event
n + 1 — with no mapping kept anywhere. An entry holds its events as a JSON array (``e``), the
number of its first (``f``), and the id of the publication (``o``, one per launch of the run);
the privacy guard's placeholders stay in, so no original value reaches Redis. The publication's
id is the run channel's epoch, the one the SSE ids carry.

Off the hot path: the channel's tap only appends to a list; one task of the process sends what
every run gathered in the last ``linger`` (100 ms) as one pipeline (per run ``XADD … MAXLEN ~``
and ``EXPIRE``), so a run's deltas in that time are one entry. After the terminal
event the stream expires (``ENDED_TTL_SECONDS``), long enough for a client to come back and
replay it. A stream newly published for a run (a run resumed or retried numbers its events
from 1 again) replaces the old one; a follower that sees the publication change stops
(``RedisEventFeed``), as it does at a gap. Redis unreachable: the publication of that run
stops (logged); its followers finish from the database.

Nothing here is built when ``redis_url`` is not set.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import json
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from llmcouncil.council.events import TERMINAL, CouncilEvent, EventType, RunChannel
from llmcouncil.council.handover import HANDED_OVER
from llmcouncil.council.pipeline import RunContext

log = logging.getLogger(__name__)

STREAM_PREFIX = "llmcouncil:run-events:"
# Entries are batches: a council streaming from five members sends a few dozen. The cap bounds
# a runaway run's memory in Redis (approximate trimming, the cheap kind).
MAXLEN = 10_000
ENDED_TTL_SECONDS = 3_600
_WARN_EVERY = 60.0


def stream_key(run_id: str) -> str:
    return f"{STREAM_PREFIX}{run_id}"


def redis_client(url: str) -> Any:
    from redis.asyncio import Redis

    return Redis.from_url(url)


class _Publication:
    """One run's events not yet sent to its stream."""

    __slots__ = ("ended", "fresh", "key", "owner", "pending", "seq")

    def __init__(self, run_id: str, epoch: str) -> None:
        self.key = stream_key(run_id)
        # The channel's epoch: a run resumed or retried publishes again, numbered from 1.
        self.owner = epoch
        self.pending: list[tuple[int, CouncilEvent]] = []
        self.seq = 0
        self.fresh = True  # its stream is replaced by the first send that succeeds
        self.ended = False

    def queue(self, pipe: Any, publisher: LiveEventPublisher) -> None:
        """Its pending events as one entry, named by the number of the last of them."""
        batch, self.pending = self.pending, []
        if self.fresh:
            pipe.delete(self.key)  # a run resumed here numbers its events from 1 again
        events = ",".join(event.to_json() for _seq, event in batch)
        pipe.xadd(
            self.key,
            {"e": f"[{events}]", "f": batch[0][0], "o": self.owner},
            id=f"0-{batch[-1][0]}",
            maxlen=publisher.maxlen,
            approximate=True,
        )
        if self.ended:
            pipe.expire(self.key, publisher.ended_ttl)
        elif self.fresh:
            pipe.expire(self.key, publisher.live_ttl)


class LiveEventPublisher:
    """A ``RunObserver``: every run this process launches is published to its Redis stream.

    The runs' taps only append; one task of the process gathers for ``linger`` seconds after the
    first new event, then sends every run's new events as one pipeline. The cost is then a few
    commands per run per ``linger`` however fast the deltas come, not a round trip per event
    (bench/stream_publish.py); a viewer on another instance sees events ``linger`` later.
    """

    def __init__(
        self,
        client: Any,
        *,
        linger: float = 0.1,
        maxlen: int = MAXLEN,
        ended_ttl: int = ENDED_TTL_SECONDS,
        live_ttl: int = 86_400,
    ) -> None:
        self.client = client
        self.linger = linger
        self.maxlen = maxlen
        self.ended_ttl = ended_ttl
        self.live_ttl = live_ttl  # a run whose instance died mid-run is forgotten after this
        self._dirty: dict[int, _Publication] = {}
        self._wake: asyncio.Event | None = None
        self._flusher: asyncio.Task[None] | None = None
        self._round: asyncio.Future[None] | None = None  # resolved as each send ends
        self._sending = False
        self._warned_at = -_WARN_EVERY

    def run_started(
        self, ctx: RunContext, channel: RunChannel, context: contextvars.Context
    ) -> None:
        del context  # one task of the process sends every run's events
        publication = _Publication(ctx.run_id, channel.epoch)

        def add(event: CouncilEvent) -> None:  # the channel's tap, on the run's own path
            publication.seq += 1
            pending = publication.pending
            pending.append((publication.seq, event))
            kind = event.type
            if kind is EventType.COMPLETE or kind is EventType.ERROR:
                publication.ended = True
            if len(pending) == 1:  # the first since its last send: the flusher is told once
                self._dirty[id(publication)] = publication
                if self._wake is not None:
                    self._wake.set()

        channel.tap(add)
        if self._flusher is None:
            self._wake = asyncio.Event()
            self._round = asyncio.get_running_loop().create_future()
            self._flusher = asyncio.create_task(self._flush_forever(), name="publish-runs")

    async def _flush_forever(self) -> None:
        assert self._wake is not None
        while True:
            await self._wake.wait()
            await asyncio.sleep(self.linger)  # what comes meanwhile goes in the same pipeline
            self._wake.clear()
            await self._send_dirty()

    async def _send_dirty(self) -> None:
        from redis.exceptions import RedisError

        publications, self._dirty = list(self._dirty.values()), {}
        self._sending = True
        try:
            pipe = self.client.pipeline(transaction=False)
            for publication in publications:
                publication.queue(pipe, self)
            await pipe.execute()
        except (RedisError, OSError) as exc:
            # Those events are lost to the stream: a follower sees the gap and says so.
            self.warn(exc)
        else:
            for publication in publications:
                publication.fresh = False
        finally:
            self._sending = False
            done, self._round = self._round, asyncio.get_running_loop().create_future()
            if done is not None:
                done.set_result(None)

    def warn(self, exc: BaseException) -> None:
        now = time.monotonic()
        if now - self._warned_at >= _WARN_EVERY:
            self._warned_at = now
            log.error("live streams: Redis is unreachable, run events are not published (%s)", exc)

    async def drained(self) -> None:
        """Until every event emitted so far has been sent (or its send has failed)."""
        while (self._dirty or self._sending) and self._round is not None:
            await asyncio.shield(self._round)

    async def aclose(self, *, grace: float = 5.0) -> None:
        """At shutdown, after the runs have stopped: their last events are sent (within
        ``grace``), then the connections closed."""
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.drained(), grace)
        finally:
            if self._flusher is not None:
                self._flusher.cancel()
                await asyncio.gather(self._flusher, return_exceptions=True)
            await self.client.aclose()


@dataclass(frozen=True, slots=True)
class FeedBreak:
    """The stream cannot continue the events from where the follower is: a gap (trimmed, or a
    publication that stopped and began again) or another owner's numbering (a taken-over run)."""

    reason: str


@dataclass(frozen=True, slots=True)
class StreamHead:
    first: int  # the number of the oldest event still in the stream
    epoch: str  # the numbering's (``RunChannel.epoch`` of the publishing run)


# (n, event, the epoch of its numbering); None: nothing came within the block
FeedItem = tuple[int, CouncilEvent, str] | FeedBreak | None


class RedisEventFeed:
    """Reads a run's stream after an event number: what is there, then blocking for more."""

    def __init__(self, client: Any, *, block_ms: int = 5_000) -> None:
        self.client = client
        self.block_ms = block_ms

    async def exists(self, run_id: str) -> bool:
        return bool(await self.client.exists(stream_key(run_id)))

    async def head(self, run_id: str) -> StreamHead | None:
        """The oldest event the stream still holds and its epoch; None if it holds none."""
        entries = await self.client.xrange(stream_key(run_id), count=1)
        if not entries:
            return None
        fields = entries[0][1]
        return StreamHead(first=int(fields[b"f"]), epoch=_text(fields[b"o"]))

    async def ended_by_handover(self, run_id: str) -> bool:
        """Whether the stream's last event is a handover (council/handover.py): the instance
        that resumes the run has not published yet."""
        entries = await self.client.xrevrange(stream_key(run_id), count=1)
        if not entries:
            return False
        events = json.loads(entries[0][1][b"e"])
        last = events[-1] if events else {}
        return bool(last.get("type") == EventType.ERROR and last.get("code") == HANDED_OVER)

    async def follow(
        self, run_id: str, *, after: int, epoch: str | None = None
    ) -> AsyncIterator[FeedItem]:
        """Events after ``after`` of the numbering ``epoch`` (None: whichever comes first) in
        order, to the terminal one; ``None`` each time a block passes with nothing new (the
        caller checks whether the run still lives); a ``FeedBreak`` ends it."""
        key = stream_key(run_id)
        last, owner = after, epoch
        while True:
            reply = await self.client.xread({key: f"0-{last}"}, count=1_000, block=self.block_ms)
            if not reply:
                yield None
                continue
            for _raw_id, fields in reply[0][1]:
                first = int(fields[b"f"])  # the batch's events are numbered first, first + 1, …
                entry_owner = _text(fields[b"o"])
                if first > last + 1:
                    yield FeedBreak(f"events {last + 1}–{first - 1} are no longer in the stream")
                    return
                if owner is not None and entry_owner != owner:
                    yield FeedBreak("the run moved to another instance")
                    return
                owner = entry_owner
                for seq, data in enumerate(json.loads(fields[b"e"]), start=first):
                    if seq <= last:
                        continue
                    event = CouncilEvent.from_dict(data)
                    last = seq
                    yield seq, event, entry_owner
                    if event.type in TERMINAL:
                        return


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
