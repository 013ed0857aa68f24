"""Admission gate, rpm window and in-flight slots, without a server."""

from __future__ import annotations

import asyncio

import pytest

from llmcouncil.errors import CapacityTimeoutError, OverloadedError
from llmcouncil.resilience.limits import AdmissionGate, CallLimits, RpmWindow
from llmcouncil.resilience.settings import (
    CapacitySettings,
    ResilienceSettings,
    UpstreamLimitSettings,
)


async def test_the_gate_admits_queues_then_refuses_with_retry_after() -> None:
    gate = AdmissionGate(CapacitySettings(max_active_runs=1, max_queued_runs=1))
    await gate.enter()
    waiting = asyncio.create_task(gate.enter())
    await asyncio.sleep(0)
    assert gate.queued == 1
    with pytest.raises(OverloadedError) as refused:
        await gate.enter()
    assert refused.value.retry_after >= 1 and gate.rejected == 1
    gate.leave()  # handed to the waiter, not back to the pool
    await waiting
    assert gate.active == 1 and gate.queued == 0
    gate.leave()
    assert gate.active == 0


async def test_a_waiter_that_gives_up_does_not_lose_the_slot() -> None:
    gate = AdmissionGate(CapacitySettings(max_active_runs=1, max_queued_runs=2))
    await gate.enter()
    quitter = asyncio.create_task(gate.enter())
    stayer = asyncio.create_task(gate.enter())
    await asyncio.sleep(0)
    quitter.cancel()
    await asyncio.gather(quitter, return_exceptions=True)
    gate.leave()
    await stayer
    assert gate.active == 1 and gate.queued == 0


async def test_waiting_too_long_in_line_is_refused() -> None:
    gate = AdmissionGate(
        CapacitySettings(max_active_runs=1, max_queued_runs=1, max_queue_wait=0.05)
    )
    await gate.enter()
    with pytest.raises(OverloadedError, match="within 0.05 s"):
        await gate.enter()
    assert gate.queued == 0


def test_retry_after_grows_with_the_line_and_the_typical_run() -> None:
    gate = AdmissionGate(CapacitySettings(max_active_runs=2))
    for _ in range(30):
        gate.observe_run(40.0)
    assert 15 <= gate.retry_after() <= 25


def test_rpm_window_spaces_sends_a_minute_apart() -> None:
    window = RpmWindow(rpm=2)
    assert window.reserve(0.0, deadline=None) == 0.0
    assert window.reserve(1.0, deadline=None) == 0.0
    assert window.reserve(2.0, deadline=None) == 58.0  # the third waits for the first to age
    assert window.reserve(3.0, deadline=30.0) is None  # would pass its deadline: not reserved
    assert window.reserve(70.0, deadline=None) == 0.0


async def test_slots_per_upstream_bound_the_calls_and_time_out_at_the_deadline() -> None:
    limits = CallLimits(ResilienceSettings(upstreams={"up": UpstreamLimitSettings(max_inflight=1)}))
    loop = asyncio.get_running_loop()
    async with limits.slot("up", deadline=None):
        assert limits.in_flight == 1
        with pytest.raises(CapacityTimeoutError, match="in-flight slot of up"):
            async with limits.slot("up", deadline=loop.time() + 0.05):
                pass
        async with limits.slot("other", deadline=None):
            assert limits.stats()["in_flight"] == 2
    assert limits.in_flight == 0
