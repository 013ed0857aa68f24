"""/metrics after real councils: what a Prometheus scrape shows, as the scraper parses it."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from support import MEMBERS, LiveServer

from llmcouncil.errors import OverloadedError
from llmcouncil.observability.metrics import CouncilMetrics
from llmcouncil.observability.telemetry import ResilienceSampler
from llmcouncil.resilience.limits import AdmissionGate, CallLimits
from llmcouncil.resilience.settings import CapacitySettings, ResilienceSettings
from llmcouncil.sim import FaultSpec, SimServer

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(client: httpx.AsyncClient) -> Samples:
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples: Samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def total(samples: Samples, name: str, **labels: str) -> float:
    wanted = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and wanted <= ls)


async def ask(client: httpx.AsyncClient, question: str = "Why is the sky blue?") -> dict[str, Any]:
    body = {"model": "council", "messages": [{"role": "user", "content": question}]}
    response = await client.post("/v1/chat/completions", json=body)
    assert response.status_code == 200, response.text
    council: dict[str, Any] = response.json()["council"]
    return council


async def test_a_council_is_counted_timed_and_its_tokens_summed(
    client: httpx.AsyncClient,
) -> None:
    council = await ask(client)
    samples = await scrape(client)
    assert value(samples, "llmcouncil_councils_total", preset="default", outcome="complete") == 1
    for stage in ("answers", "reviews", "synthesis"):
        assert value(samples, "llmcouncil_stage_duration_seconds_count", stage=stage) == 1
    for member in MEMBERS:
        assert (
            value(
                samples,
                "llmcouncil_model_call_duration_seconds_count",
                model=member,
                stage="answers",
            )
            == 1
        )
        assert (
            value(
                samples, "llmcouncil_model_calls_total", model=member, stage="answers", outcome="ok"
            )
            == 1
        )
    calls = council["stage1"] + council["stage2"] + [council["stage3"]]
    assert total(samples, "llmcouncil_tokens_total", direction="input") == sum(
        c["usage"]["prompt_tokens"] for c in calls
    )
    assert total(samples, "llmcouncil_tokens_total", direction="output") == sum(
        c["usage"]["completion_tokens"] for c in calls
    )
    route = {"method": "POST", "route": "/v1/chat/completions", "status": "200"}
    assert value(samples, "llmcouncil_http_requests_total", **route) == 1
    assert value(samples, "llmcouncil_queued_councils") == 0
    assert value(samples, "llmcouncil_active_councils") == 0
    # A client that waits for the whole answer gets no tokens: no time to first token.
    ttft = "llmcouncil_council_time_to_first_token_seconds_count"
    assert value(samples, ttft, preset="default") == 0
    streamed = {
        "model": "council",
        "stream": True,
        "messages": [{"role": "user", "content": "And the sunset?"}],
    }
    async with client.stream("POST", "/v1/chat/completions", json=streamed) as response:
        assert response.status_code == 200
        await response.aread()
    assert value(await scrape(client), ttft, preset="default") == 1


async def test_retries_fallbacks_errors_and_breaker_state_by_model(
    make_settings: Any, start_server: Any, sim: SimServer
) -> None:
    live: LiveServer = await start_server(
        make_settings(
            preset={"fallbacks": {"x-ai/grok-4": ["openai/gpt-5-mini"]}},
            resilience={
                "retry": {"attempts": 2, "backoff_initial": 0.01, "backoff_max": 0.01},
                "breaker": {"consecutive_failures": 2},
            },
        )
    )
    sim.configure(
        sim.config.model_copy(
            update={
                "faults": {
                    "openai/gpt-5.1": [FaultSpec(status=503, times=1, prompt_kind="answer")],
                    "x-ai/grok-4": [FaultSpec(status=503)],
                }
            }
        )
    )
    async with httpx.AsyncClient(base_url=live.base_url, timeout=60) as client:
        await ask(client)
        samples = await scrape(client)
    assert (
        value(samples, "llmcouncil_retries_total", model="openai/gpt-5.1", kind="upstream_5xx") == 1
    )
    assert (
        value(
            samples, "llmcouncil_upstream_errors_total", model="openai/gpt-5.1", kind="upstream_5xx"
        )
        == 1
    )
    assert (
        value(
            samples, "llmcouncil_fallbacks_total", model="x-ai/grok-4", fallback="openai/gpt-5-mini"
        )
        >= 1
    )
    assert (
        value(samples, "llmcouncil_upstream_errors_total", model="x-ai/grok-4", kind="upstream_5xx")
        >= 2
    )
    assert (
        value(
            samples,
            "llmcouncil_model_calls_total",
            model="openai/gpt-5-mini",
            stage="answers",
            outcome="fallback",
        )
        == 1
    )
    assert value(samples, "llmcouncil_circuit_breaker_state", model="sim:x-ai/grok-4") == 2  # open
    assert value(samples, "llmcouncil_circuit_breaker_state", model="sim:openai/gpt-5.1") == 0


async def test_failed_councils_and_redactions_are_counted(
    client: httpx.AsyncClient, sim: SimServer
) -> None:
    await ask(client, "Mail me at jane.doe@example.com about it")
    sim.configure(
        sim.config.model_copy(
            update={"faults": {"*": [FaultSpec(status=401, prompt_kind="answer")]}}
        )
    )
    body = {"model": "council", "messages": [{"role": "user", "content": "Hi"}]}
    assert (await client.post("/v1/chat/completions", json=body)).status_code == 502
    samples = await scrape(client)
    assert value(samples, "llmcouncil_councils_total", preset="default", outcome="failed") == 1
    assert value(samples, "llmcouncil_redactions_total", entity="EMAIL_ADDRESS") == 1
    assert total(samples, "llmcouncil_upstream_errors_total", kind="auth") == len(MEMBERS)
    route = {"method": "POST", "route": "/v1/chat/completions", "status": "502"}
    assert value(samples, "llmcouncil_http_requests_total", **route) == 1


async def test_queue_depth_and_rejections_are_sampled_from_the_admission_gate() -> None:
    gate = AdmissionGate(CapacitySettings(max_active_runs=1, max_queued_runs=1))
    metrics = CouncilMetrics()

    class NoBreakers:
        async def views(self) -> list[Any]:
            return []

    sampler = ResilienceSampler(
        metrics,
        admission=gate,
        limits=CallLimits(ResilienceSettings()),
        breakers=NoBreakers(),
        interval=60,
    )
    await gate.enter()
    waiting = asyncio.create_task(gate.enter())
    await asyncio.sleep(0)  # it is in line now
    with pytest.raises(OverloadedError):
        await gate.enter()
    await sampler.sample()
    body = metrics.render()[0].decode()
    assert "llmcouncil_active_councils 1.0" in body
    assert "llmcouncil_queued_councils 1.0" in body
    assert "llmcouncil_rejected_councils_total 1.0" in body
    gate.leave()
    await waiting
    await sampler.sample()
    assert "llmcouncil_queued_councils 0.0" in metrics.render()[0].decode()
