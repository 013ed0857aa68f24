"""``wait_until``: never early, waits end in deadline order, and the Linux timer is kept tidy.

How precise a wait is (on Linux well under the loop's millisecond) is a timing claim, measured
by ``bench/sim_clock.py``, not asserted here.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator

import pytest

from llmcouncil.sim import clock
from llmcouncil.sim.clock import close_timer, wait_until

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="timerfd is Linux's")


@pytest.fixture(autouse=True)
async def timer_given_back() -> AsyncIterator[None]:
    yield
    close_timer(asyncio.get_running_loop())


async def lateness_ms(*, precise: bool, waits: int = 30, delay: float = 0.0025) -> list[float]:
    loop = asyncio.get_running_loop()
    late = []
    for _ in range(waits):
        deadline = loop.time() + delay
        await wait_until(deadline, precise=precise)
        late.append((loop.time() - deadline) * 1000)
    return late


@pytest.mark.parametrize("precise", [False, True])
async def test_a_wait_never_ends_before_its_deadline(precise: bool) -> None:
    late = await lateness_ms(precise=precise, waits=10)
    assert min(late) >= 0


@pytest.mark.parametrize("precise", [False, True])
async def test_a_deadline_already_passed_returns_without_waiting(precise: bool) -> None:
    """It does not even yield to the loop: the coroutine finishes on its first step."""
    loop = asyncio.get_running_loop()
    waiting = wait_until(loop.time() - 1, precise=precise)
    with pytest.raises(StopIteration):
        waiting.send(None)


@linux_only
async def test_concurrent_waits_each_end_at_their_own_deadline() -> None:
    loop = asyncio.get_running_loop()
    start = loop.time()
    deadlines = [start + d for d in (0.12, 0.04, 0.08, 0.02, 0.10)]
    entered: dict[float, float] = {}
    ended: dict[float, float] = {}
    order: list[float] = []

    async def one(deadline: float) -> None:
        entered[deadline] = loop.time()
        await wait_until(deadline, precise=True)
        ended[deadline] = loop.time()
        order.append(deadline)

    await asyncio.gather(*(one(d) for d in deadlines))

    assert all(ended[d] >= d for d in deadlines)
    # However late a busy machine wakes the loop, the waits end in the order of their deadlines
    # (a wait whose deadline had already passed when it began returns at once, in its turn).
    waited = [d for d in order if entered[d] < d]
    assert waited == sorted(waited)


@linux_only
async def test_a_cancelled_wait_leaves_the_timer_working() -> None:
    loop = asyncio.get_running_loop()
    abandoned = asyncio.ensure_future(wait_until(loop.time() + 0.005, precise=True))
    await asyncio.sleep(0)
    abandoned.cancel()
    with pytest.raises(asyncio.CancelledError):
        await abandoned

    late = await lateness_ms(precise=True, waits=5)
    assert min(late) >= 0


@linux_only
async def test_closing_gives_the_timer_back_and_a_later_wait_makes_a_new_one() -> None:
    loop = asyncio.get_running_loop()
    await wait_until(loop.time() + 0.001, precise=True)
    first = clock._TIMERS.get(loop)
    assert first is not None

    close_timer(loop)
    assert loop not in clock._TIMERS
    await wait_until(loop.time() + 0.001, precise=True)
    assert clock._TIMERS.get(loop) not in (None, first)
