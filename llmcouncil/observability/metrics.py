"""The Prometheus metrics of one server process, and how they are exposed.

``CouncilMetrics`` owns a registry of its own (tests run several servers in one process, each
counting only its own work). With ``PROMETHEUS_MULTIPROC_DIR`` set *before the process starts*,
prometheus-client keeps every value in a per-process file in that directory and ``render``
aggregates the files of every worker, so any worker can answer a scrape for all of them. Gauges
say how they combine across workers (``livesum``: queue depth is the sum over live workers;
``livemax``: a breaker is as open as the most open worker sees it).

Labels are bounded: models are the configured references (never the upstream's own, possibly
dated, ids), routes are route templates, stages are names.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client import multiprocess as prometheus_multiprocess

STAGE_NAMES = {0: "title", 1: "answers", 2: "reviews", 3: "synthesis"}
BREAKER_STATES = {"closed": 0.0, "half_open": 1.0, "open": 2.0}

# Councils take seconds to minutes; model calls up to the 600 s default deadline.
_COUNCIL_BUCKETS = (1, 2.5, 5, 10, 20, 30, 45, 60, 90, 120, 180, 300, 600)
_CALL_BUCKETS = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600)
_TTFT_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 120, 240)
_HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


class CouncilMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = r = registry or CollectorRegistry()
        self.councils = Counter(
            "llmcouncil_councils",
            "Councils that ended, by outcome (complete, degraded, failed, cancelled).",
            ["preset", "outcome"],
            registry=r,
        )
        self.council_seconds = Histogram(
            "llmcouncil_council_duration_seconds",
            "Wall time of a council from its start to its last event.",
            ["preset", "outcome"],
            buckets=_COUNCIL_BUCKETS,
            registry=r,
        )
        self.council_first_token = Histogram(
            "llmcouncil_council_time_to_first_token_seconds",
            "From a council's start to the first token of the Chairman's answer: what a "
            "streaming user waits for.",
            ["preset"],
            buckets=_COUNCIL_BUCKETS,
            registry=r,
        )
        self.stage_seconds = Histogram(
            "llmcouncil_stage_duration_seconds",
            "Wall time of a stage (answers, reviews, synthesis).",
            ["stage"],
            buckets=_COUNCIL_BUCKETS,
            registry=r,
        )
        self.call_seconds = Histogram(
            "llmcouncil_model_call_duration_seconds",
            "Latency of a successful model call, by the model that answered.",
            ["model", "stage"],
            buckets=_CALL_BUCKETS,
            registry=r,
        )
        self.call_first_token = Histogram(
            "llmcouncil_model_time_to_first_token_seconds",
            "Time to a streamed model call's first token, by the model that answered.",
            ["model", "stage"],
            buckets=_TTFT_BUCKETS,
            registry=r,
        )
        self.calls = Counter(
            "llmcouncil_model_calls",
            "Model calls (a member, reviewer, chairman or title, with its fallbacks) by outcome.",
            ["model", "stage", "outcome"],
            registry=r,
        )
        self.upstream_errors = Counter(
            "llmcouncil_upstream_errors",
            "Failed upstream attempts, retried ones included, by model and kind "
            "(rate_limited, upstream_5xx, timeout, connection, circuit_open, capacity, …).",
            ["model", "kind"],
            registry=r,
        )
        self.retries = Counter(
            "llmcouncil_retries",
            "Retries scheduled, by model and the error kind that caused them.",
            ["model", "kind"],
            registry=r,
        )
        self.fallbacks = Counter(
            "llmcouncil_fallbacks",
            "A fallback model took over from a failed one.",
            ["model", "fallback"],
            registry=r,
        )
        self.hedges = Counter(
            "llmcouncil_hedges", "Hedged second calls started.", ["model"], registry=r
        )
        self.late_calls = Counter(
            "llmcouncil_late_calls",
            "Calls a stage stopped waiting for (stragglers).",
            ["model", "stage"],
            registry=r,
        )
        self.tokens = Counter(
            "llmcouncil_tokens",
            "Tokens used, by the model that answered and direction (input, output).",
            ["model", "direction"],
            registry=r,
        )
        self.cost = Counter(
            "llmcouncil_cost_usd",
            "Cost reported by the upstream, in US dollars, by the model that answered.",
            ["model"],
            registry=r,
        )
        self.redactions = Counter(
            "llmcouncil_redactions",
            "Personal data replaced by placeholders before a question left the server, by entity "
            "type (the privacy guard's counts, from each run's run_start event).",
            ["entity"],
            registry=r,
        )
        self.review_parses = Counter(
            "llmcouncil_review_parse",
            "Stage-2 reviews read, by the final parse status (ok: a full ranking, partial: a "
            "trusted top k, failed: not counted) and whether the reviewer was asked again for "
            "its ranking (repaired: the repair turn was taken, whatever it gave).",
            ["status", "repaired"],
            registry=r,
        )
        self.votes = Counter(
            "llmcouncil_votes",
            "People's votes cast or changed, by what they said (prefer, rank, rating_up, "
            "rating_down, wrong); one vote may say several.",
            ["kind"],
            registry=r,
        )
        self.breaker_state = Gauge(
            "llmcouncil_circuit_breaker_state",
            "Circuit breaker per upstream model: 0 closed, 1 half-open, 2 open.",
            ["model"],
            multiprocess_mode="livemax",
            registry=r,
        )
        self.active_councils = Gauge(
            "llmcouncil_active_councils",
            "Councils running now.",
            multiprocess_mode="livesum",
            registry=r,
        )
        self.queued_councils = Gauge(
            "llmcouncil_queued_councils",
            "Councils waiting for a slot (queue depth).",
            multiprocess_mode="livesum",
            registry=r,
        )
        self.inflight_calls = Gauge(
            "llmcouncil_inflight_calls",
            "Upstream calls in flight.",
            multiprocess_mode="livesum",
            registry=r,
        )
        self.rejected_councils = Counter(
            "llmcouncil_rejected_councils",
            "Councils refused with 429 because the queue was full or the wait too long.",
            registry=r,
        )
        self.http_requests = Counter(
            "llmcouncil_http_requests",
            "HTTP requests by method, route template and status code.",
            ["method", "route", "status"],
            registry=r,
        )
        self.http_seconds = Histogram(
            "llmcouncil_http_request_duration_seconds",
            "HTTP request duration (a streamed response: until its last byte).",
            ["method", "route"],
            buckets=_HTTP_BUCKETS,
            registry=r,
        )

    def render(self) -> tuple[bytes, str]:
        """The exposition text for a scrape: this process, or every worker in multiprocess mode."""
        if multiprocess_dir() is None:
            return generate_latest(self.registry), CONTENT_TYPE_LATEST
        merged = CollectorRegistry()
        prometheus_multiprocess.MultiProcessCollector(merged)  # type: ignore[no-untyped-call]
        return generate_latest(merged), CONTENT_TYPE_LATEST


def check_multiprocess_dir() -> list[str]:
    """A configuration problem, if ``PROMETHEUS_MULTIPROC_DIR`` names no directory."""
    path = multiprocess_dir()
    if path is not None and not os.path.isdir(path):
        return [f"PROMETHEUS_MULTIPROC_DIR={path} is not a directory (create it, empty, first)"]
    return []


def mark_process_dead() -> None:
    """In multiprocess mode, stop counting this process's live gauges (call at shutdown)."""
    if multiprocess_dir() is not None:
        prometheus_multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]
