"""OpenTelemetry traces: opt-in by the standard ``OTEL_*`` variables, one trace per council.

``tracer_provider_from_env`` returns an SDK provider only when the environment asks for traces
(``OTEL_EXPORTER_OTLP[_TRACES]_ENDPOINT`` or ``OTEL_TRACES_EXPORTER``; ``OTEL_SDK_DISABLED=true``
wins); service name, resource attributes and sampler come from the usual variables too.

``RunTracer`` builds a council's spans from its events: a root span per council (a new trace,
*linked* to the HTTP request that started it, since a council outlives its request and can be
joined by others), a span per stage, and per model call a ``chat {model}`` span following the
GenAI semantic conventions. Call spans are written when their record is ready (at the end of the
stage) with the times observed from the events: start at the stage's start, end when the call's
``model_complete``/``model_error`` arrived. Question and answer text go into spans only when
``trace_content`` (or ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT``) says so.
"""

from __future__ import annotations

import contextvars
import importlib
import json
import os
import time
from typing import TYPE_CHECKING, Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Link, Span, SpanKind, Status, StatusCode, TracerProvider

from llmcouncil.config import Settings, resolve_model
from llmcouncil.council.events import CouncilEvent, EventType, RunChannel
from llmcouncil.council.pipeline import RunContext
from llmcouncil.errors import ConfigError
from llmcouncil.observability.metrics import STAGE_NAMES
from llmcouncil.records import CallRecord

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider as SdkTracerProvider

TRACER_NAME = "llmcouncil"
_CALL_END = {EventType.MODEL_COMPLETE, EventType.MODEL_ERROR, EventType.MODEL_LATE}
_STAGE_START = {EventType.STAGE1_START: 1, EventType.STAGE2_START: 2, EventType.STAGE3_START: 3}
_STAGE_DONE = {
    EventType.STAGE1_COMPLETE: 1,
    EventType.STAGE2_COMPLETE: 2,
    EventType.STAGE3_COMPLETE: 3,
}


