"""A run's events in Redis Streams, so a client of any instance can follow a live run.

The instance that runs a council publishes each event of its channel to the run's stream,
``llmcouncil:run-events:<run_id>``, under the entry id ``0-<n>`` (``n`` the event's sequence
number in the run, the same number the SSE ``id:`` carries), so a follower reads "after event
n" as ``XREAD … 0-<n>`` with no mapping kept anywhere. Each entry holds the event as JSON, with
the privacy guard's placeholders still in (no original value reaches Redis), and the id of the
publication (one per launch of the run).

Off the hot path: the channel's tap only appends to a list and sets an event; one publisher task
per run sends what has gathered as one pipeline (``XADD … MAXLEN ~`` per event), so a burst of
deltas is one round trip. After the terminal event the stream expires (``ENDED_TTL_SECONDS``),
long enough for a client to come back and replay it. A stream newly published for a run (a run
resumed or retried numbers its events from 1 again) replaces the old one; a follower that
sees the publication change stops (``RedisEventFeed``), as it does at a gap. Redis unreachable:
the publication of that run stops (logged); its followers finish from the database.

Nothing here is built when ``redis_url`` is not set.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from llmcouncil.council.events import TERMINAL, CouncilEvent, RunChannel
from llmcouncil.council.pipeline import RunContext

log = logging.getLogger(__name__)

STREAM_PREFIX = "llmcouncil:run-events:"
# A council streaming tokens from five members sends a few thousand events; the cap bounds a
# runaway run's memory in Redis (approximate trimming, the cheap kind).
MAXLEN = 50_000
ENDED_TTL_SECONDS = 3_600
_WARN_EVERY = 60.0


def stream_key(run_id: str) -> str:
    return f"{STREAM_PREFIX}{run_id}"


def redis_client(url: str) -> Any:
    from redis.asyncio import Redis

    return Redis.from_url(url)


class _Publication:
    """One run's events on their way to its stream, in order, one pipeline per batch."""

    def __init__(self, publisher: LiveEventPublisher, run_id: str) -> None:
        self._publisher = publisher
        self._key = stream_key(run_id)
        # Names this publication: a run resumed or retried publishes again, numbered from 1.
        self._owner = uuid.uuid4().hex[:12]
        self._pending: list[tuple[int, CouncilEvent]] = []
        self._seq = 0
        self._wake = asyncio.Event()

    def add(self, event: CouncilEvent) -> None:
        """The channel's tap: synchronous and cheap, on the run's own path."""
        self._seq += 1
        self._pending.append((self._seq, event))
        self._wake.set()

    async def run(self) -> None:
        from redis.exceptions import RedisError

        fresh = True
        while True:
            await self._wake.wait()
            self._wake.clear()
            batch, self._pending = self._pending, []
            ended = any(event.type in TERMINAL for _seq, event in batch)
            try:
                await self._send(batch, fresh=fresh, ended=ended)
            except (RedisError, OSError) as exc:
                self._publisher.warn(exc)
                return
            fresh = False
            if ended:
                return

    async def _send(
        self, batch: list[tuple[int, CouncilEvent]], *, fresh: bool, ended: bool
    ) -> None:
        publisher = self._publisher
        pipe = publisher.client.pipeline(transaction=False)
        if fresh:
            pipe.delete(self._key)  # a run resumed here numbers its events from 1 again
        for seq, event in batch:
            pipe.xadd(
                self._key,
                {"e": event.to_json(), "o": self._owner},
                id=f"0-{seq}",
                maxlen=publisher.maxlen,
                approximate=True,
            )
        pipe.expire(self._key, publisher.ended_ttl if ended else publisher.live_ttl)
        await pipe.execute()


class LiveEventPublisher:
    """A ``RunObserver``: every run this process launches is published to its Redis stream."""

    def __init__(
        self,
        client: Any,
        *,
        maxlen: int = MAXLEN,
        ended_ttl: int = ENDED_TTL_SECONDS,
        live_ttl: int = 86_400,
    ) -> None:
        self.client = client
        self.maxlen = maxlen
        self.ended_ttl = ended_ttl
        self.live_ttl = live_ttl  # a run whose instance died mid-run is forgotten after this
        self._tasks: set[asyncio.Task[None]] = set()
        self._warned_at = -_WARN_EVERY

    def run_started(
        self, ctx: RunContext, channel: RunChannel, context: contextvars.Context
    ) -> None:
        publication = _Publication(self, ctx.run_id)
        channel.tap(publication.add)
        # In the run's context, so what it logs names the run.
        task = asyncio.create_task(
            publication.run(), name=f"publish-{ctx.run_id}", context=context.copy()
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def warn(self, exc: BaseException) -> None:
        now = time.monotonic()
        if now - self._warned_at >= _WARN_EVERY:
            self._warned_at = now
            log.error("live streams: Redis is unreachable, a run is not published (%s)", exc)

    async def drained(self) -> None:
        """Until every publication has sent what it holds (their runs have ended)."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def aclose(self, *, grace: float = 5.0) -> None:
        """At shutdown, after the runs have stopped: their last events are sent (within
        ``grace``), then the connections closed."""
        try:
            await asyncio.wait_for(self.drained(), grace)
        except TimeoutError:
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.client.aclose()


@dataclass(frozen=True, slots=True)
class FeedBreak:
    """The stream cannot continue the events from where the follower is: a gap (trimmed, or a
    publication that stopped and began again) or another owner's numbering (a taken-over run)."""

    reason: str


FeedItem = tuple[int, CouncilEvent] | FeedBreak | None  # None: nothing came within the block


class RedisEventFeed:
    """Reads a run's stream after an event number: what is there, then blocking for more."""

    def __init__(self, client: Any, *, block_ms: int = 5_000) -> None:
        self.client = client
        self.block_ms = block_ms

    async def exists(self, run_id: str) -> bool:
        return bool(await self.client.exists(stream_key(run_id)))

    async def first_seq(self, run_id: str) -> int | None:
        """The number of the oldest event the stream still holds; None if it holds none."""
        entries = await self.client.xrange(stream_key(run_id), count=1)
        return _seq(entries[0][0]) if entries else None

    async def follow(self, run_id: str, *, after: int) -> AsyncIterator[FeedItem]:
        """Events after ``after`` in order, to the terminal one; ``None`` each time a block
        passes with nothing new (the caller checks whether the run still lives); a
        ``FeedBreak`` ends it."""
        key = stream_key(run_id)
        last, owner = after, None
        while True:
            reply = await self.client.xread({key: f"0-{last}"}, count=1_000, block=self.block_ms)
            if not reply:
                yield None
                continue
            for raw_id, fields in reply[0][1]:
                seq = _seq(raw_id)
                entry_owner = _text(fields[b"o"])
                if seq != last + 1:
                    yield FeedBreak(f"events {last + 1}–{seq - 1} are no longer in the stream")
                    return
                if owner is not None and entry_owner != owner:
                    yield FeedBreak("the run moved to another instance")
                    return
                owner, last = entry_owner, seq
                event = CouncilEvent.from_json(fields[b"e"])
                yield seq, event
                if event.type in TERMINAL:
                    return


def _seq(raw_id: bytes | str) -> int:
    return int(_text(raw_id).rpartition("-")[2])


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
