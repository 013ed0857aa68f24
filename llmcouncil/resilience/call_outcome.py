"""What one model call left behind, and the ``CallRecord`` it becomes.

``CallExecution`` (``execution.py``) writes into a ``CallOutcome`` as the call goes: each
candidate's last failure (``failures``), every failed attempt, retried ones too (``attempts``),
the retries, what each candidate's circuit breaker decided (``circuits``) and the hedge.
``answered`` and ``failed`` turn that into the record: who really answered and why a fallback
ran, or one failure that leads with the story of the candidate that was tried (the probe, when
every circuit was open) and names every other candidate's reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from llmcouncil.errors import ConfigError, ModelFailure, ProviderError, UpstreamTimeoutError
from llmcouncil.providers.base import Completion
from llmcouncil.records import CallRecord
from llmcouncil.resilience.breaker import ProbeChoice
from llmcouncil.resilience.call_plan import CallPlan


@dataclass(frozen=True, slots=True)
class CandidateAnswer:
    completion: Completion
    candidate: str  # who answered: the configured model, a fallback, or the hedge


@dataclass(slots=True)
class CallOutcome:
    plan: CallPlan
    choice: ProbeChoice | None = None  # the probe, when every candidate's circuit was open
    failures: list[ModelFailure] = field(default_factory=list)  # each candidate's last
    attempts: list[dict[str, Any]] = field(default_factory=list)  # every failed attempt
    retries: int = 0
    circuits: dict[str, str] = field(default_factory=dict)
    hedge: dict[str, Any] = field(default_factory=dict)

    def attempt_failed(self, exc: ProviderError, *, model: str, number: int) -> None:
        self.attempts.append(
            {**ModelFailure.from_error(exc, model=model).as_dict(), "attempt": number}
        )

    def failure(self, exc: ProviderError | ConfigError, candidate: str) -> ModelFailure:
        """Why ``candidate`` failed, told as the probe's story when it was the probe."""
        if isinstance(exc, ConfigError):
            return ModelFailure(model=candidate, kind="config", message="; ".join(exc.problems))
        failure = ModelFailure.from_error(exc, model=candidate)
        choice = self.choice
        if choice is not None and choice.model == candidate:
            candidates = [self.plan.model, *self.plan.fallbacks]
            message = f"{choice.explain(list(dict.fromkeys(candidates)))}: {failure.message}"
            failure = ModelFailure(
                model=candidate, kind=failure.kind, message=message, status=failure.status
            )
        return failure

    def answered(self, answer: CandidateAnswer) -> CallRecord:
        plan, completion, candidate = self.plan, answer.completion, answer.candidate
        reasons = [reason(f) for f in self.failures]
        if self.hedge.get("hedge_won") and candidate != plan.model:
            reasons.append(
                f"hedged: {plan.model} ran past its recent "
                f"p{self.hedge['hedge_percentile'] * 100:.0f} "
                f"({self.hedge['hedge_after_ms']:.0f} ms) and {candidate} answered first"
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

    def failed(self, *, expired: str | None) -> CallRecord:
        """Every candidate failed; ``expired`` says what the call's deadline cut, if it did."""
        failures = self.failures
        first = failures[0]
        if self.choice is not None:  # lead with the probe's story: it is the one that was tried
            first = next((f for f in failures if f.model == self.choice.model), first)
        rest = [f for f in failures if f is not first]
        failure = first
        if rest:
            failure = ModelFailure(
                model=self.plan.model,
                kind=first.kind,
                status=first.status,
                message=f"{first.message}; "
                + ("fallbacks failed too: " if first.model == self.plan.model else "also: ")
                + "; then ".join(reason(f) for f in rest),
            )
        if expired is not None:
            failure = ModelFailure(
                model=self.plan.model,
                kind=UpstreamTimeoutError.kind,
                message=f"{expired}: " + "; then ".join(reason(f) for f in failures),
            )
        return CallRecord(
            stage=self.plan.stage,
            model=self.plan.model,
            ok=False,
            position=self.plan.position,
            failure=failure,
            details={**self._details(), "failed_attempts": self.attempts},
        )

    def _details(self, reasoning: str | None = None) -> dict[str, Any]:
        details = dict(self.plan.details)
        if reasoning:  # stored with the call and shown on request; never sent on
            details["reasoning"] = reasoning
        if self.attempts:
            details["failed_attempts"] = self.attempts
        if self.retries:
            details["retries"] = self.retries
        if self.circuits:
            details["circuit"] = self.circuits
        details.update(self.hedge)
        return details


def reason(failure: ModelFailure) -> str:
    """One candidate's failure, as a fallback reason names it."""
    return f"{failure.model} failed ({failure.kind}): {failure.message}"
