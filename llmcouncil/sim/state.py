"""What one running simulator remembers: its config and dice, the captured calls, a few counters.

One `SimState` is shared by the HTTP handlers (through the aiohttp app) and by `SimServer`'s
in-process methods, so a test may configure over HTTP and read the capture in Python, or the
reverse, and both see the same thing.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from pydantic import BaseModel, Field

from llmcouncil.sim.config import SimConfig
from llmcouncil.sim.faults import CallPlanner
from llmcouncil.sim.wire import ChatRequest, ReceivedImage, abbreviated, received_images

_MAX_SCHEME_CHARS = 16


class CapturedRequest(BaseModel):
    """One chat call as the upstream saw it. The credential itself is never kept."""

    time: float
    model: str
    stream: bool
    messages: list[dict[str, Any]]
    response_format: dict[str, Any] | None
    temperature: float | None
    max_tokens: int | None
    prompt_kind: str
    fault: str | None
    auth_present: bool
    auth_scheme: str | None
    # The request's budget and reasoning parameters exactly as sent (max_tokens or
    # max_completion_tokens, reasoning, reasoning_effort, seed), for wire-format tests.
    params: dict[str, Any] = Field(default_factory=dict)
    # The ``image_url`` parts received (their data URLs are abbreviated in ``messages``).
    images: list[ReceivedImage] = Field(default_factory=list)


def auth_scheme(header: str | None) -> str | None:
    """The scheme word of an Authorization header ("Bearer"), or None.

    A header without a recognisable scheme ("sk-abc") could be the bare key, so nothing of it
    is returned.
    """
    if not header:
        return None
    scheme, sep, _ = header.strip().partition(" ")
    if sep and scheme.isalpha() and len(scheme) <= _MAX_SCHEME_CHARS:
        return scheme
    return None


def capture_call(
    *, chat: ChatRequest, authorization: str | None, prompt_kind: str, fault: str | None
) -> CapturedRequest:
    return CapturedRequest(
        time=time.time(),
        model=chat.model,
        stream=chat.stream,
        messages=[abbreviated(m.model_dump(mode="json", exclude_none=True)) for m in chat.messages],
        response_format=(
            chat.response_format.model_dump(mode="json") if chat.response_format else None
        ),
        temperature=chat.temperature,
        max_tokens=chat.token_limit,
        prompt_kind=prompt_kind,
        fault=fault,
        auth_present=bool(authorization),
        auth_scheme=auth_scheme(authorization),
        params=sent_params(chat),
        images=received_images(chat.messages),
    )


_PARAMS = ("max_tokens", "max_completion_tokens", "reasoning", "reasoning_effort", "seed")


def sent_params(chat: ChatRequest) -> dict[str, Any]:
    sent = {
        **chat.model_dump(include={"max_tokens", "max_completion_tokens"}),
        **(chat.model_extra or {}),
    }
    return {k: sent[k] for k in _PARAMS if sent.get(k) is not None}


@dataclass(slots=True)
class TrafficStats:
    total: int = 0
    in_flight: int = 0
    peak_in_flight: int = 0

    def as_json(self) -> dict[str, int]:
        return {"total": self.total, "in_flight": self.in_flight, "peak": self.peak_in_flight}


class SimState:
    """Config, dice, capture and counters of one simulator."""

    def __init__(self, config: SimConfig) -> None:
        self._initial = config
        self.planner = CallPlanner(config)
        self._captured: deque[CapturedRequest] = deque(maxlen=config.capture_limit)
        self.stats = TrafficStats()
        # Set when the server stops, so hung calls give up instead of holding shutdown.
        self.closing = asyncio.Event()
        # Cleared by `hold()`: calls that arrive wait, counted in flight, until `release()`.
        # A test holds calls to see them all in flight at once without racing their latency.
        self._released = asyncio.Event()
        self._released.set()
        self._in_flight_waiters: list[tuple[Callable[[int], bool], asyncio.Future[None]]] = []
        self._capture_waiters: list[
            tuple[Callable[[list[CapturedRequest]], bool], asyncio.Future[None]]
        ] = []

    @property
    def config(self) -> SimConfig:
        return self.planner.config

    def configure(self, config: SimConfig) -> None:
        """Replace the behaviour; fault budgets and the random sequence start afresh."""
        self.planner = CallPlanner(config)
        if self._captured.maxlen != config.capture_limit:
            self._captured = deque(self._captured, maxlen=config.capture_limit)

    def reset(self) -> None:
        """Back to the config the server started with, and an empty capture."""
        self.configure(self._initial)
        self._captured.clear()

    def record(self, call: CapturedRequest) -> None:
        if self.config.capture:
            self._captured.append(call)
            if self._capture_waiters:
                captured = self.requests
                for condition, waiter in self._capture_waiters:
                    if not waiter.done() and condition(captured):
                        waiter.set_result(None)

    async def wait_for_requests(self, condition: Callable[[list[CapturedRequest]], bool]) -> None:
        """Return once the captured calls (oldest first) satisfy ``condition``."""
        if condition(self.requests):
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (condition, waiter)
        self._capture_waiters.append(entry)
        try:
            await waiter
        finally:
            self._capture_waiters.remove(entry)

    @property
    def requests(self) -> list[CapturedRequest]:
        return list(self._captured)

    def clear_requests(self) -> int:
        cleared = len(self._captured)
        self._captured.clear()
        return cleared

    def hold(self) -> None:
        """Calls from now on wait before they are served, until `release()`."""
        self._released.clear()

    def release(self) -> None:
        """Serve the held calls (their latency counts from arrival) and stop holding."""
        self._released.set()

    async def wait_if_held(self) -> None:
        if not self._released.is_set():
            await self._released.wait()

    async def wait_for_in_flight(self, count: int) -> None:
        """Return once at least `count` calls are in flight at the same time."""
        await self._wait_for(lambda in_flight: in_flight >= count)

    async def wait_until_idle(self) -> None:
        """Return once no call is in flight (a call whose client left counts until it ends)."""
        await self._wait_for(lambda in_flight: in_flight == 0)

    async def _wait_for(self, condition: Callable[[int], bool]) -> None:
        if condition(self.stats.in_flight):
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._in_flight_waiters.append((condition, waiter))
        await waiter

    @contextmanager
    def track_call(self) -> Iterator[None]:
        stats = self.stats
        stats.total += 1
        stats.in_flight += 1
        stats.peak_in_flight = max(stats.peak_in_flight, stats.in_flight)
        self._wake_in_flight_waiters()
        try:
            yield
        finally:
            stats.in_flight -= 1
            self._wake_in_flight_waiters()

    def _wake_in_flight_waiters(self) -> None:
        if not self._in_flight_waiters:
            return
        waiting = []
        for condition, waiter in self._in_flight_waiters:
            if waiter.done():
                continue
            if condition(self.stats.in_flight):
                waiter.set_result(None)
            else:
                waiting.append((condition, waiter))
        self._in_flight_waiters = waiting


STATE_KEY = web.AppKey("llmcouncil_sim_state", SimState)
