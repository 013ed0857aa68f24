"""One model call from start to ``CallRecord``: candidates, breakers, retries, hedging, limits.

For each candidate in order (the configured model, then its fallbacks):

1. the candidate's circuit breaker admits the call, lets it probe, or rejects it at once;
   when *every* candidate is open, the least recently failed one is probed anyway;
2. attempts run under ``with_retries`` until one answers or the retry budget says stop
   (``retry.py``), each holding an in-flight slot (``limits.py``) and reporting its outcome
   to the breaker (``candidate_attempt.py``);
3. the first attempt of the configured model may be hedged on the first fallback (or the same
   model) once it runs past that model's recent percentile (``hedging.py``).

A 429 is back-pressure, not a sign of an unwell upstream: its attempt leaves no outcome with the
breaker, its Retry-After is honoured within the deadline (or the call moves on to its fallback).
Retries the caller decides on by itself take a token of the upstream's retry budget
(``retry_allowance.py``), so an error storm is not multiplied by the retries.

A plan with a ``deadline`` (the chairman's) runs every candidate inside it: each but the last
may use ``primary_share`` of what is left, the last gets the rest, and each attempt's first-token
timeout is capped by it. When it has passed, the call ends with a failure that says so and
names every candidate's reason; candidates not reached are recorded as not tried.

Text already forwarded to listeners is withdrawn with ``on_reset`` before another attempt or
candidate streams, so a listener never shows two attempts glued together. What the call left
behind becomes its ``CallRecord`` in ``call_outcome.py``.
"""

from __future__ import annotations

import asyncio
import logging

from llmcouncil.errors import ConfigError, ModelFailure, ProviderError, UpstreamTimeoutError
from llmcouncil.records import CallRecord
from llmcouncil.resilience.breaker import ProbeChoice
from llmcouncil.resilience.call_outcome import CallOutcome, CandidateAnswer, reason
from llmcouncil.resilience.call_plan import CallListeners, CallPlan, DeltaListener
from llmcouncil.resilience.candidate_attempt import AttemptTarget, CandidateAttempts, latency_key
from llmcouncil.resilience.hedging import PRIMARY, Racer, race
from llmcouncil.resilience.kit import ResilienceKit
from llmcouncil.resilience.retry import RetryBudget, RetryNotice, with_retries

log = logging.getLogger(__name__)

# A candidate needs at least this much of the call's deadline left to be worth starting.
_MIN_CANDIDATE_SECONDS = 0.05


