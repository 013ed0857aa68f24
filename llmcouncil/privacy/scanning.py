"""Scanning long texts in bounded windows, and stopping a scan nobody waits for any more.

Presidio's analysis is not linear in the length of a text: some of its work compares every
finding with every other (de-duplication), and an expression that backtracks costs the square
of the longest line. ``windowed`` therefore analyses a text in windows of ``WINDOW`` characters
that overlap by ``OVERLAP``, so the cost per character is bounded whatever the length:

* A finding that starts within ``MARGIN`` characters of a window's cut start belongs to the
  window before (which saw its left context: "phone" before a number, "NHS" before an id).
* Any value up to ``OVERLAP - 2 * MARGIN`` characters lies whole, with its context, inside the
  window that owns its start. A finding that reaches within ``MARGIN`` of a window's cut end
  and starts before the next window's owned part is longer than that (a private key, whose
  expression matches even when cut), so that window is analysed again, twice as long, up to
  ``MAX_WINDOW``; past that the finding is kept as found (more is replaced, nothing leaks). A
  value longer than the overlap that matches nothing once cut (a JWT of 4,000 characters) may
  be missed where a cut falls inside it.

Each window starts with ``checkpoint()``: a ``ScanToken`` whose request was cancelled (the
client went away) raises ``ScanAbandoned`` there, so the worker thread stops within one window
instead of scanning megabytes for nobody.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Protocol, TypeVar

WINDOW = 32_000
OVERLAP = 4_000
MARGIN = 200
MAX_WINDOW = 160_000


class ScanAbandoned(Exception):
    """Raised in the scanning thread when the request that asked for the scan was cancelled."""


class ScanToken:
    """Shared by the request (``cancel``) and the scanning thread (``checkpoint``)."""

    def __init__(self, on_checkpoint: Callable[[ScanToken], None] | None = None) -> None:
        self._cancelled = threading.Event()
        self._on_checkpoint = on_checkpoint
        self.checkpoints = 0

    def cancel(self) -> None:
        self._cancelled.set()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def wait_cancelled(self, timeout: float) -> bool:
        """Block the calling thread until the request is cancelled; False after ``timeout``."""
        return self._cancelled.wait(timeout)

    def checkpoint(self) -> None:
        """Called by the scan before each window: stop here if the request was cancelled."""
        self.checkpoints += 1
        if self._on_checkpoint is not None:
            self._on_checkpoint(self)
        if self._cancelled.is_set():
            raise ScanAbandoned


class Span(Protocol):
    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...


S = TypeVar("S", bound=Span)


def windowed(
    length: int,
    analyze: Callable[[int, int], list[S]],
    *,
    checkpoint: Callable[[], None] | None = None,
    window: int = WINDOW,
    overlap: int = OVERLAP,
    margin: int = MARGIN,
    max_window: int = MAX_WINDOW,
) -> list[S]:
    """Findings of ``analyze(start, end)`` (which returns them at offsets of the whole text)
    over a text of ``length`` characters, window by window; duplicates are left to the caller."""
    if not margin <= overlap < window <= max_window:
        raise ValueError("windows need margin <= overlap < window <= max_window")
    found: list[S] = []
    start = 0
    while True:
        if checkpoint is not None:
            checkpoint()
        end = min(length, start + window)
        spans = analyze(start, end)
        while end < length and end - start < max_window:
            if not _cut(spans, end=end, margin=margin, overlap=overlap):
                break
            end = min(length, start + min(max_window, 2 * (end - start)))
            if checkpoint is not None:
                checkpoint()
            spans = analyze(start, end)
        found += [s for s in spans if start == 0 or s.start >= start + margin]
        if end >= length:
            return found
        start += window - overlap


def _cut(spans: list[S], *, end: int, margin: int, overlap: int) -> bool:
    """Whether a finding the next window cannot see whole reaches this window's end."""
    return any(s.end > end - margin and s.start < end - overlap + margin for s in spans)
