"""Circuit-breaker state and its rules, behind a small store interface.

A breaker guards one upstream model (key ``provider:model``). It is **closed** while calls
succeed; it **opens** after ``consecutive_failures`` failed attempts in a row, or when at least
``min_calls`` attempts in the last ``window`` seconds failed at ``failure_rate`` or more.

"In a row" is in the order attempts were *sent*: each admitted attempt takes a ticket, and the
streak is the run of failed tickets ending at the highest ticket that has an outcome; a ticket
still in flight inside that run breaks it, a cancelled one is skipped. Counting in the order
outcomes *arrive* would open the circuit of a healthy model: in a burst of concurrent calls the
failures come back in milliseconds while the successes take seconds, so a 15 % error rate
yields five "consecutive" failures in about one burst of twenty out of six.

While
open, calls are rejected without touching the upstream. After ``cooldown`` it goes
**half-open**: exactly one caller claims the probe; its outcome closes or re-opens the circuit.
A probe that is cancelled gives its claim back; one whose process died stops blocking others
after ``probe_lease``. ``force`` lets a caller claim a probe before the cool-down is over: used
when every candidate of a call is open, so the council probes instead of failing without trying.

Transitions are pure functions of (record, rules, now) so that a shared store (Redis, later)
can run the same rules atomically; ``InMemoryBreakerStore`` is the one-process implementation.
Times are wall-clock seconds (``time.time()``), comparable across processes.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from llmcouncil.resilience.settings import BreakerSettings

_MAX_WINDOW_ENTRIES = 10_000
_MAX_TICKETS = 1024


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class Verdict(StrEnum):
    ALLOW = "allow"  # closed: call
    PROBE = "probe"  # this caller holds the one probe
    REJECT = "reject"  # fail fast


@dataclass(frozen=True, slots=True)
class BreakerView:
    """A snapshot of one breaker, for decisions, logs and ``GET /api/health/models``."""

    key: str
    state: BreakerState
    consecutive_failures: int
    window_calls: int
    window_failures: int
    opened_at: float | None
    probe_started_at: float | None
    last_failure_at: float | None
    last_error: str | None
    times_opened: int

    @property
    def failure_rate(self) -> float:
        return self.window_failures / self.window_calls if self.window_calls else 0.0


@dataclass(frozen=True, slots=True)
class Admission:
    verdict: Verdict
    view: BreakerView | None  # None on the fast path (closed)
    ticket: int = 0  # the attempt's place in send order; 0 when rejected
    forced: bool = False


@dataclass(frozen=True, slots=True)
class Transition:
    before: BreakerState
    after: BreakerState
    view: BreakerView | None  # None when nothing changed (the fast path)
    reason: str = ""


_STAYED_CLOSED = Transition(BreakerState.CLOSED, BreakerState.CLOSED, None)


@dataclass(slots=True)
class BreakerRecord:
    key: str
    state: BreakerState = BreakerState.CLOSED
    consecutive_failures: int = 0
    outcomes: deque[tuple[float, bool]] = field(default_factory=deque)  # (time, failed)
    window_failures: int = 0
    opened_at: float | None = None
    probe_started_at: float | None = None
    last_failure_at: float | None = None
    last_error: str | None = None
    times_opened: int = 0
    issued: int = 0  # tickets handed out
    settled: dict[int, bool | None] = field(
        default_factory=dict
    )  # ticket → failed (None: no outcome)
    highest_settled: int = 0

    def view(self) -> BreakerView:
        return BreakerView(
            key=self.key,
            state=self.state,
            consecutive_failures=self.consecutive_failures,
            window_calls=len(self.outcomes),
            window_failures=self.window_failures,
            opened_at=self.opened_at,
            probe_started_at=self.probe_started_at,
            last_failure_at=self.last_failure_at,
            last_error=self.last_error,
            times_opened=self.times_opened,
        )


def _closed(key: str) -> BreakerView:
    return BreakerView(
        key=key,
        state=BreakerState.CLOSED,
        consecutive_failures=0,
        window_calls=0,
        window_failures=0,
        opened_at=None,
        probe_started_at=None,
        last_failure_at=None,
        last_error=None,
        times_opened=0,
    )


def probe_in_flight(view: BreakerView, rules: BreakerSettings, now: float) -> bool:
    return view.probe_started_at is not None and now - view.probe_started_at < rules.probe_lease


def would_reject(view: BreakerView, rules: BreakerSettings, now: float) -> bool:
    """What ``admit`` without ``force`` would answer, without claiming anything."""
    if view.state is BreakerState.CLOSED:
        return False
    if view.state is BreakerState.OPEN:
        return view.opened_at is not None and now < view.opened_at + rules.cooldown
    return probe_in_flight(view, rules, now)


def admit(record: BreakerRecord, rules: BreakerSettings, now: float, *, force: bool) -> Admission:
    if record.state is BreakerState.CLOSED:
        record.issued += 1
        return Admission(Verdict.ALLOW, None, ticket=record.issued)
    cooled = record.opened_at is None or now >= record.opened_at + rules.cooldown
    busy = probe_in_flight(record.view(), rules, now)
    probe = (record.state is BreakerState.OPEN and (cooled or force)) or (
        record.state is BreakerState.HALF_OPEN and not busy
    )
    if not probe:
        return Admission(Verdict.REJECT, record.view())
    record.state = BreakerState.HALF_OPEN
    record.probe_started_at = now
    record.issued += 1
    return Admission(Verdict.PROBE, record.view(), ticket=record.issued, forced=not cooled)


def record_outcome(
    record: BreakerRecord,
    rules: BreakerSettings,
    now: float,
    *,
    failed: bool,
    error: str | None,
    probe: bool,
    ticket: int,
) -> Transition:
    before = record.state
    _observe(record, rules, now, failed=failed)
    _settle(record, ticket, failed)
    reason = ""
    if failed:
        record.last_failure_at = now
        record.last_error = error
        if before is BreakerState.HALF_OPEN and probe:
            reason = "the probe failed"
        elif before is BreakerState.HALF_OPEN:
            reason = "a call failed while half-open"
        elif before is BreakerState.CLOSED:
            reason = _trip_reason(record, rules)
        if reason:
            record.state = BreakerState.OPEN
            record.opened_at = now
            record.probe_started_at = None
            record.times_opened += 1
    else:
        if before is BreakerState.CLOSED:
            return _STAYED_CLOSED
        if before is BreakerState.HALF_OPEN and probe:
            reason = "the probe succeeded"
            record.state = BreakerState.CLOSED
            record.opened_at = None
            record.probe_started_at = None
            record.outcomes.clear()
            record.window_failures = 0
    return Transition(before=before, after=record.state, view=record.view(), reason=reason)


def release(record: BreakerRecord, ticket: int, *, probe: bool) -> None:
    """An attempt ended without an outcome (cancelled, or no room to send it)."""
    if ticket:
        _settle(record, ticket, None)
    if probe and record.state is BreakerState.HALF_OPEN:
        record.probe_started_at = None  # the next caller may probe at once


def _settle(record: BreakerRecord, ticket: int, failed: bool | None) -> None:
    """Note the ticket's outcome and recount the streak of failures in send order."""
    settled = record.settled
    settled[ticket] = failed
    record.highest_settled = max(record.highest_settled, ticket)
    streak, current = 0, record.highest_settled
    while current in settled and settled[current] is not False:
        streak += settled[current] is True
        current -= 1
    record.consecutive_failures = streak
    if len(settled) > _MAX_TICKETS:
        horizon = record.highest_settled - _MAX_TICKETS // 2
        for old in [t for t in settled if t < horizon]:
            del settled[old]