def _env_true(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() == "true"


def tracer_provider_from_env() -> SdkTracerProvider | None:
    """An SDK tracer provider when the ``OTEL_*`` environment asks for traces, else None."""
    env = os.environ
    if _env_true("OTEL_SDK_DISABLED"):
        return None
    exporters = env.get("OTEL_TRACES_EXPORTER")
    endpoint = env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or env.get(
        "OTEL_EXPORTER_OTLP_ENDPOINT"
    )
    if exporters is None and not endpoint:
        return None
    names = [n.strip() for n in (exporters or "otlp").split(",") if n.strip()]
    names = [n for n in names if n != "none"]
    if not names:
        return None
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider as SdkProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    attributes = {}
    if "OTEL_SERVICE_NAME" not in env and "service.name" not in env.get(
        "OTEL_RESOURCE_ATTRIBUTES", ""
    ):
        attributes["service.name"] = "llmcouncil"
    provider = SdkProvider(resource=Resource.create(attributes))
    for name in names:
        provider.add_span_processor(BatchSpanProcessor(_exporter(name)))
    return provider


def _exporter(name: str) -> Any:
    from opentelemetry.sdk.trace.export import ConsoleSpanExporter

    if name == "console":
        return ConsoleSpanExporter()
    if name != "otlp":
        raise ConfigError([f"OTEL_TRACES_EXPORTER: unknown exporter {name!r} (otlp, console)"])
    grpc = os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf").startswith("grpc")
    package = "opentelemetry-exporter-otlp-proto-" + ("grpc" if grpc else "http")
    try:  # an optional extra: imported by name, so type checking does not need it installed
        module = importlib.import_module(package.replace("-", ".") + ".trace_exporter")
    except ImportError as exc:
        raise ConfigError(
            [
                f"traces are configured for OTLP but {package} is not installed "
                "(pip install 'llmcouncil[otlp]')"
            ]
        ) from exc
    return module.OTLPSpanExporter()


class RunTracer:
    """A run observer that writes the council's spans."""

    def __init__(self, provider: TracerProvider, settings: Settings) -> None:
        self._tracer = provider.get_tracer(TRACER_NAME)
        self._settings = settings
        self._content = settings.observability.trace_content or _env_true(
            "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
        )

    def run_started(
        self, ctx: RunContext, channel: RunChannel, context: contextvars.Context
    ) -> None:
        request = trace.get_current_span().get_span_context()
        spec = ctx.spec
        root = self._tracer.start_span(
            f"council {spec.preset or 'custom'}",
            context=otel_context.Context(),  # a trace of its own …
            links=[Link(request)] if request.is_valid else None,  # … linked to its request
            attributes={
                "gen_ai.operation.name": "invoke_agent",
                "gen_ai.agent.name": f"council/{spec.preset or 'custom'}",
                "llmcouncil.run_id": ctx.run_id,
                "llmcouncil.conversation_id": ctx.conversation_id,
                "llmcouncil.members": spec.members,
                "llmcouncil.chairman": spec.chairman,
                "llmcouncil.resumed": ctx.resume is not None,
            },
        )
        if self._content:
            root.set_attribute("gen_ai.input.messages", _messages("user", ctx.question))
        # Log lines of the run carry this trace's ids.
        context.run(otel_context.attach, trace.set_span_in_context(root))
        channel.tap(_CouncilSpans(self, ctx, root))

    def call_span(self, record: CallRecord, *, parent: Span, start: int, end: int) -> None:
        served = record.answered_by if record.fallback_from and record.answered_by else record.model
        ref = resolve_model(self._settings, served)
        attributes: dict[str, Any] = {
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": ref.provider,
            "gen_ai.request.model": ref.model,
            "llmcouncil.stage": STAGE_NAMES.get(record.stage, "unknown"),
            "llmcouncil.member": record.model,
        }
        if record.ok:
            attributes.update(
                {
                    "gen_ai.response.model": record.answered_by or ref.model,
                    "gen_ai.usage.input_tokens": record.usage.prompt_tokens,
                    "gen_ai.usage.output_tokens": record.usage.completion_tokens,
                }
            )
            if record.finish_reason:
                attributes["gen_ai.response.finish_reasons"] = [record.finish_reason]
            if record.usage.cost is not None:
                attributes["llmcouncil.cost_usd"] = record.usage.cost
            if record.fallback_from:
                attributes["llmcouncil.fallback_from"] = record.fallback_from
            if self._content:
                attributes["gen_ai.output.messages"] = _messages("assistant", record.text)
        retries = record.details.get("retries")
        if retries:
            attributes["llmcouncil.retries"] = int(retries)
        span = self._tracer.start_span(
            f"chat {ref.model}",
            context=trace.set_span_in_context(parent),
            kind=SpanKind.CLIENT,
            attributes=attributes,
            start_time=start,
        )
        for attempt in record.details.get("failed_attempts") or []:
            if isinstance(attempt, dict):
                span.add_event(
                    "attempt_failed",
                    {k: str(v) for k, v in attempt.items() if k != "message" and v is not None},
                )
        if not record.ok:
            kind = record.failure.kind if record.failure else "internal"
            span.set_attribute("error.type", kind)
            span.set_status(
                Status(StatusCode.ERROR, record.failure.message if record.failure else "")
            )
        span.end(end_time=max(start, end))

    def child_span(self, name: str, parent: Span, *, start: int) -> Span:
        return self._tracer.start_span(
            name, context=trace.set_span_in_context(parent), start_time=start
        )


def _messages(role: str, text: str) -> str:
    return json.dumps([{"role": role, "parts": [{"type": "text", "content": text}]}])


class _CouncilSpans:
    def __init__(self, tracer: RunTracer, ctx: RunContext, root: Span) -> None:
        self._tracer = tracer
        self._ctx = ctx
        self._root = root
        self._started = time.time_ns()
        self._stages: dict[int, tuple[Span, int]] = {}
        self._ended: dict[tuple[int, str], int] = {}
        self._written = 0
        self._degraded = False

    def __call__(self, event: CouncilEvent) -> None:
        kind, fields = event.type, event.fields
        if kind is EventType.MODEL_DELTA:
            return
        now = time.time_ns()
        if kind in _CALL_END:
            self._ended.setdefault((int(fields.get("stage") or 0), str(fields.get("model"))), now)
        elif kind in _STAGE_START:
            stage = _STAGE_START[kind]
            span = self._tracer.child_span(f"stage {STAGE_NAMES[stage]}", self._root, start=now)
            self._stages[stage] = (span, now)
        elif kind in _STAGE_DONE:
            data = fields.get("data")
            if kind is EventType.STAGE3_COMPLETE and isinstance(data, dict):
                self._degraded = bool(data.get("degraded"))
            self._write_calls()
            stage_span = self._stages.pop(_STAGE_DONE[kind], None)
            if stage_span is not None:
                stage_span[0].end(end_time=now)
        elif kind is EventType.TITLE_COMPLETE:
            self._write_calls()
        elif kind is EventType.COMPLETE or kind is EventType.ERROR:
            self._end(kind, fields, now)

    def _write_calls(self) -> None:
        records = self._ctx.records
        now = time.time_ns()
        for record in records[self._written :]:
            stage = self._stages.get(record.stage)
            parent, start = stage if stage is not None else (self._root, self._started)
            end = self._ended.get((record.stage, record.model), now)
            self._tracer.call_span(record, parent=parent, start=start, end=end)
        self._written = len(records)

    def _end(self, kind: EventType, fields: dict[str, Any], now: int) -> None:
        self._write_calls()
        for span, _start in self._stages.values():
            span.end(end_time=now)
        self._stages.clear()
        root = self._root
        usage = fields.get("usage") or {}
        if usage:
            root.set_attribute("gen_ai.usage.input_tokens", int(usage.get("prompt_tokens") or 0))
            root.set_attribute(
                "gen_ai.usage.output_tokens", int(usage.get("completion_tokens") or 0)
            )
        if kind is EventType.ERROR:
            code = str(fields.get("code") or "error")
            root.set_attribute(
                "llmcouncil.outcome", "cancelled" if code == "cancelled" else "failed"
            )
            root.set_attribute("error.type", code)
            root.set_status(Status(StatusCode.ERROR, str(fields.get("message") or code)))
        else:
            root.set_attribute("llmcouncil.outcome", "degraded" if self._degraded else "complete")
        root.end(end_time=now)
