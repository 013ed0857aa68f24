"""One model call from start to ``CallRecord``: candidates, breakers, retries, hedging, limits.

For each candidate in order (the configured model, then its fallbacks):

1. the candidate's circuit breaker admits the call, lets it probe, or rejects it at once;
   when *every* candidate is open, the least recently failed one is probed anyway;
2. attempts run under ``with_retries`` until one answers or the retry budget says stop
   (``retry.py``), each holding an in-flight slot (``limits.py``) and reporting its outcome
   to the breaker;
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
candidate streams, so a listener never shows two attempts glued together.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from llmcouncil.errors import (
    CapacityTimeoutError,
    CircuitOpenError,
    ConfigError,
    ModelFailure,
    ProviderError,
    RateLimitedError,
    UpstreamTimeoutError,
)
from llmcouncil.providers.base import Completion, CompletionRequest
from llmcouncil.providers.registry import ResolvedModel
from llmcouncil.records import CallRecord
from llmcouncil.resilience.attempt import send
from llmcouncil.resilience.breaker import ProbeChoice
from llmcouncil.resilience.breaker_store import BreakerState, Verdict
from llmcouncil.resilience.call_plan import CallListeners, CallPlan, DeltaListener
from llmcouncil.resilience.hedging import PRIMARY, LatencyKey, Racer, race
from llmcouncil.resilience.kit import ResilienceKit
from llmcouncil.resilience.policy import CallPolicy
from llmcouncil.resilience.retry import RetryBudget, RetryNotice, with_retries

log = logging.getLogger(__name__)

# A candidate needs at least this much of the call's deadline left to be worth starting.
_MIN_CANDIDATE_SECONDS = 0.05


@dataclass(frozen=True, slots=True)
class _Answer:
    completion: Completion
    candidate: str  # who answered: the configured model, a fallback, or the hedge


@dataclass(slots=True)
class _Target:
    model: str
    resolved: ResolvedModel
    key: str  # the breaker's: provider name and upstream model id
    policy: CallPolicy
    deadline: float
    probe: bool = False
    ticket: int = 0  # the breaker's ticket of the current attempt


class CallExecution:
    def __init__(self, kit: ResilienceKit, plan: CallPlan, listeners: CallListeners) -> None:
        self._kit = kit
        self._plan = plan
        self._listeners = listeners
        self._forwarded = False
        self._failures: list[ModelFailure] = []  # the last failure of each candidate
        self._attempts: list[dict[str, Any]] = []  # every failed attempt, retried ones too
        self._retries = 0
        self._circuits: dict[str, str] = {}
        self._hedge: dict[str, Any] = {}
        self._unwell: set[str] = set()  # breaker keys whose circuit opened during this call
        self._choice: ProbeChoice | None = None
        self._cap: float | None = None  # when the current candidate must be done (loop time)
        self._ends_at: float | None = None  # the plan's deadline (loop time)
        self._saw_token = False

    async def run(self) -> CallRecord:
        plan = self._plan
        candidates = self._skip_retired(list(dict.fromkeys([plan.model, *plan.fallbacks])))
        self._choice = await self._all_open(candidates)
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
                failure = self._failure(exc, candidate)
                self._failures.append(failure)
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
                        self._listeners.on_fallback(candidates[index + 1], _reason(failure))
                continue
            return self._answered(answer)
        return self._failed()

    # -- candidates and attempts -------------------------------------------------------------

    def _skip_retired(self, candidates: list[str]) -> list[str]:
        """Start at the first candidate the model catalogue does not know as retired (its
        cached lists only: no request is made), recording why each one before it was passed
        over; the run shows it as a fallback. When every candidate is retired all are tried,
        since the list may be out of date."""
        verdicts = [self._kit.registry.retirement(c) for c in candidates]
        first = next((i for i, v in enumerate(verdicts) if v is None), 0)
        for candidate, why in zip(candidates[:first], verdicts, strict=False):
            message = why.explanation if why is not None else "retired"
            self._failures.append(
                ModelFailure(model=candidate, kind="model_retired", message=message)
            )
        if first and self._listeners.on_fallback is not None:
            self._listeners.on_fallback(candidates[first], _reason(self._failures[-1]))
        return candidates[first:]

    async def _within_cap(self, candidate: str, *, first: bool) -> _Answer:
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
            self._failures.append(
                ModelFailure(
                    model=candidate,
                    kind=UpstreamTimeoutError.kind,
                    message=f"not tried: the call's {total:g} s deadline had passed",
                )
            )

    def _target(self, candidate: str) -> _Target:
        resolved, key = self._kit.resolve(candidate)
        policy = self._kit.policies.call(preset=self._plan.preset, model=candidate)
        total = policy.total_timeout
        if self._plan.total_timeout is not None:
            total = min(total, self._plan.total_timeout)
        deadline = asyncio.get_running_loop().time() + total
        if self._cap is not None:
            deadline = min(deadline, self._cap)
        return _Target(
            model=candidate, resolved=resolved, key=key, policy=policy, deadline=deadline
        )

    async def _admit(self, target: _Target, *, force: bool = False) -> None:
        admission = await self._kit.breakers.admit(target.key, target.model, force=force)
        if admission.verdict is Verdict.REJECT:
            self._circuits[target.model] = "open"
            view = admission.view or await self._kit.breakers.view(target.key)
            last = view.last_error or "unknown"
            if view.state is BreakerState.HALF_OPEN:
                why = f"circuit half-open (last: {last}); a probe call is in flight"
            else:
                wait = self._kit.breakers.retry_in(view, target.model)
                why = f"circuit open after repeated failures (last: {last}); probe in {wait:.1f} s"
            raise CircuitOpenError(why, model=target.model, provider=target.resolved.provider.name)
        target.probe = admission.verdict is Verdict.PROBE
        target.ticket = admission.ticket
        if target.probe:
            self._circuits[target.model] = "forced probe" if admission.forced else "probe"

    async def _candidate(self, candidate: str, *, first: bool) -> _Answer:
        target = self._target(candidate)
        choice = self._choice
        await self._admit(
            target, force=choice is not None and choice.model == candidate and not choice.busy
        )
        allowance = self._kit.allowance
        allowance.called(target.key)
        budget = RetryBudget(
            model=candidate,
            policy=target.policy,
            deadline=target.deadline,
            stop=lambda: target.key in self._unwell,
            on_retry=self._retry_scheduled,
            rng=self._kit.rng,
            allowance=lambda: allowance.take(target.key),
        )

        async def attempt(number: int) -> _Answer:
            if number > 1:
                self._withdraw()
                await self._admit(target)
            if number == 1 and first and not target.probe and target.policy.hedge is not None:
                return await self._maybe_hedged(target)
            completion = await self._attempt(target, self._forward_or_none(), number)
            return _Answer(completion, candidate)

        try:
            return await with_retries(attempt, budget=budget, attempts=target.policy.attempts)
        finally:
            self._retries += budget.retries

    async def _attempt(
        self, target: _Target, on_delta: DeltaListener | None, number: int = 1
    ) -> Completion:
        kit, plan, policy = self._kit, self._plan, target.policy
        loop = asyncio.get_running_loop()
        remaining = target.deadline - loop.time()
        provider = target.resolved.provider
        if remaining <= 0:
            await kit.breakers.released(target.key, ticket=target.ticket, probe=target.probe)
            raise UpstreamTimeoutError(
                f"no time left of {policy.total_timeout:g} s", model=target.model
            )
        schema = plan.json_schema
        if schema is not None and not kit.registry.supports_structured_output(target.model):
            schema = None
        first_token = policy.first_token_timeout
        if plan.deadline is not None:  # the call's deadline caps every wait for a first token
            first_token = min(first_token, plan.deadline.first_token or first_token, remaining)
        try:
            async with kit.limits.slot(provider.name, deadline=target.deadline):
                request = CompletionRequest(
                    model=target.resolved.model,
                    messages=plan.messages,
                    temperature=plan.temperature,
                    max_tokens=plan.max_tokens,
                    json_schema=schema,
                    timeout=max(0.001, target.deadline - loop.time()),
                    first_token_timeout=first_token,
                    seed=plan.seed,
                    reasoning=plan.reasoning,
                )
                completion = await send(provider, request, watched=plan.watched, on_delta=on_delta)
        except ProviderError as exc:
            self._attempts.append(
                {**ModelFailure.from_error(exc, model=target.model).as_dict(), "attempt": number}
            )
            await self._settle_failure(target, exc)
            raise
        except asyncio.CancelledError:
            await kit.breakers.released(target.key, ticket=target.ticket, probe=target.probe)
            raise
        await kit.breakers.succeeded(
            target.key, target.model, probe=target.probe, ticket=target.ticket
        )
        observed = completion.ttft_ms if completion.ttft_ms is not None else completion.latency_ms
        kit.latencies.observe(_latency_key(target.model, plan.stage), observed)
        return completion

    async def _settle_failure(self, target: _Target, exc: ProviderError) -> None:
        breakers, key, ticket, probe = self._kit.breakers, target.key, target.ticket, target.probe
        if isinstance(exc, CapacityTimeoutError | CircuitOpenError | RateLimitedError):
            # The upstream was never reached, or it asked to be called later (429 is
            # back-pressure, not ill health): no outcome, and a probe is still owed.
            await breakers.released(key, ticket=ticket, probe=probe)
        elif exc.retryable:
            if await breakers.failed(key, target.model, exc, probe=probe, ticket=ticket):
                self._unwell.add(key)
        else:  # 4xx: the upstream answered, so it is healthy
            await breakers.succeeded(key, target.model, probe=probe, ticket=ticket)

    async def _maybe_hedged(self, target: _Target) -> _Answer:
        plan, kit = self._plan, self._kit
        hedging = target.policy.hedge
        loop = asyncio.get_running_loop()
        delay = None
        if hedging is not None:
            delay = kit.latencies.hedge_delay(_latency_key(target.model, plan.stage), hedging)
        if hedging is None or delay is None or delay >= target.deadline - loop.time():
            return _Answer(await self._attempt(target, self._forward_or_none()), target.model)
        # Hedges go to the fallbacks in order, then to the model itself, round and round.
        chain = [m for m in dict.fromkeys(plan.fallbacks) if m != target.model] + [target.model]
        hedge_models = [chain[i % len(chain)] for i in range(hedging.max_hedges)]

        async def primary(on_delta: DeltaListener | None) -> _Answer:
            return _Answer(await self._attempt(target, on_delta), target.model)

        def hedge_on(model: str) -> Racer[_Answer]:
            async def hedge(on_delta: DeltaListener | None) -> _Answer:
                second = self._target(model)
                await self._admit(second)
                return _Answer(await self._attempt(second, on_delta), model)

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
            self._hedge = {
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

    # -- records -----------------------------------------------------------------------------

    def _failure(self, exc: ProviderError | ConfigError, candidate: str) -> ModelFailure:
        if isinstance(exc, ConfigError):
            return ModelFailure(model=candidate, kind="config", message="; ".join(exc.problems))
        failure = ModelFailure.from_error(exc, model=candidate)
        choice = self._choice
        if choice is not None and choice.model == candidate:
            candidates = [self._plan.model, *self._plan.fallbacks]
            message = f"{choice.explain(list(dict.fromkeys(candidates)))}: {failure.message}"
            failure = ModelFailure(
                model=candidate, kind=failure.kind, message=message, status=failure.status
            )
        return failure

    def _expired(self) -> str | None:
        """What the call's deadline cut, once it has passed; None without one, or before."""
        deadline, ends_at = self._plan.deadline, self._ends_at
        if deadline is None or ends_at is None:
            return None
        if asyncio.get_running_loop().time() < ends_at - _MIN_CANDIDATE_SECONDS:
            return None
        what = "complete answer" if self._saw_token else "token"
        return f"no {what} within {deadline.total:g} s (the call's deadline)"

    def _details(self, reasoning: str | None = None) -> dict[str, Any]:
        details = dict(self._plan.details)
        if reasoning:  # stored with the call and shown on request; never sent on
            details["reasoning"] = reasoning
        if self._attempts:
            details["failed_attempts"] = self._attempts
        if self._retries:
            details["retries"] = self._retries
        if self._circuits:
            details["circuit"] = self._circuits
        details.update(self._hedge)
        return details

    def _answered(self, answer: _Answer) -> CallRecord:
        plan, completion, candidate = self._plan, answer.completion, answer.candidate
        reasons = [_reason(f) for f in self._failures]
        if self._hedge.get("hedge_won") and candidate != plan.model:
            reasons.append(
                f"hedged: {plan.model} ran past its recent "
                f"p{self._hedge['hedge_percentile'] * 100:.0f} "
                f"({self._hedge['hedge_after_ms']:.0f} ms) and {candidate} answered first"
            )
        return CallRecord(
            stage=plan.stage,
            model=plan.model,
            ok=True,
            position=plan.position,
            text=completion.text,
            answered_by=completion.model if candidate == plan.model else candidate,
            fallback_from=plan.model if candidate != plan.model else None,
            fallback_reason="; ".join(reasons) or None,
            usage=completion.usage,
            latency_ms=completion.latency_ms,
            ttft_ms=completion.ttft_ms,
            finish_reason=completion.finish_reason,
            simulated=completion.simulated,
            details=self._details(completion.reasoning),
        )

    def _failed(self) -> CallRecord:
        failures = self._failures
        first = failures[0]
        if self._choice is not None:  # lead with the probe's story: it is the one that was tried
            first = next((f for f in failures if f.model == self._choice.model), first)
        rest = [f for f in failures if f is not first]
        failure = first
        if rest:
            failure = ModelFailure(
                model=self._plan.model,
                kind=first.kind,
                status=first.status,
                message=f"{first.message}; "
                + ("fallbacks failed too: " if first.model == self._plan.model else "also: ")
                + "; then ".join(_reason(f) for f in rest),
            )
        expired = self._expired()
        if expired is not None:
            failure = ModelFailure(
                model=self._plan.model,
                kind=UpstreamTimeoutError.kind,
                message=f"{expired}: " + "; then ".join(_reason(f) for f in failures),
            )
        return CallRecord(
            stage=self._plan.stage,
            model=self._plan.model,
            ok=False,
            position=self._plan.position,
            failure=failure,
            details={**self._details(), "failed_attempts": self._attempts},
        )


def _latency_key(model: str, stage: int) -> LatencyKey:
    # Every call is a stream, so what is observed is the time to its first token; the key
    # keeps its ``streamed`` part (True) so latencies already shared between servers still match.
    return (model, stage, True)


def _reason(failure: ModelFailure) -> str:
    return f"{failure.model} failed ({failure.kind}): {failure.message}"
