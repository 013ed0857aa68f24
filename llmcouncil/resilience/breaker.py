"""Circuit breakers per upstream model: the facade the caller and the health route use.

It applies each model's rules (``PolicyBook.breaker``), logs every transition, and picks the
candidate to probe when every candidate of a call is open (the least recently failed one), so a
council never fails without trying. The state itself lives in a ``BreakerStore``.

Which failures count: those a retry could help with (429, 5xx, timeouts, dropped connections,
malformed replies): they say the upstream is unwell. 400/401/402/404 say nothing about its health
and count as answers.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from llmcouncil.errors import ProviderError
from llmcouncil.resilience.breaker_store import (
    Admission,
    BreakerState,
    BreakerStore,
    BreakerView,
    Verdict,
    probe_in_flight,
    would_reject,
)
from llmcouncil.resilience.policy import PolicyBook

log = logging.getLogger(__name__)

_ALWAYS = Admission(Verdict.ALLOW, None)  # a disabled breaker

Clock = Callable[[], float]


@dataclass(frozen=True, slots=True)
class ProbeChoice:
    """Every candidate is open: probe ``model`` (the least recently failed), or say why not."""

    model: str
    key: str
    busy: bool  # a probe of it is already in flight elsewhere

    def explain(self, models: Sequence[str]) -> str:
        names = ", ".join(models)
        if self.busy:
            return (
                f"the circuit of every candidate is open ({names}) and a probe of {self.model} "
                f"is already in flight"
            )
        return (
            f"the circuit of every candidate is open ({names}); probed {self.model}, "
            f"the least recently failed"
        )


class CircuitBreakers:
    def __init__(self, store: BreakerStore, policies: PolicyBook, clock: Clock = time.time):
        self._store = store
        self._policies = policies
        self._clock = clock

    def enabled(self, model: str) -> bool:
        return self._policies.breaker(model).enabled

    async def admit(self, key: str, model: str, *, force: bool = False) -> Admission:
        rules = self._policies.breaker(model)
        if not rules.enabled:
            return _ALWAYS
        admission = await self._store.admit(key, rules, now=self._clock(), force=force)
        if admission.verdict is Verdict.PROBE:
            how = "forced probe (every candidate is open)" if admission.forced else "probe"
            log.warning("circuit %s half-open: %s call to %s", key, how, model)
        return admission

    async def succeeded(self, key: str, model: str, *, probe: bool, ticket: int) -> None:
        rules = self._policies.breaker(model)
        if not rules.enabled:
            return
        transition = await self._store.record(
            key, rules, now=self._clock(), failed=False, error=None, probe=probe, ticket=ticket
        )
        if transition.after is not transition.before:
            log.warning("circuit %s closed: %s", key, transition.reason)

    async def failed(
        self, key: str, model: str, error: ProviderError, *, probe: bool, ticket: int
    ) -> bool:
        """Record a failed attempt; True when the circuit is (now) not closed."""
        rules = self._policies.breaker(model)
        if not rules.enabled:
            return False
        transition = await self._store.record(
            key,
            rules,
            now=self._clock(),
            failed=True,
            error=_describe(error),
            probe=probe,
            ticket=ticket,
        )
        if transition.after is BreakerState.OPEN and transition.before is not BreakerState.OPEN:
            log.warning(
                "circuit %s opened: %s (last: %s); calls fail fast for %g s, then one probe",
                key,
                transition.reason,
                transition.view.last_error if transition.view else None,
                rules.cooldown,
            )
        return transition.after is not BreakerState.CLOSED

    async def released(self, key: str, *, ticket: int, probe: bool) -> None:
        """The attempt ended without an outcome: cancelled, or it never reached the upstream."""
        await self._store.release(key, ticket, probe=probe)

    async def view(self, key: str) -> BreakerView:
        return await self._store.view(key)

    async def views(self) -> list[BreakerView]:
        return await self._store.views()

    async def choose_probe(self, candidates: Sequence[tuple[str, str]]) -> ProbeChoice | None:
        """``candidates`` are (model, key). None unless every one of them would be rejected."""
        now = self._clock()
        views: list[tuple[str, str, BreakerView]] = []
        for model, key in candidates:
            rules = self._policies.breaker(model)
            if not rules.enabled:
                return None
            view = await self._store.view(key)
            if not would_reject(view, rules, now):
                return None
            views.append((model, key, view))
        if not views:
            return None
        idle = [v for v in views if not probe_in_flight(v[2], self._policies.breaker(v[0]), now)]
        pool = idle or views
        model, key, _ = min(pool, key=lambda v: v[2].last_failure_at or 0.0)
        choice = ProbeChoice(model=model, key=key, busy=not idle)
        log.warning("%s", choice.explain([m for m, _ in candidates]))
        return choice

    def retry_in(self, view: BreakerView, model: str) -> float:
        """Seconds until an open circuit lets a probe through."""
        rules = self._policies.breaker(model)
        if view.state is BreakerState.OPEN and view.opened_at is not None:
            return max(0.0, view.opened_at + rules.cooldown - self._clock())
        if view.probe_started_at is not None:
            return max(0.0, view.probe_started_at + rules.probe_lease - self._clock())
        return 0.0


def _describe(error: ProviderError) -> str:
    return f"{error.kind}: {error.message}"[:300]
