"""Per-request telemetry, as one ASGI middleware: request id, access log, HTTP metrics, span.

The request id is the client's ``X-Request-ID`` when it is a sane token, else a new one; it is
bound for every log line of the request (and of any run the request starts) and echoed in the
response. The access line names the route template and never the query string (search text).
A server span follows the HTTP semantic conventions and continues a W3C ``traceparent`` the
client sent; a council started by the request links to it.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind, Status, StatusCode, TracerProvider
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from llmcouncil.observability.logging import bind_request, unbind
from llmcouncil.observability.metrics import CouncilMetrics

log = logging.getLogger("llmcouncil.access")

REQUEST_ID_HEADER = "x-request-id"
_SANE_ID = re.compile(r"[A-Za-z0-9._\-]{1,128}")
_UNMATCHED = "unmatched"  # 404s must not mint one label per path a scanner tries
_QUIET = frozenset({"/metrics", "/healthz", "/readyz"})  # scraped and probed all day long


def request_id_from(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == REQUEST_ID_HEADER.encode():
            candidate = str(value.decode("latin-1"))
            if _SANE_ID.fullmatch(candidate):
                return candidate
    return uuid.uuid4().hex


def route_of(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path_format", None) or getattr(route, "path", None)
    return str(path) if path else _UNMATCHED


class RequestTelemetry:
    def __init__(
        self,
        app: ASGIApp,
        *,
        metrics: CouncilMetrics | None,
        tracer_provider: TracerProvider | None,
    ) -> None:
        self.app = app
        self._metrics = metrics
        self._tracer = tracer_provider.get_tracer("llmcouncil.http") if tracer_provider else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_from(scope)
        tokens = bind_request(request_id)
        method = str(scope.get("method", "GET"))
        started = time.perf_counter()
        status = 500
        span = self._start_span(scope, method)
        attached = otel_context.attach(trace.set_span_in_context(span)) if span else None

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = list(message.get("headers", []))
                headers.append((REQUEST_ID_HEADER.encode(), request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            if span is not None:
                span.record_exception(exc)
            raise
        finally:
            seconds = time.perf_counter() - started
            route = route_of(scope)
            self._record(method=method, route=route, status=status, seconds=seconds)
            if span is not None:
                self._end_span(span, method=method, route=route, status=status)
            if attached is not None:
                otel_context.detach(attached)
            log.log(
                logging.DEBUG if route in _QUIET else logging.INFO,
                "%s %s %d",
                method,
                route,
                status,
                extra={"path": scope.get("path"), "status": status, "ms": round(seconds * 1000, 1)},
            )
            unbind(tokens)

    def _record(self, *, method: str, route: str, status: int, seconds: float) -> None:
        if self._metrics is None:
            return
        self._metrics.http_requests.labels(method, route, str(status)).inc()
        self._metrics.http_seconds.labels(method, route).observe(seconds)

    def _start_span(self, scope: Scope, method: str) -> Any:
        if self._tracer is None:
            return None
        carrier = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", [])}
        return self._tracer.start_span(
            method,
            context=propagate.extract(carrier),
            kind=SpanKind.SERVER,
            attributes={
                "http.request.method": method,
                "url.path": str(scope.get("path", "")),
                "url.scheme": str(scope.get("scheme", "http")),
            },
        )

    @staticmethod
    def _end_span(span: Any, *, method: str, route: str, status: int) -> None:
        if route != _UNMATCHED:
            span.update_name(f"{method} {route}")
            span.set_attribute("http.route", route)
        span.set_attribute("http.response.status_code", status)
        if status >= 500:
            span.set_status(Status(StatusCode.ERROR))
        span.end()
