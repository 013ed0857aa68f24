"""One attempt on one candidate, with its circuit breaker's say before and after.

``CallExecution`` (``execution.py``) decides which candidate is tried and when; this module makes
each attempt: the candidate's breaker admits it, lets it probe, or rejects it at once
(``CircuitOpenError``); the request (``attempt.send``) holds an in-flight slot (``limits.py``)
within the candidate's deadline; and the outcome goes back to the breaker under the ticket of
its admission.

What the breaker hears: an answer is a success, and so is a 4xx (the upstream answered, so it is
healthy); a retryable failure is a failure, and the candidate is marked unwell when it opened the
circuit, so its retries stop. A 429 is back-pressure, not ill health, and a capacity timeout or
an open circuit never reached the upstream: those, and a cancelled attempt, leave no outcome and
only release the ticket, so a probe is still owed.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from llmcouncil.errors import (
    CapacityTimeoutError,
    CircuitOpenError,
    ProviderError,
    RateLimitedError,
    UpstreamTimeoutError,
)
from llmcouncil.providers.base import Completion, CompletionRequest
from llmcouncil.providers.registry import ResolvedModel
from llmcouncil.resilience.attempt import send
from llmcouncil.resilience.breaker_store import BreakerState, Verdict
from llmcouncil.resilience.call_outcome import CallOutcome
from llmcouncil.resilience.call_plan import CallPlan, DeltaListener
from llmcouncil.resilience.hedging import LatencyKey
from llmcouncil.resilience.kit import ResilienceKit
from llmcouncil.resilience.policy import CallPolicy


@dataclass(slots=True)
class AttemptTarget:
    model: str
    resolved: ResolvedModel
    key: str  # the breaker's: provider name and upstream model id
    policy: CallPolicy
    deadline: float
    probe: bool = False
    ticket: int = 0  # the breaker's ticket of the current attempt


class CandidateAttempts:
    def __init__(self, kit: ResilienceKit, plan: CallPlan, outcome: CallOutcome) -> None:
        self._kit = kit
        self._plan = plan
        self._outcome = outcome
        self.unwell: set[str] = set()  # breaker keys whose circuit opened during this call

    def target(self, candidate: str, *, cap: float | None) -> AttemptTarget:
        """The candidate, with its policy and its deadline (loop time), cut at ``cap``."""
        resolved, key = self._kit.resolve(candidate)
        policy = self._kit.policies.call(preset=self._plan.preset, model=candidate)
        total = policy.total_timeout
        if self._plan.total_timeout is not None:
            total = min(total, self._plan.total_timeout)
        deadline = asyncio.get_running_loop().time() + total
        if cap is not None:
            deadline = min(deadline, cap)
        return AttemptTarget(
            model=candidate, resolved=resolved, key=key, policy=policy, deadline=deadline
        )

    async def admit(self, target: AttemptTarget, *, force: bool = False) -> None:
        admission = await self._kit.breakers.admit(target.key, target.model, force=force)
        circuits = self._outcome.circuits
        if admission.verdict is Verdict.REJECT:
            circuits[target.model] = "open"
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
            circuits[target.model] = "forced probe" if admission.forced else "probe"

    async def attempt(
        self, target: AttemptTarget, on_delta: DeltaListener | None, number: int = 1
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
            self._outcome.attempt_failed(exc, model=target.model, number=number)
            await self._settle_failure(target, exc)
            raise
        except asyncio.CancelledError:
            await kit.breakers.released(target.key, ticket=target.ticket, probe=target.probe)
            raise
        await kit.breakers.succeeded(
            target.key, target.model, probe=target.probe, ticket=target.ticket
        )
        observed = completion.ttft_ms if completion.ttft_ms is not None else completion.latency_ms
        kit.latencies.observe(latency_key(target.model, plan.stage), observed)
        return completion

    async def _settle_failure(self, target: AttemptTarget, exc: ProviderError) -> None:
        breakers, key, ticket, probe = self._kit.breakers, target.key, target.ticket, target.probe
        if isinstance(exc, CapacityTimeoutError | CircuitOpenError | RateLimitedError):
            # The upstream was never reached, or it asked to be called later (429 is
            # back-pressure, not ill health): no outcome, and a probe is still owed.
            await breakers.released(key, ticket=ticket, probe=probe)
        elif exc.retryable:
            if await breakers.failed(key, target.model, exc, probe=probe, ticket=ticket):
                self.unwell.add(key)
        else:  # 4xx: the upstream answered, so it is healthy
            await breakers.succeeded(key, target.model, probe=probe, ticket=ticket)


def latency_key(model: str, stage: int) -> LatencyKey:
    # Every call is a stream, so what is observed is the time to its first token; the key
    # keeps its ``streamed`` part (True) so latencies already shared between servers still match.
    return (model, stage, True)
