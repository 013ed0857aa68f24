"""The retry budget: a token bucket per upstream model; Retry-After waits take no token."""

from __future__ import annotations

import asyncio
import random

from llmcouncil.errors import RateLimitedError, UpstreamServerError
from llmcouncil.resilience.policy import CallPolicy
from llmcouncil.resilience.retry import RetryBudget
from llmcouncil.resilience.retry_allowance import RetryAllowance
from llmcouncil.resilience.settings import RetryBudgetSettings

POLICY = CallPolicy(
    attempts=3,
    backoff_initial=0.01,
    backoff_max=0.02,
    max_retry_after=1.0,
    total_timeout=10,
    first_token_timeout=5,
    hedge=None,
)


def test_a_bucket_starts_full_and_each_call_earns_its_ratio() -> None:
    allowance = RetryAllowance(RetryBudgetSettings(ratio=0.5, burst=2))
    assert [allowance.take("sim:a") for _ in range(3)] == [True, True, False]
    allowance.called("sim:a")
    assert allowance.take("sim:a") is False  # half a token is not a retry
    allowance.called("sim:a")
    assert allowance.take("sim:a") is True
    assert allowance.take("sim:b") is True  # every upstream has its own bucket
    assert allowance.counts()["sim:a"] == (3, 2)


def test_a_bucket_never_holds_more_than_its_burst() -> None:
    allowance = RetryAllowance(RetryBudgetSettings(ratio=1.0, burst=3))
    for _ in range(100):
        allowance.called("sim:a")
    assert allowance.tokens("sim:a") == 3


def test_a_down_upstream_gets_one_plus_ratio_attempts_per_call() -> None:
    """Every attempt fails: after the burst is spent, retries are what the calls earned."""
    allowance = RetryAllowance(RetryBudgetSettings(ratio=0.5, burst=5))
    calls, attempts = 200, 0
    for _ in range(calls):
        allowance.called("sim:a")
        attempts += 1
        for _retry in range(POLICY.attempts - 1):
            if not allowance.take("sim:a"):
                break
            attempts += 1
    assert attempts <= calls * 1.5 + 5


async def test_a_spent_budget_declines_a_retry_but_not_a_scheduled_one() -> None:
    allowance = RetryAllowance(RetryBudgetSettings(ratio=0.5, burst=1))
    loop = asyncio.get_running_loop()
    decide = RetryBudget(
        model="m",
        policy=POLICY,
        deadline=loop.time() + 10,
        stop=lambda: False,
        on_retry=None,
        rng=random.Random(1),
        allowance=lambda: allowance.take("sim:m"),
    )
    assert isinstance(decide(UpstreamServerError("x", status=503)), float)
    assert decide(UpstreamServerError("x", status=503)) is False
    assert decide.gave_up == "the retry budget of m is spent"
    # The upstream asked for the wait itself: honoured without a token.
    assert isinstance(decide(RateLimitedError("x", retry_after=0.1)), float)
    # A 429 without Retry-After is a retry the caller decides on: it needs one.
    assert decide(RateLimitedError("x")) is False


def test_a_disabled_budget_always_allows() -> None:
    allowance = RetryAllowance(RetryBudgetSettings(enabled=False, burst=1))
    assert all(allowance.take("sim:a") for _ in range(10))
