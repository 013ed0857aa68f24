"""The retry decisions: what is retried, full-jitter bounds, Retry-After, the deadline."""

from __future__ import annotations

import asyncio
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from llmcouncil.errors import (
    BadRequestError,
    CapacityTimeoutError,
    CircuitOpenError,
    ModelNotFoundError,
    PaymentRequiredError,
    ProviderAuthError,
    ProviderError,
    RateLimitedError,
    UpstreamConnectionError,
    UpstreamServerError,
    UpstreamTimeoutError,
)
from llmcouncil.resilience.policy import CallPolicy
from llmcouncil.resilience.retry import RetryBudget, RetryNotice, full_jitter, with_retries

POLICY = CallPolicy(
    attempts=4,
    backoff_initial=0.01,
    backoff_max=0.04,
    max_retry_after=1.0,
    total_timeout=10,
    first_token_timeout=5,
    hedge=None,
)


def budget(
    *, deadline_in: float = 10.0, stop: bool = False
) -> tuple[RetryBudget, list[RetryNotice]]:
    notices: list[RetryNotice] = []
    loop = asyncio.get_running_loop()
    return (
        RetryBudget(
            model="m",
            policy=POLICY,
            deadline=loop.time() + deadline_in,
            stop=lambda: stop,
            on_retry=notices.append,
            rng=random.Random(1),
        ),
        notices,
    )


@given(st.integers(min_value=1, max_value=200), st.integers(min_value=0, max_value=2**32))
def test_full_jitter_stays_within_the_capped_exponential(retry: int, seed: int) -> None:
    delay = full_jitter(retry, initial=0.5, maximum=10.0, rng=random.Random(seed))
    assert 0.0 <= delay <= min(10.0, 0.5 * 2 ** (retry - 1))


@pytest.mark.parametrize(
    "error",
    [
        BadRequestError("x", status=400),
        ProviderAuthError("x", status=401),
        PaymentRequiredError("x", status=402),
        ModelNotFoundError("x", status=404),
        CircuitOpenError("x"),
        CapacityTimeoutError("x"),
        ProviderError("x"),
    ],
)
async def test_never_retried(error: ProviderError) -> None:
    decide, notices = budget()
    assert decide(error) is False and notices == []


@pytest.mark.parametrize(
    "error",
    [
        RateLimitedError("x"),
        UpstreamServerError("x", status=503),
        UpstreamTimeoutError("x"),
        UpstreamConnectionError("x"),
    ],
)
async def test_retried_with_a_jittered_backoff(error: ProviderError) -> None:
    decide, notices = budget()
    delay = decide(error)
    assert isinstance(delay, float) and 0 <= delay <= 0.01
    assert notices[0].attempt == 2 and notices[0].error is error


async def test_retry_after_is_honoured_and_a_long_one_declined() -> None:
    decide, _ = budget()
    delay = decide(RateLimitedError("x", retry_after=0.5))
    assert isinstance(delay, float) and 0.5 <= delay <= 0.55
    assert decide(RateLimitedError("x", retry_after=5)) is False
    assert decide.gave_up is not None and "Retry-After" in decide.gave_up


async def test_no_retry_that_would_start_past_the_deadline() -> None:
    decide, _ = budget(deadline_in=0.3)
    assert decide(RateLimitedError("x", retry_after=0.5)) is False
    assert decide.gave_up is not None and "no time left" in decide.gave_up


async def test_no_retry_once_the_circuit_opened() -> None:
    decide, _ = budget(stop=True)
    assert decide(UpstreamServerError("x")) is False


async def test_with_retries_runs_until_success_within_the_attempts() -> None:
    decide, notices = budget()
    seen: list[int] = []

    async def attempt(number: int) -> str:
        seen.append(number)
        if number < 3:
            raise UpstreamServerError("flaky", status=502)
        return "ok"

    assert await with_retries(attempt, budget=decide, attempts=4) == "ok"
    assert seen == [1, 2, 3] and decide.retries == 2 and len(notices) == 2


async def test_with_retries_reraises_the_last_error() -> None:
    decide, _ = budget()

    async def attempt(number: int) -> str:
        raise UpstreamServerError(f"down {number}", status=503)

    with pytest.raises(UpstreamServerError, match="down 4"):
        await with_retries(attempt, budget=decide, attempts=4)


async def test_cancellation_is_never_retried() -> None:
    decide, _ = budget()
    started = asyncio.Event()

    async def attempt(number: int) -> str:
        started.set()
        await asyncio.Event().wait()
        return "never"

    task = asyncio.create_task(with_retries(attempt, budget=decide, attempts=4))
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert decide.retries == 0
