"""Work a request does before it answers, dropped when its client goes away first.

Uvicorn does not cancel a handler whose client disconnected; it only tells ``receive()``. A
``/v1`` request with megabytes of history spends seconds in the privacy scan before its run
starts, so that part runs as a task that is cancelled when the disconnect arrives: the scan
stops at its next window (``privacy/scanning.py``), the conversation opened for it is deleted
and no run starts.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine
from typing import Any, TypeVar

from starlette.requests import Request

T = TypeVar("T")


class ClientGone(Exception):
    """The client disconnected before the work was done; the work was cancelled."""


async def _disconnected(request: Request) -> None:
    while (await request.receive())["type"] != "http.disconnect":
        pass


async def unless_disconnected(request: Request, work: Coroutine[Any, Any, T]) -> T:
    """The result of ``work``; ``ClientGone`` (with ``work`` cancelled) if the client goes first."""
    task = asyncio.ensure_future(work)
    watcher = asyncio.ensure_future(_disconnected(request))
    try:
        await asyncio.wait({task, watcher}, return_when=asyncio.FIRST_COMPLETED)
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            if task.cancelled():
                raise ClientGone
        return task.result()
    finally:
        watcher.cancel()
        if not task.done():
            task.cancel()
