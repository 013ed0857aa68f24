"""The ``[observability]`` section of the settings.

Tracing itself is switched on by the standard OpenTelemetry environment variables
(``OTEL_EXPORTER_OTLP_ENDPOINT``, ``OTEL_TRACES_EXPORTER``, ``OTEL_SERVICE_NAME``, …), not here:
operators already set those for every other service.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class ObservabilitySettings(BaseModel):
    log_format: Literal["auto", "json", "console"] = Field(
        default="auto",
        description="json: one JSON object per line; console: readable lines; auto: console "
        "when stderr is a terminal, else json.",
    )
    metrics: bool = Field(default=True, description="Serve Prometheus metrics at /metrics.")
    metrics_interval: float = Field(
        default=2.0,
        gt=0,
        description="Seconds between samples of queue depth, in-flight calls and breaker states.",
    )
    trace_content: bool = Field(
        default=False,
        description="Put question and answer text in spans (also switched on by "
        "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true). Off: no prompt text in spans.",
    )
