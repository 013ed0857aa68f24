"""Reading event streams with their SSE ids, for the live stream tests."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx

REDIS_URL = "redis://127.0.0.1:6379/0"
TERMINAL = {"complete", "error", "stream_notice"}


@dataclass(frozen=True)
class Frame:
    id: str | None
    event: dict[str, Any]

    @property
    def type(self) -> str:
        return str(self.event["type"])


def parse_frames(raw: str) -> list[Frame]:
    frames = []
    for block in raw.split("\n\n"):
        ident, data = None, []
        for line in block.splitlines():
            if line.startswith("id:"):
                ident = line[3:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].strip())
        if data:
            frames.append(Frame(ident, json.loads("\n".join(data))))
    return frames


class FrameReader:
    """Reads a live event stream incrementally: up to an event type, or to the end."""

    def __init__(self, response: httpx.Response) -> None:
        self._chunks = response.aiter_text()
        self._buffer = ""

    async def _next_block(self) -> list[Frame] | None:
        while "\n\n" not in self._buffer:
            try:
                self._buffer += await anext(self._chunks)
            except StopAsyncIteration:
                return None
        block, self._buffer = self._buffer.split("\n\n", 1)
        return parse_frames(block + "\n\n")

    async def until(self, event_type: str) -> list[Frame]:
        seen: list[Frame] = []
        while (block := await self._next_block()) is not None:
            seen += block
            if seen and seen[-1].type == event_type:
                return seen
        raise AssertionError(f"stream ended before {event_type}: {[f.type for f in seen]}")

    async def rest(self) -> list[Frame]:
        seen: list[Frame] = []
        while (block := await self._next_block()) is not None:
            seen += block
        return seen


def live_ids(run_id: str, frames: list[Frame]) -> list[int]:
    """The sequence numbers of live ids ``<run_id>:<epoch>:<n>``, all of one epoch; fails on
    any other id."""
    numbers, epochs = [], set()
    for frame in frames:
        assert frame.id is not None, frame
        named, epoch, n = frame.id.split(":")
        assert named == run_id and epoch and epoch != "stored", frame.id
        epochs.add(epoch)
        numbers.append(int(n))
    assert len(epochs) <= 1, epochs
    return numbers


def events_url(cid: str, run_id: str) -> str:
    return f"/api/conversations/{cid}/runs/{run_id}/events"


async def read_events(
    http: httpx.AsyncClient, cid: str, run_id: str, *, last_id: str | None = None
) -> tuple[str, list[Frame]]:
    """The whole events response (its source header, its frames): it must end by itself."""
    headers = {"Last-Event-ID": last_id} if last_id else {}
    async with http.stream("GET", events_url(cid, run_id), headers=headers) as response:
        assert response.status_code == 200, await response.aread()
        assert response.headers["content-type"].startswith("text/event-stream")
        raw = (await response.aread()).decode()
        return response.headers["x-council-stream-source"], parse_frames(raw)
