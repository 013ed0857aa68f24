"""The councils running across instances, capped through the real Redis: two instances share
the cap, a place given back is free for either, a killed instance's places lapse after the
lease (a given clock, no waiting), renewed places do not, and Redis away never refuses."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from llmcouncil.errors import OverloadedError
from llmcouncil.resilience.cluster_capacity import UNSHARED, ClusterCapacity
from llmcouncil.resilience.limits import AdmissionGate
from llmcouncil.resilience.settings import CapacitySettings

REDIS = "redis://127.0.0.1:6379/0"
LEASE = 10.0


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def shared() -> AsyncIterator[tuple[Clock, list[ClusterCapacity]]]:
    """The cluster places of up to three instances on one key; removed afterwards."""
    clock, key = Clock(), f"llmcouncil:test:active-runs:{uuid.uuid4().hex}"
    made = [ClusterCapacity(REDIS, cap=2, lease=LEASE, key=key, clock=clock) for _ in range(3)]
    yield clock, made
    for capacity in made:
        await capacity.aclose()


def gate(cluster: ClusterCapacity) -> AdmissionGate:
    return AdmissionGate(CapacitySettings(max_active_runs=10), cluster=cluster)


async def test_two_instances_share_the_cap(shared: tuple[Clock, list[ClusterCapacity]]) -> None:
    _, (one, two, _) = shared
    a, b = gate(one), gate(two)
    async with a.slot() as first:
        first.hand_over()  # the run keeps it past the block, as a started council does
    async with b.slot():
        assert await one.running() == 2
        with pytest.raises(OverloadedError, match="2 councils are running across its instances"):
            async with a.slot():
                pass
        assert a.active == 1  # the refused council took no local slot either
    await two.flush()
    async with a.slot():  # b's place, given back, is free for a
        assert await two.running() == 2
    first.release()
    await one.flush()
    assert await one.running() == 0


async def test_a_killed_instance_s_places_lapse_and_renewed_ones_do_not(
    shared: tuple[Clock, list[ClusterCapacity]],
) -> None:
    clock, (killed, alive, third) = shared
    assert await killed.take() not in (None, UNSHARED)
    assert await alive.take() not in (None, UNSHARED)
    assert await third.take() is None  # full
    clock.now += LEASE * 0.8
    await alive.renew()  # its heartbeat: lapses at now + lease
    clock.now += LEASE * 0.3  # past the killed one's lapse, not the renewed one's
    assert await third.take() not in (None, UNSHARED)
    assert await killed.running() == 2
    assert await third.take() is None


async def test_redis_away_admits_on_the_instance_s_own_bounds() -> None:
    away = ClusterCapacity("redis://127.0.0.1:1/0", cap=1, lease=LEASE)
    try:
        admission = gate(away)
        async with admission.slot(), admission.slot():
            assert admission.active == 2
    finally:
        await away.aclose()
