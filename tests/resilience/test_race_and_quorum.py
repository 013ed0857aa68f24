"""Hedged races and quorum gathering with scripted coroutines (no network).

Who wins each race is decided by seconds (losers are cancelled, so slow ones cost nothing) or by
the loop's order (a token sent before the first wait), never by a few milliseconds a busy
machine could swallow.
"""

from __future__ import annotations

import asyncio

import pytest

from llmcouncil.errors import UpstreamServerError
from llmcouncil.resilience.hedging import PRIMARY, LatencyTracker, race
from llmcouncil.resilience.settings import HedgeSettings, StragglerSettings
from llmcouncil.resilience.stragglers import gather_with_quorum, grace_for, quorum_for


def racer(name: str, *, first_token: float, total: float, fail: bool = False):  # type: ignore[no-untyped-def]
    async def run(on_delta):  # type: ignore[no-untyped-def]
        await asyncio.sleep(first_token)
        if on_delta is not None:
            on_delta(f"{name}-1 ")
        await asyncio.sleep(total - first_token)
        if fail:
            raise UpstreamServerError(f"{name} failed", status=500)
        if on_delta is not None:
            on_delta(f"{name}-2")
        return name

    return run


async def test_a_fast_primary_never_starts_the_hedge() -> None:
    hedged: list[bool] = []
    result = await race(
        racer("p", first_token=0.01, total=0.02),
        [racer("h", first_token=0.01, total=0.02)],
        delay=5.0,
        forward=None,
        on_hedge=lambda _n: hedged.append(True),
    )
    assert (result.value, result.winner, result.hedged, hedged) == ("p", PRIMARY, False, [])


async def test_the_first_racer_to_stream_wins_and_only_its_text_is_forwarded() -> None:
    seen: list[str] = []
    result = await race(
        racer("p", first_token=5.0, total=5.1),
        [racer("h", first_token=0.01, total=0.05)],
        delay=0.02,
        forward=seen.append,
        on_hedge=lambda _n: None,
    )
    assert (result.value, result.winner, result.hedged) == ("h", 1, True)
    assert seen == ["h-1 ", "h-2"]


async def test_a_primary_that_streams_before_the_delay_is_not_hedged() -> None:
    # The primary's first token is sent on its first step, before the race can time out; its
    # answer comes well after the delay.
    result = await race(
        racer("p", first_token=0.0, total=0.3),
        [racer("h", first_token=0.01, total=0.02)],
        delay=0.05,
        forward=lambda _t: None,
        on_hedge=lambda _n: pytest.fail("hedged a streaming primary"),
    )
    assert result.value == "p" and not result.hedged


async def test_a_hedge_that_fails_leaves_the_race_to_the_primary() -> None:
    result = await race(
        racer("p", first_token=0.1, total=0.12),
        [racer("h", first_token=0.01, total=0.02, fail=True)],
        delay=0.02,
        forward=None,
        on_hedge=lambda _n: None,
    )
    assert (result.value, result.winner) == ("p", PRIMARY)


async def test_both_failing_raises_the_primarys_error() -> None:
    with pytest.raises(UpstreamServerError, match="p failed"):
        await race(
            racer("p", first_token=0.05, total=0.06, fail=True),
            [racer("h", first_token=0.01, total=0.02, fail=True)],
            delay=0.01,
            forward=None,
            on_hedge=lambda _n: None,
        )


async def test_a_second_hedge_starts_when_the_first_is_slow_too() -> None:
    started: list[int] = []
    seen: list[str] = []
    result = await race(
        racer("p", first_token=5.0, total=5.1),
        [racer("h1", first_token=5.0, total=5.1), racer("h2", first_token=0.01, total=0.03)],
        delay=0.03,
        forward=seen.append,
        on_hedge=started.append,
    )
    assert (result.value, result.winner, started) == ("h2", 2, [1, 2])
    assert seen == ["h2-1 ", "h2-2"]


def test_latency_percentiles_need_enough_samples() -> None:
    tracker = LatencyTracker(window=100)
    key = ("m", 1, True)
    settings = HedgeSettings(enabled=True, min_samples=10, percentile=0.9, min_delay=0.001)
    for ms in range(1, 10):
        tracker.observe(key, float(ms))
    assert tracker.hedge_delay(key, settings) is None
    tracker.observe(key, 100.0)
    assert tracker.percentile(key, 0.9, min_samples=10) == 100.0
    assert tracker.hedge_delay(key, settings) == pytest.approx(0.1)


def scripted(results: list[tuple[float, bool]]) -> list:  # type: ignore[type-arg]
    async def call(delay: float, ok: bool) -> tuple[float, bool]:
        await asyncio.sleep(delay)
        return (delay, ok)

    return [call(d, ok) for d, ok in results]


async def test_quorum_then_grace_cuts_the_straggler() -> None:
    policy = StragglerSettings(grace_factor=1.0, grace_min=0.0, grace_max=1.0)
    outcome = await gather_with_quorum(
        scripted([(0.02, True), (0.03, True), (0.04, True), (5.0, True)]),
        policy=policy,
        ok=lambda r: r[1],
    )
    assert [r is None for r in outcome.results] == [False, False, False, True]
    assert outcome.cut is not None and outcome.cut.quorum == 3
    assert [late.index for late in outcome.late] == [3]
    assert outcome.late[0].task.cancelled()


async def test_failures_lower_the_bar_but_never_below_one_answer() -> None:
    policy = StragglerSettings(grace_factor=0.0, grace_min=0.05, grace_max=0.05)
    outcome = await gather_with_quorum(
        scripted([(0.01, False), (0.01, False), (0.03, True), (5.0, True)]),
        policy=policy,
        ok=lambda r: r[1],
    )
    assert outcome.results[2] == (0.03, True) and outcome.results[3] is None


async def test_kept_late_calls_keep_running() -> None:
    policy = StragglerSettings(grace_factor=0.0, grace_min=0.01, grace_max=0.01, late="keep")
    answered = asyncio.Event()

    async def late_answer() -> tuple[float, bool]:
        await answered.wait()  # it answers only once the stage has closed without it
        return (0.3, True)

    outcome = await gather_with_quorum(
        [*scripted([(0.01, True), (0.01, True)]), late_answer()],
        policy=policy,
        ok=lambda r: r[1],
        keep_late=True,
    )
    assert outcome.results[2] is None
    answered.set()
    assert await outcome.late[0].task == (0.3, True)


def test_quorum_and_grace_arithmetic() -> None:
    assert [quorum_for(StragglerSettings(), n) for n in (1, 2, 3, 4, 5)] == [1, 2, 2, 3, 3]
    assert quorum_for(StragglerSettings(quorum=10), 4) == 4
    policy = StragglerSettings(grace_factor=0.5, grace_min=1, grace_max=3)
    assert [grace_for(policy, s) for s in (0.5, 4, 100)] == [1, 2, 3]