class CallExecution:
    def __init__(self, kit: ResilienceKit, plan: CallPlan, listeners: CallListeners) -> None:
        self._kit = kit
        self._plan = plan
        self._listeners = listeners
        self._forwarded = False
        self._outcome = CallOutcome(plan)
        self._attempts = CandidateAttempts(kit, plan, self._outcome)
        self._cap: float | None = None  # when the current candidate must be done (loop time)
        self._ends_at: float | None = None  # the plan's deadline (loop time)
        self._saw_token = False

    async def run(self) -> CallRecord:
        plan, outcome = self._plan, self._outcome
        candidates = self._skip_retired(list(dict.fromkeys([plan.model, *plan.fallbacks])))
        outcome.choice = await self._all_open(candidates)
        loop = asyncio.get_running_loop()
        if plan.deadline is not None:
            self._ends_at = loop.time() + plan.deadline.total
        for index, candidate in enumerate(candidates):
            if self._ends_at is not None and plan.deadline is not None:
                left = self._ends_at - loop.time()
                if left < _MIN_CANDIDATE_SECONDS:
                    self._not_tried(candidates[index:])
                    break
                last = index + 1 == len(candidates)
                self._cap = loop.time() + (left if last else left * plan.deadline.primary_share)
            try:
                answer = await self._within_cap(candidate, first=index == 0)
            except (ProviderError, ConfigError) as exc:
                failure = outcome.failure(exc, candidate)
                outcome.failures.append(failure)
                log.warning(
                    "model call failed: stage=%s model=%s kind=%s reason=%s",
                    plan.stage,
                    candidate,
                    failure.kind,
                    failure.message,
                )
                if index + 1 < len(candidates):
                    self._withdraw()
                    if self._listeners.on_fallback is not None:
                        self._listeners.on_fallback(candidates[index + 1], reason(failure))
                continue
            return outcome.answered(answer)
        return outcome.failed(expired=self._expired())

    # -- candidates and attempts -------------------------------------------------------------

    def _skip_retired(self, candidates: list[str]) -> list[str]:
        """Start at the first candidate the model catalogue does not know as retired (its
        cached lists only: no request is made), recording why each one before it was passed
        over; the run shows it as a fallback. When every candidate is retired all are tried,
        since the list may be out of date."""
        failures = self._outcome.failures
        verdicts = [self._kit.registry.retirement(c) for c in candidates]
        first = next((i for i, v in enumerate(verdicts) if v is None), 0)
        for candidate, why in zip(candidates[:first], verdicts, strict=False):
            message = why.explanation if why is not None else "retired"
            failures.append(ModelFailure(model=candidate, kind="model_retired", message=message))
        if first and self._listeners.on_fallback is not None:
            self._listeners.on_fallback(candidates[first], reason(failures[-1]))
        return candidates[first:]

    async def _within_cap(self, candidate: str, *, first: bool) -> CandidateAnswer:
        """The candidate, cut when its share of the call's deadline is spent."""
        cap = self._cap
        if cap is None:
            return await self._candidate(candidate, first=first)
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            async with asyncio.timeout_at(cap) as cut:
                return await self._candidate(candidate, first=first)
        except TimeoutError as exc:
            if not cut.expired():
                raise
            spent = loop.time() - started
            what = "complete answer" if self._saw_token else "token"
            raise UpstreamTimeoutError(
                f"no {what} within {spent:.1f} s, its share of the call's deadline",
                model=candidate,
            ) from exc

    def _not_tried(self, candidates: list[str]) -> None:
        total = self._plan.deadline.total if self._plan.deadline is not None else 0.0
        for candidate in candidates:
            self._outcome.failures.append(
                ModelFailure(
                    model=candidate,
                    kind=UpstreamTimeoutError.kind,
                    message=f"not tried: the call's {total:g} s deadline had passed",
                )
            )

    async def _candidate(self, candidate: str, *, first: bool) -> CandidateAnswer:
        attempts = self._attempts
        target = attempts.target(candidate, cap=self._cap)
        choice = self._outcome.choice
        await attempts.admit(
            target, force=choice is not None and choice.model == candidate and not choice.busy
        )
        allowance = self._kit.allowance
        allowance.called(target.key)
        budget = RetryBudget(
            model=candidate,
            policy=target.policy,
            deadline=target.deadline,
            stop=lambda: target.key in attempts.unwell,
            on_retry=self._retry_scheduled,
            rng=self._kit.rng,
            allowance=lambda: allowance.take(target.key),
        )

        async def attempt(number: int) -> CandidateAnswer:
            if number > 1:
                self._withdraw()
                await attempts.admit(target)
            if number == 1 and first and not target.probe and target.policy.hedge is not None:
                return await self._maybe_hedged(target)
            completion = await attempts.attempt(target, self._forward_or_none(), number)
            return CandidateAnswer(completion, candidate)

        try:
            return await with_retries(attempt, budget=budget, attempts=target.policy.attempts)
        finally:
            self._outcome.retries += budget.retries

    async def _maybe_hedged(self, target: AttemptTarget) -> CandidateAnswer:
        plan, kit, attempts = self._plan, self._kit, self._attempts
        hedging = target.policy.hedge
        loop = asyncio.get_running_loop()
        delay = None
        if hedging is not None:
            delay = kit.latencies.hedge_delay(latency_key(target.model, plan.stage), hedging)
        if hedging is None or delay is None or delay >= target.deadline - loop.time():
            completion = await attempts.attempt(target, self._forward_or_none())
            return CandidateAnswer(completion, target.model)
        # Hedges go to the fallbacks in order, then to the model itself, round and round.
        chain = [m for m in dict.fromkeys(plan.fallbacks) if m != target.model] + [target.model]
        hedge_models = [chain[i % len(chain)] for i in range(hedging.max_hedges)]

        async def primary(on_delta: DeltaListener | None) -> CandidateAnswer:
            return CandidateAnswer(await attempts.attempt(target, on_delta), target.model)

        def hedge_on(model: str) -> Racer[CandidateAnswer]:
            async def hedge(on_delta: DeltaListener | None) -> CandidateAnswer:
                second = attempts.target(model, cap=self._cap)
                await attempts.admit(second)
                return CandidateAnswer(await attempts.attempt(second, on_delta), model)

            return hedge

        def started(number: int) -> None:
            model, after = hedge_models[number - 1], delay * number
            log.info("hedging %s on %s after %.0f ms", target.model, model, after * 1000)
            if self._listeners.on_hedge is not None:
                self._listeners.on_hedge(model, after)

        result = await race(
            primary,
            [hedge_on(m) for m in hedge_models],
            delay=delay,
            forward=self._forward_or_none(),
            on_hedge=started,
        )
        if result.hedged:
            self._outcome.hedge = {
                "hedged": True,
                "hedge_model": hedge_models[0],
                "hedge_after_ms": round(delay * 1000, 1),
                "hedge_percentile": hedging.percentile,
                "hedge_won": result.winner != PRIMARY,
            }
        return result.value

    async def _all_open(self, candidates: list[str]) -> ProbeChoice | None:
        pairs: list[tuple[str, str]] = []
        for candidate in candidates:
            try:
                _, key = self._kit.resolve(candidate)
            except ConfigError:
                continue
            pairs.append((candidate, key))
        return await self._kit.breakers.choose_probe(pairs)

    def _expired(self) -> str | None:
        """What the call's deadline cut, once it has passed; None without one, or before."""
        deadline, ends_at = self._plan.deadline, self._ends_at
        if deadline is None or ends_at is None:
            return None
        if asyncio.get_running_loop().time() < ends_at - _MIN_CANDIDATE_SECONDS:
            return None
        what = "complete answer" if self._saw_token else "token"
        return f"no {what} within {deadline.total:g} s (the call's deadline)"

    # -- listeners ---------------------------------------------------------------------------

    def _forward_or_none(self) -> DeltaListener | None:
        # Nobody watches the tokens: nothing to forward, and the answer comes back whole.
        return self._forward if self._plan.watched else None

    def _forward(self, text: str) -> None:
        self._forwarded = True
        self._saw_token = True
        on_delta = self._listeners.on_delta
        if on_delta is not None:
            on_delta(text)

    def _withdraw(self) -> None:
        """Before another attempt streams: tell listeners to drop what they were shown."""
        if self._forwarded:
            self._forwarded = False
            if self._listeners.on_reset is not None:
                self._listeners.on_reset()

    def _retry_scheduled(self, notice: RetryNotice) -> None:
        self._withdraw()  # the text goes first, then the news of what happens next
        log.info(
            "retrying %s (attempt %d) in %.2f s after %s: %s",
            notice.model,
            notice.attempt,
            notice.delay,
            notice.error.kind,
            notice.error.message,
        )
        if self._listeners.on_retry is not None:
            self._listeners.on_retry(notice)
