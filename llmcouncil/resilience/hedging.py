"""Hedged calls: when a call runs past its model's recent percentile, race a second one.

``LatencyTracker`` keeps recent latencies per (model, stage, streamed) — for streams the time to
the first token, since a stream that is producing tokens is slow, not stuck; for plain calls the
whole latency. ``race`` starts the primary and, while nobody has produced anything, one more
hedge every ``delay`` (``max_hedges``, default 1); the first racer to produce a token (or, for
plain calls, an answer) wins, and the others are cancelled at that moment, so a listener only
ever sees one racer's text. A racer that fails before anyone commits leaves the race to the rest.

One hedge turns a call slow with probability p into one slow with p² (two independent draws):
with 10 % slow calls that is 1 % per call, and a council has several calls in series, so
workloads with such heavy tails may want ``max_hedges = 2``.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, Generic, TypeVar

from llmcouncil.resilience.settings import HedgeSettings

T = TypeVar("T")
DeltaListener = Callable[[str], None]
Racer = Callable[[DeltaListener | None], Awaitable[T]]
LatencyKey = tuple[str, int, bool]  # (model, stage, streamed)

PRIMARY = 0  # racer index of the primary; hedges are 1, 2, …


class LatencyTracker:
    """Recent latencies per key; percentiles are recomputed only when samples changed. With
    ``shared_latencies.SharedLatencies`` the samples are every instance's: each sync hands the
    new ones over (``take_new``) and puts back the shared window (``replace``)."""

    def __init__(self, window: int = 200) -> None:
        self._window = window
        self._samples: dict[LatencyKey, deque[float]] = {}
        self._cache: dict[tuple[LatencyKey, float], tuple[int, float]] = {}
        self._counts: dict[LatencyKey, int] = {}
        self._new: dict[LatencyKey, list[float]] = {}
        self._sharing = False  # only then are new samples kept for take_new

    @property
    def window(self) -> int:
        return self._window

    def share(self) -> None:
        """Keep each new sample for ``take_new`` from now on."""
        self._sharing = True

    def observe(self, key: LatencyKey, ms: float) -> None:
        samples = self._samples.get(key)
        if samples is None:
            samples = self._samples[key] = deque(maxlen=self._window)
        samples.append(ms)
        self._counts[key] = self._counts.get(key, 0) + 1
        if self._sharing:
            self._new.setdefault(key, []).append(ms)

    def keys(self) -> list[LatencyKey]:
        return list(self._samples)

    def take_new(self) -> dict[LatencyKey, list[float]]:
        """The samples observed since the last call (for sharing them)."""
        new, self._new = self._new, {}
        return new

    def replace(self, key: LatencyKey, samples: Sequence[float]) -> None:
        """``key``'s window becomes ``samples`` (the latest last), e.g. every instance's; what
        was observed meanwhile stays on top and goes out with the next ``take_new``."""
        window = deque(samples, maxlen=self._window)
        window.extend(self._new.get(key, ()))
        self._samples[key] = window
        self._counts[key] = self._counts.get(key, 0) + 1

    def percentile(self, key: LatencyKey, q: float, *, min_samples: int) -> float | None:
        samples = self._samples.get(key)
        if samples is None or len(samples) < min_samples:
            return None
        count = self._counts[key]
        cached = self._cache.get((key, q))
        if cached is not None and cached[0] == count:
            return cached[1]
        ordered = sorted(samples)
        value = ordered[min(len(ordered) - 1, int(q * len(ordered)))]
        self._cache[(key, q)] = (count, value)
        return value

    def hedge_delay(self, key: LatencyKey, settings: HedgeSettings) -> float | None:
        """Seconds to wait before hedging, or None while too few calls were seen."""
        ms = self.percentile(key, settings.percentile, min_samples=settings.min_samples)
        return None if ms is None else max(settings.min_delay, ms / 1000.0)


class _Gate:
    """Forwards deltas from the first racer that produces one; the others are muted."""

    def __init__(self, forward: DeltaListener | None) -> None:
        self._forward = forward
        self.winner: int | None = None
        self.committed = asyncio.Event()

    def listener(self, racer: int) -> DeltaListener | None:
        forward = self._forward
        if forward is None:
            return None

        def on_delta(text: str) -> None:
            if self.winner is None:
                self.winner = racer
                self.committed.set()
            if self.winner == racer:
                forward(text)

        return on_delta


class RaceResult(Generic[T]):
    __slots__ = ("hedged", "value", "winner")

    def __init__(self, value: T, *, winner: int, hedged: bool) -> None:
        self.value = value
        self.winner = winner
        self.hedged = hedged


async def race(
    primary: Racer[T],
    hedges: Sequence[Racer[T]],
    *,
    delay: float,
    forward: DeltaListener | None,
    on_hedge: Callable[[int], None],
) -> RaceResult[T]:
    """Start ``primary``; while no racer has committed, start hedge k after ``k × delay``.

    A racer commits with its first token (or, without ``forward``, its answer); the others are
    cancelled then. A racer failing before any commit leaves the race to the rest; if all that
    were started fail, the primary's error is raised (the caller's retry logic takes over).
    """
    gate = _Gate(forward)
    loop = asyncio.get_running_loop()
    started = loop.time()
    tasks: dict[asyncio.Task[T], int] = {
        asyncio.ensure_future(primary(gate.listener(PRIMARY))): PRIMARY
    }
    errors: dict[int, BaseException] = {}
    launched = 0
    try:
        while True:
            if gate.winner is not None:
                winner = next(t for t, i in tasks.items() if i == gate.winner)
                await _cancel(t for t in tasks if t is not winner)
                return RaceResult(await winner, winner=gate.winner, hedged=launched > 0)
            timeout = None
            if launched < len(hedges):
                timeout = max(0.0, started + delay * (launched + 1) - loop.time())
            committed: asyncio.Task[Any] = asyncio.ensure_future(gate.committed.wait())
            waiting: set[asyncio.Task[Any]] = {*tasks, committed}
            try:
                done, _ = await asyncio.wait(
                    waiting, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
                )
            finally:
                committed.cancel()
            for task in [t for t in done if t in tasks]:
                index = tasks.pop(task)
                error = task.exception()
                if error is None:
                    await _cancel(tasks)
                    return RaceResult(task.result(), winner=index, hedged=launched > 0)
                errors[index] = error
                if gate.winner == index:
                    raise error  # the committed racer failed after its first token
            if gate.winner is not None:
                continue
            if not tasks:
                raise errors.get(PRIMARY) or next(iter(errors.values()))
            if not done and launched < len(hedges):
                launched += 1
                on_hedge(launched)
                hedge = hedges[launched - 1]
                tasks[asyncio.ensure_future(hedge(gate.listener(launched)))] = launched
    finally:
        await _cancel(t for t in tasks if not t.done())


async def _cancel(tasks: Iterable[asyncio.Task[Any]]) -> None:
    pending = [t for t in tasks if not t.done()]
    for task in pending:
        task.cancel()
    if pending:
        # gather, not a loop of awaits: if *we* are cancelled meanwhile, that propagates.
        await asyncio.gather(*pending, return_exceptions=True)
