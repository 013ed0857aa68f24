"""Breakers on an injected clock: the cool-down passes when the test says so, not by sleeping.

The policy layer is driven directly (``ModelCaller``) against the simulated upstream over HTTP.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from resilience_support import GROK, LLAMA, calls_to, inject, quick_resilience

from llmcouncil.providers.base import ChatMessage
from llmcouncil.providers.registry import ProviderRegistry
from llmcouncil.resilience.calls import CallPlan, ModelCaller
from llmcouncil.resilience.settings import BreakerSettings, RetrySettings
from llmcouncil.sim import FaultSpec, SimServer


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def caller(make_settings: Any) -> AsyncIterator[tuple[ModelCaller, Clock]]:
    resilience = quick_resilience(
        retry=RetrySettings(attempts=1),
        breaker=BreakerSettings(consecutive_failures=2, cooldown=30),
    )
    settings = make_settings(resilience=resilience)
    registry = ProviderRegistry(settings)
    clock = Clock()
    try:
        yield ModelCaller(registry, settings, clock=clock), clock
    finally:
        await registry.aclose()


def plan(question: str) -> CallPlan:
    messages = (ChatMessage(role="user", content=question),)
    return CallPlan(stage=1, model=GROK, watched=True, messages=messages, fallbacks=(LLAMA,))


async def test_after_the_cooldown_one_probe_goes_out_and_the_rest_fall_back(
    caller: tuple[ModelCaller, Clock], sim: SimServer
) -> None:
    models, clock = caller
    inject(sim, {GROK: [FaultSpec(status=503)]})
    for question in ("one", "two"):
        assert (await models.call(plan(question))).answered_by == LLAMA
    sim.clear_requests()
    record = await models.call(plan("while open"))
    assert record.answered_by == LLAMA and calls_to(sim, GROK) == 0  # refused unsent
    # The cool-down passes on the clock; the probe hangs, so it stays in flight.
    clock.now += 31
    inject(sim, {GROK: [FaultSpec(hang=True)]})
    probe = asyncio.create_task(models.call(plan("the probe")))
    while calls_to(sim, GROK) == 0:
        await asyncio.sleep(0.01)
    others = await asyncio.gather(*(models.call(plan(f"meanwhile {i}")) for i in range(3)))
    assert [r.answered_by for r in others] == [LLAMA] * 3  # fell through, did not fail
    assert calls_to(sim, GROK) == 1  # exactly one probe
    probe.cancel()
    await asyncio.gather(probe, return_exceptions=True)
    # The cancelled probe gave its claim back: the next call probes, and closes the circuit.
    inject(sim, {})
    recovered = await models.call(plan("recovered"))
    assert recovered.ok and recovered.fallback_from is None
    _, key = models.kit.resolve(GROK)
    assert (await models.breakers.view(key)).state == "closed"


async def open_the_circuit(models: ModelCaller, sim: SimServer) -> str:
    """Two failures in a row open GROK's circuit; returns its breaker key."""
    inject(sim, {GROK: [FaultSpec(status=503)]})
    for question in ("one", "two"):
        assert (await models.call(plan(question))).answered_by == LLAMA
    _, key = models.kit.resolve(GROK)
    view = await models.breakers.view(key)
    assert view.state == "open" and view.times_opened == 1
    return key


async def test_no_call_is_sent_until_the_cooldown_has_passed_then_a_probe_closes_it(
    caller: tuple[ModelCaller, Clock], sim: SimServer
) -> None:
    models, clock = caller
    key = await open_the_circuit(models, sim)
    inject(sim, {})  # the upstream has recovered, but the breaker cannot know yet
    sim.clear_requests()
    clock.now += 29  # one second short of the 30 s cool-down
    assert models.breakers.retry_in(await models.breakers.view(key), GROK) == 1
    record = await models.call(plan("still cooling down"))
    assert record.answered_by == LLAMA and "circuit_open" in (record.fallback_reason or "")
    assert calls_to(sim, GROK) == 0

    clock.now += 1  # the cool-down has passed: one probe goes out, answers, and closes it
    record = await models.call(plan("probe"))
    assert record.answered_by == GROK and record.fallback_from is None
    assert calls_to(sim, GROK) == 1
    view = await models.breakers.view(key)
    assert view.state == "closed" and view.times_opened == 1


async def test_a_failed_probe_reopens_the_circuit_for_another_cooldown(
    caller: tuple[ModelCaller, Clock], sim: SimServer
) -> None:
    models, clock = caller
    key = await open_the_circuit(models, sim)
    sim.clear_requests()
    clock.now += 30
    record = await models.call(plan("probe that fails"))
    assert record.answered_by == LLAMA
    assert calls_to(sim, GROK) == 1  # exactly one probe, not a retry storm
    view = await models.breakers.view(key)
    assert view.state == "open" and view.times_opened == 2
    # The new cool-down counts from the failed probe.
    assert models.breakers.retry_in(view, GROK) == 30
    clock.now += 29.5
    await models.call(plan("inside the second cool-down"))
    assert calls_to(sim, GROK) == 1
