"""The policy layer between the council and the providers: one model call with its fallbacks.

``ModelCaller.call`` tries the configured model, then each fallback in order, and returns a
``CallRecord`` saying which model really answered and why a fallback ran; it never raises for an
upstream failure (the record carries the failure), so one model cannot sink a stage.

A stream that fails after tokens were forwarded is restarted on the next candidate and the
listener is told to discard the text so far (``on_reset`` → the ``model_reset`` event).
A request for structured output that the upstream rejects (400) is repeated once as text.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from llmcouncil.config import Settings
from llmcouncil.council.results import CallRecord
from llmcouncil.errors import BadRequestError, ConfigError, ModelFailure, ProviderError
from llmcouncil.providers.base import ChatMessage, Completion, CompletionRequest, TextDelta
from llmcouncil.providers.registry import ProviderRegistry

log = logging.getLogger(__name__)

DeltaListener = Callable[[str], None]
FallbackListener = Callable[[str, str], None]  # (fallback model, reason)


@dataclass(frozen=True, slots=True)
class CallPlan:
    stage: int
    model: str  # the configured member or chairman
    messages: tuple[ChatMessage, ...]
    fallbacks: Sequence[str] = ()
    position: int = 0
    temperature: float | None = None
    max_tokens: int | None = None
    json_schema: Mapping[str, Any] | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class CallListeners:
    on_delta: DeltaListener | None = None
    on_fallback: FallbackListener | None = None
    on_reset: Callable[[], None] | None = None


class ModelCaller:
    def __init__(self, registry: ProviderRegistry, settings: Settings) -> None:
        self.registry = registry
        self._settings = settings

    async def call(self, plan: CallPlan, listeners: CallListeners | None = None) -> CallRecord:
        listeners = listeners or CallListeners()
        candidates = [plan.model, *[m for m in plan.fallbacks if m != plan.model]]
        failures: list[ModelFailure] = []
        for index, candidate in enumerate(candidates):
            forwarded = False

            def forward(text: str) -> None:
                nonlocal forwarded
                forwarded = True
                if listeners.on_delta is not None:
                    listeners.on_delta(text)

            try:
                completion = await self._attempt(
                    plan, candidate, forward if listeners.on_delta else None
                )
            except (ProviderError, ConfigError) as exc:
                failure = _failure(exc, candidate)
                failures.append(failure)
                log.warning(
                    "model call failed: stage=%s model=%s kind=%s reason=%s",
                    plan.stage,
                    candidate,
                    failure.kind,
                    failure.message,
                )
                if index + 1 < len(candidates):
                    if forwarded and listeners.on_reset is not None:
                        listeners.on_reset()
                    if listeners.on_fallback is not None:
                        listeners.on_fallback(candidates[index + 1], _reason(failure))
                continue
            fallback_from = plan.model if candidate != plan.model else None
            return CallRecord(
                stage=plan.stage,
                model=plan.model,
                ok=True,
                position=plan.position,
                text=completion.text,
                answered_by=completion.model if candidate == plan.model else candidate,
                fallback_from=fallback_from,
                fallback_reason="; ".join(_reason(f) for f in failures) or None,
                usage=completion.usage,
                latency_ms=completion.latency_ms,
                ttft_ms=completion.ttft_ms,
                finish_reason=completion.finish_reason,
                simulated=completion.simulated,
                details={
                    **plan.details,
                    **({"failed_attempts": [f.as_dict() for f in failures]} if failures else {}),
                },
            )
        return CallRecord(
            stage=plan.stage,
            model=plan.model,
            ok=False,
            position=plan.position,
            failure=failures[0] if len(failures) == 1 else _combined(plan.model, failures),
            details={**plan.details, "failed_attempts": [f.as_dict() for f in failures]},
        )

    async def _attempt(
        self, plan: CallPlan, candidate: str, on_delta: DeltaListener | None
    ) -> Completion:
        resolved = self.registry.resolve(candidate)
        schema = plan.json_schema
        if schema is not None and not self.registry.supports_structured_output(candidate):
            schema = None
        timeouts = self._settings.timeouts
        request = CompletionRequest(
            model=resolved.model,
            messages=plan.messages,
            temperature=plan.temperature,
            max_tokens=plan.max_tokens,
            json_schema=schema,
            timeout=timeouts.total,
            first_token_timeout=timeouts.first_token,
        )
        try:
            return await self._send(resolved.provider, request, on_delta)
        except BadRequestError:
            if schema is None:
                raise
            log.info("structured output rejected by %s; asking for text", candidate)
            plain = CompletionRequest(
                model=request.model,
                messages=request.messages,
                temperature=request.temperature,
                max_tokens=request.max_tokens,
                timeout=request.timeout,
                first_token_timeout=request.first_token_timeout,
            )
            return await self._send(resolved.provider, plain, on_delta)

    @staticmethod
    async def _send(
        provider: Any, request: CompletionRequest, on_delta: DeltaListener | None
    ) -> Completion:
        if on_delta is None:
            completion: Completion = await provider.complete(request)
            return completion
        final: Completion | None = None
        async for item in provider.stream(request):
            if isinstance(item, TextDelta):
                on_delta(item.text)
            else:
                final = item
        if final is None:  # the contract promises a final Completion; guard against adapters
            raise ProviderError(
                "stream ended without a result",
                model=request.model,
                provider=getattr(provider, "name", ""),
            )
        return final


def _failure(exc: ProviderError | ConfigError, model: str) -> ModelFailure:
    if isinstance(exc, ConfigError):
        return ModelFailure(model=model, kind="config", message="; ".join(exc.problems))
    return ModelFailure.from_error(exc, model=model)


def _reason(failure: ModelFailure) -> str:
    return f"{failure.model} failed ({failure.kind}): {failure.message}"


def _combined(model: str, failures: list[ModelFailure]) -> ModelFailure:
    first = failures[0]
    rest = "; then ".join(_reason(f) for f in failures[1:])
    return ModelFailure(
        model=model,
        kind=first.kind,
        status=first.status,
        message=f"{first.message}; fallbacks failed too: {rest}",
    )
