"""When a request reached the simulator: the moment its last bytes were read off the socket.

One process serves every simulated call, so a call's handler starts only once the event loop
has finished with whatever it was doing: other requests' parsing and planning, aiohttp's own
work for each request. Timed from its handler's start, a call arriving with three others (the
reviews of one council, each prompt carrying every answer) started its clock up to 2 ms after
the first, and a benchmark charged that to the server it measured. Each call now starts its
clock when its bytes arrived, as it would at an upstream of its own: ``ArrivalStamp`` wraps
aiohttp's protocol for each connection and notes the loop's time at every ``data_received``
(the last one before a request is handled is when that request was complete: HTTP/1.1 clients
send the next request on a connection only after the response).
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from typing import cast

from aiohttp import web

_ARRIVED: weakref.WeakKeyDictionary[asyncio.BaseTransport, float] = weakref.WeakKeyDictionary()


class ArrivalStamp(asyncio.Protocol):
    """aiohttp's protocol for one connection, passed every event, with the time bytes came."""

    def __init__(self, inner: asyncio.Protocol) -> None:
        self._inner = inner
        self._transport: asyncio.BaseTransport | None = None
        self._loop = asyncio.get_running_loop()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport
        self._inner.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        if self._transport is not None:
            _ARRIVED[self._transport] = self._loop.time()
        self._inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self._inner.eof_received()

    def connection_lost(self, exc: Exception | None) -> None:
        self._inner.connection_lost(exc)

    def pause_writing(self) -> None:
        self._inner.pause_writing()

    def resume_writing(self) -> None:
        self._inner.resume_writing()


def stamping(server: web.Server) -> Callable[[], ArrivalStamp]:
    """A protocol factory for ``loop.create_server``: aiohttp's, wrapped."""
    return lambda: ArrivalStamp(cast(asyncio.Protocol, server()))


def arrival_of(request: web.BaseRequest) -> float:
    """The loop time at which ``request`` had arrived (now, if the socket was not stamped)."""
    loop_now = asyncio.get_running_loop().time()
    transport = request.transport
    return _ARRIVED.get(transport, loop_now) if transport is not None else loop_now