def _observe(record: BreakerRecord, rules: BreakerSettings, now: float, *, failed: bool) -> None:
    outcomes = record.outcomes
    outcomes.append((now, failed))
    record.window_failures += failed
    horizon = now - rules.window
    while outcomes and (outcomes[0][0] < horizon or len(outcomes) > _MAX_WINDOW_ENTRIES):
        _, old_failed = outcomes.popleft()
        record.window_failures -= old_failed


def _trip_reason(record: BreakerRecord, rules: BreakerSettings) -> str:
    if record.consecutive_failures >= rules.consecutive_failures:
        return f"{record.consecutive_failures} consecutive failures"
    calls = len(record.outcomes)
    if calls >= rules.min_calls and record.window_failures / calls >= rules.failure_rate:
        return f"{record.window_failures} of {calls} attempts failed in the last {rules.window:g} s"
    return ""


class BreakerStore(Protocol):
    """Where breaker state lives. Every method is one atomic step for its key."""

    async def admit(
        self, key: str, rules: BreakerSettings, *, now: float, force: bool = False
    ) -> Admission: ...

    async def record(
        self,
        key: str,
        rules: BreakerSettings,
        *,
        now: float,
        failed: bool,
        error: str | None,
        probe: bool,
        ticket: int,
    ) -> Transition: ...

    async def release(self, key: str, ticket: int, *, probe: bool) -> None: ...

    async def view(self, key: str) -> BreakerView: ...

    async def views(self) -> list[BreakerView]: ...


class InMemoryBreakerStore:
    """Breaker state of this process; each method runs without awaiting, so it is atomic."""

    def __init__(self) -> None:
        self._records: dict[str, BreakerRecord] = {}

    def _record(self, key: str) -> BreakerRecord:
        record = self._records.get(key)
        if record is None:
            record = self._records[key] = BreakerRecord(key=key)
        return record

    async def admit(
        self, key: str, rules: BreakerSettings, *, now: float, force: bool = False
    ) -> Admission:
        return admit(self._record(key), rules, now, force=force)

    async def record(
        self,
        key: str,
        rules: BreakerSettings,
        *,
        now: float,
        failed: bool,
        error: str | None,
        probe: bool,
        ticket: int,
    ) -> Transition:
        return record_outcome(
            self._record(key), rules, now, failed=failed, error=error, probe=probe, ticket=ticket
        )

    async def release(self, key: str, ticket: int, *, probe: bool) -> None:
        record = self._records.get(key)
        if record is not None:
            release(record, ticket, probe=probe)

    async def view(self, key: str) -> BreakerView:
        record = self._records.get(key)
        return record.view() if record is not None else _closed(key)

    async def views(self) -> list[BreakerView]:
        return [record.view() for record in self._records.values()]
