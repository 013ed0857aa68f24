"""``wait_until``: never early, and on Linux precise to well under the loop's millisecond."""

from __future__ import annotations

import asyncio
import statistics
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


async def test_a_deadline_already_passed_returns_at_once() -> None:
    loop = asyncio.get_running_loop()
    before = loop.time()
    await wait_until(before - 1, precise=True)
    assert loop.time() - before < 0.01


@linux_only
async def test_precise_waits_end_well_within_the_loops_millisecond() -> None:
    plain = statistics.median(await lateness_ms(precise=False))
    precise = statistics.median(await lateness_ms(precise=True))
    # epoll rounds the loop's timeouts up to whole milliseconds: a plain wait of 2.5 ms ends
    # about half a millisecond late; the timerfd wakes the loop at the deadline itself.
    # Medians, so a stall of a busy machine does not decide.
    assert precise < 0.3, (plain, precise)
    assert precise < plain


@linux_only
async def test_concurrent_waits_each_end_at_their_own_deadline() -> None:
    loop = asyncio.get_running_loop()
    start = loop.time()
    deadlines = [start + d for d in (0.012, 0.004, 0.008, 0.002, 0.010)]
    ended: dict[float, float] = {}

    async def one(deadline: float) -> None:
        await wait_until(deadline, precise=True)
        ended[deadline] = loop.time()

    await asyncio.gather(*(one(d) for d in deadlines))

    assert all(ended[d] >= d for d in deadlines)
    assert sorted(deadlines, key=lambda d: ended[d]) == sorted(deadlines)


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
