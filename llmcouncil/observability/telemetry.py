"""What one server holds for observability, built with the app: metrics, tracing, observers.

``Telemetry`` is created before the app (the request middleware needs it) and started in the
app's lifespan, once the runtime exists (the gauge sampler reads the runtime's admission gate,
call limits and breakers). ``/metrics`` is served outside ``/api``: it is for the scraper, not for
users; restrict it at the reverse proxy (docs/OPERATIONS.md).

The gauges of the policy layer (queue depth, councils running, calls in flight, breakers) are
sampled: the admission gate, the call limits and the circuit breakers already keep these numbers;
reading them every ``metrics_interval`` seconds (and right before a scrape) keeps the resilience
code free of metric calls and works in multiprocess mode, where each worker writes its own gauge
values and the scrape combines them. Rejections are a counter in the gate, turned into increments.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from fastapi import APIRouter, Request, Response
from opentelemetry.trace import TracerProvider

from llmcouncil.config import Settings
from llmcouncil.council.runs import RunObserver
from llmcouncil.feedback.service import VoteObserver
from llmcouncil.observability.metrics import BREAKER_STATES, CouncilMetrics, mark_process_dead
from llmcouncil.observability.run_metrics import RunMetrics, VoteMetrics
from llmcouncil.observability.tracing import RunTracer

log = logging.getLogger(__name__)


class AdmissionCounts(Protocol):
    @property
    def active(self) -> int: ...

    @property
    def queued(self) -> int: ...

    @property
    def rejected(self) -> int: ...


class InFlightCount(Protocol):
    in_flight: int


class BreakerSnapshot(Protocol):
    @property
    def key(self) -> str: ...

    @property
    def state(self) -> Any: ...


class BreakerViews(Protocol):
    async def views(self) -> Sequence[BreakerSnapshot]: ...


class ResilienceSampler:
    def __init__(
        self,
        metrics: CouncilMetrics,
        *,
        admission: AdmissionCounts,
        limits: InFlightCount,
        breakers: BreakerViews,
        interval: float,
    ) -> None:
        self._metrics = metrics
        self._admission = admission
        self._limits = limits
        self._breakers = breakers
        self._interval = interval
        self._rejected = 0
        self._task: asyncio.Task[None] | None = None

    async def sample(self) -> None:
        m, admission = self._metrics, self._admission
        m.active_councils.set(admission.active)
        m.queued_councils.set(admission.queued)
        m.inflight_calls.set(self._limits.in_flight)
        rejected = admission.rejected
        if rejected > self._rejected:
            m.rejected_councils.inc(rejected - self._rejected)
        self._rejected = rejected
        for view in await self._breakers.views():
            state = str(getattr(view.state, "value", view.state))
            m.breaker_state.labels(view.key).set(BREAKER_STATES.get(state, 0.0))

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="metrics-sampler")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _loop(self) -> None:
        while True:
            try:
                await self.sample()
            except Exception:  # a metric must never take the server down
                log.exception("sampling resilience gauges failed")
            await asyncio.sleep(self._interval)


@dataclass(slots=True)
class Telemetry:
    settings: Settings
    metrics: CouncilMetrics | None
    tracer_provider: TracerProvider | None
    sampler: ResilienceSampler | None = field(default=None)

    @classmethod
    def build(cls, settings: Settings, *, tracer_provider: TracerProvider | None) -> Telemetry:
        metrics = CouncilMetrics() if settings.observability.metrics else None
        return cls(settings=settings, metrics=metrics, tracer_provider=tracer_provider)

    def run_observers(self) -> list[RunObserver]:
        observers: list[RunObserver] = []
        if self.metrics is not None:
            observers.append(RunMetrics(self.metrics))
        if self.tracer_provider is not None:
            observers.append(RunTracer(self.tracer_provider, self.settings))
        return observers

    def vote_observers(self) -> list[VoteObserver]:
        return [VoteMetrics(self.metrics)] if self.metrics is not None else []

    def start(
        self, *, admission: AdmissionCounts, limits: InFlightCount, breakers: BreakerViews
    ) -> None:
        """Sample the policy layer's gauges: the runtime's admission gate, limits, breakers."""
        if self.metrics is None:
            return
        self.sampler = ResilienceSampler(
            self.metrics,
            admission=admission,
            limits=limits,
            breakers=breakers,
            interval=self.settings.observability.metrics_interval,
        )
        self.sampler.start()

    async def stop(self) -> None:
        if self.sampler is not None:
            await self.sampler.stop()
        mark_process_dead()
        # Export what is buffered now: uvicorn re-raises SIGTERM once the app has stopped, so
        # code after the server returns may never run.
        flush = getattr(self.tracer_provider, "force_flush", None)
        if flush is not None:
            await asyncio.to_thread(flush)

    async def scrape(self) -> tuple[bytes, str]:
        assert self.metrics is not None
        if self.sampler is not None:
            await self.sampler.sample()
        return self.metrics.render()


def metrics_router() -> APIRouter:
    router = APIRouter()

    @router.get("/metrics", include_in_schema=False)
    async def metrics(request: Request) -> Response:
        telemetry: Telemetry = request.app.state.telemetry
        if telemetry.metrics is None:
            return Response("metrics are disabled (observability.metrics = false)\n", 404)
        body, content_type = await telemetry.scrape()
        return Response(body, media_type=content_type)

    return router
