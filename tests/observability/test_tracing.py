"""Traces from a real council, captured with the OpenTelemetry SDK's in-memory exporter."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from support import CHAIRMAN, MEMBERS, ServedApp, serve_app

from llmcouncil.api.app import create_app
from llmcouncil.config import Settings
from llmcouncil.errors import ConfigError
from llmcouncil.observability.tracing import tracer_provider_from_env
from llmcouncil.sim import FaultSpec, SimServer

QUESTION = "What colour is a flamingo, and why?"
TRACEPARENT_TRACE = "0af7651916cd43dd8448eb211c80319c"
TRACEPARENT = f"00-{TRACEPARENT_TRACE}-b7ad6b7169203331-01"


@pytest.fixture
async def traced() -> AsyncIterator[Callable[[Settings], Any]]:
    """Start the app with an in-memory span exporter; yields (base url, exporter)."""
    served: list[ServedApp] = []

    async def start(settings: Settings) -> tuple[str, InMemorySpanExporter]:
        exporter = InMemorySpanExporter()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        one = await serve_app(create_app(settings, tracer_provider=provider))
        served.append(one)
        return one.base_url, exporter

    yield start
    for one in served:
        await one.stop()


async def council(base_url: str) -> dict[str, Any]:
    body = {
        "model": "council",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": QUESTION},
        ],
    }
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        response = await client.post(
            "/v1/chat/completions", json=body, headers={"traceparent": TRACEPARENT}
        )
    assert response.status_code == 200
    result: dict[str, Any] = response.json()
    return result


def attributes_text(spans: list[ReadableSpan]) -> str:
    return " ".join(str(v) for span in spans for v in (span.attributes or {}).values())


async def test_one_trace_per_council_linked_to_its_request(traced: Any, make_settings: Any) -> None:
    base_url, exporter = await traced(make_settings())
    result = await council(base_url)
    spans = list(exporter.get_finished_spans())
    http = next(s for s in spans if s.kind is SpanKind.SERVER)
    assert http.name == "POST /v1/chat/completions"
    assert format(http.context.trace_id, "032x") == TRACEPARENT_TRACE  # continues the caller's
    assert http.attributes and http.attributes["http.response.status_code"] == 200

    root = next(s for s in spans if s.name == "council default")
    assert root.parent is None and root.context.trace_id != http.context.trace_id
    assert [link.context.span_id for link in root.links] == [http.context.span_id]
    assert root.attributes and root.attributes["llmcouncil.run_id"] == result["council"]["run_id"]
    assert root.attributes["llmcouncil.outcome"] == "complete"
    council_spans = [s for s in spans if s.context.trace_id == root.context.trace_id]

    stages = {s.name: s for s in council_spans if s.name.startswith("stage ")}
    assert set(stages) == {"stage answers", "stage reviews", "stage synthesis"}
    assert all(s.parent and s.parent.span_id == root.context.span_id for s in stages.values())
    calls = [s for s in council_spans if s.name.startswith("chat ")]
    by_stage: dict[str, list[ReadableSpan]] = {}
    for span in calls:
        assert span.kind is SpanKind.CLIENT
        assert span.attributes is not None
        assert span.attributes["gen_ai.operation.name"] == "chat"
        assert span.attributes["gen_ai.provider.name"] == "sim"
        assert int(str(span.attributes["gen_ai.usage.output_tokens"])) > 0
        parent = next(
            s for s in stages.values() if span.parent and s.context.span_id == span.parent.span_id
        )
        assert parent.start_time is not None and span.start_time is not None
        assert parent.start_time <= span.start_time
        by_stage.setdefault(parent.name, []).append(span)
    assert sorted(
        s.attributes["gen_ai.request.model"] for s in by_stage["stage answers"]
    ) == sorted(MEMBERS)  # type: ignore[index]
    assert len(by_stage["stage reviews"]) == len(MEMBERS)
    assert [s.attributes["gen_ai.request.model"] for s in by_stage["stage synthesis"]] == [CHAIRMAN]  # type: ignore[index]
    # No prompt or answer text unless asked for.
    assert QUESTION not in attributes_text(spans) and "Be brief" not in attributes_text(spans)
    assert result["choices"][0]["message"]["content"] not in attributes_text(spans)


async def test_content_in_spans_only_when_enabled_and_failures_marked(
    traced: Any, make_settings: Any, sim: SimServer
) -> None:
    base_url, exporter = await traced(make_settings(observability={"trace_content": True}))
    sim.configure(
        sim.config.model_copy(update={"faults": {"x-ai/grok-4": [FaultSpec(status=402)]}})
    )
    result = await council(base_url)
    spans = list(exporter.get_finished_spans())
    root = next(s for s in spans if s.name == "council default")
    asked = json.loads(str((root.attributes or {})["gen_ai.input.messages"]))
    assert asked == [{"role": "user", "parts": [{"type": "text", "content": QUESTION}]}]
    chair = next(s for s in spans if (s.attributes or {}).get("llmcouncil.stage") == "synthesis")
    said = json.loads(str((chair.attributes or {})["gen_ai.output.messages"]))
    assert said[0]["parts"][0]["content"] == result["choices"][0]["message"]["content"]
    failed = next(s for s in spans if s.name == "chat x-ai/grok-4")
    assert failed.status.status_code is StatusCode.ERROR
    assert (failed.attributes or {})["error.type"] == "payment_required"
    assert [e.name for e in failed.events] == ["attempt_failed"]
    assert root.status.status_code is StatusCode.UNSET


def test_tracing_is_opt_in_by_the_standard_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OTEL_TRACES_EXPORTER", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_SERVICE_NAME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", raising=False)
    assert tracer_provider_from_env() is None
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "console")
    provider = tracer_provider_from_env()
    assert provider is not None
    assert provider.resource.attributes["service.name"] == "llmcouncil"
    provider.shutdown()
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
    assert tracer_provider_from_env() is None
    monkeypatch.setenv("OTEL_SDK_DISABLED", "false")
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "zipkin")
    with pytest.raises(ConfigError, match="unknown exporter 'zipkin'"):
        tracer_provider_from_env()
