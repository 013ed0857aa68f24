"""Retries of one model within one call, on stamina (a well-kept wrapper around tenacity).

stamina's backoff hook decides every retry here (``RetryBudget``), because the rules need what
only the error and the call know:

- retry 429, 5xx, timeouts, dropped connections and malformed replies (``ProviderError.retryable``);
  never 400/401/402/404, a local capacity timeout or an open circuit;
- wait with exponential backoff and *full* jitter: uniform in [0, min(max, initial·2^(n-1))]
  (stamina's own jitter is additive, which keeps synchronised clients synchronised);
- a 429's ``Retry-After`` is honoured as given (plus up to 10 % spread); one longer than
  ``max_retry_after`` moves on to the fallback at once instead of waiting;
- never sleep past the call's deadline: a retry that could not start in time is not made;
- stop when the model's circuit opened meanwhile;
- a retry the caller decides on by itself takes a token of the upstream's retry budget
  (``retry_allowance.py``); with none left the call moves on to its fallback.

A stream that fails after tokens were forwarded is restarted like any other attempt; the caller
tells listeners to discard the text so far first (the ``model_reset`` event).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import stamina

from llmcouncil.errors import ProviderError, RateLimitedError
from llmcouncil.resilience.policy import CallPolicy

T = TypeVar("T")

_RETRY_AFTER_SPREAD = 0.1
# A retry needs at least this much of the deadline left to be worth starting.
_MIN_ATTEMPT_SECONDS = 0.05


@dataclass(frozen=True, slots=True)
class RetryNotice:
    """A retry was scheduled: attempt ``attempt`` (2 = the first retry) in ``delay`` seconds."""

    model: str
    attempt: int
    delay: float
    error: ProviderError


def full_jitter(retry: int, *, initial: float, maximum: float, rng: random.Random) -> float:
    """Backoff before retry number ``retry`` (1-based)."""
    cap = min(maximum, initial * 2.0 ** min(retry - 1, 60))
    return rng.uniform(0.0, cap)


class RetryBudget:
    """The stamina backoff hook for one model within one call: retry or not, and after how long."""

    def __init__(
        self,
        *,
        model: str,
        policy: CallPolicy,
        deadline: float,
        stop: Callable[[], bool],
        on_retry: Callable[[RetryNotice], None] | None,
        rng: random.Random,
        allowance: Callable[[], bool] | None = None,
    ) -> None:
        """``allowance`` is asked for a token before a retry the caller decides on by itself
        (not one the upstream scheduled with Retry-After); False declines the retry."""
        self._model = model
        self._allowance = allowance
        self._policy = policy
        self._deadline = deadline
        self._stop = stop
        self._on_retry = on_retry
        self._rng = rng
        self.retries = 0
        self.gave_up: str | None = None  # why a retryable error was not retried

    def __call__(self, exc: Exception) -> bool | float:
        if not isinstance(exc, ProviderError) or not exc.retryable:
            return False
        if self._stop():
            self.gave_up = "the circuit opened"
            return False
        policy = self._policy
        if isinstance(exc, RateLimitedError) and exc.retry_after is not None:
            if exc.retry_after > policy.max_retry_after:
                self.gave_up = f"Retry-After {exc.retry_after:g} s is too long"
                return False
            delay = exc.retry_after * (1 + self._rng.uniform(0.0, _RETRY_AFTER_SPREAD))
            scheduled = True
        else:
            scheduled = False
            delay = full_jitter(
                self.retries + 1,
                initial=policy.backoff_initial,
                maximum=policy.backoff_max,
                rng=self._rng,
            )
        remaining = self._deadline - asyncio.get_running_loop().time()
        if delay + _MIN_ATTEMPT_SECONDS >= remaining:
            self.gave_up = f"no time left for a retry in {delay:.2f} s"
            return False
        if not scheduled and self._allowance is not None and not self._allowance():
            self.gave_up = f"the retry budget of {self._model} is spent"
            return False
        self.retries += 1
        if self._on_retry is not None:
            self._on_retry(
                RetryNotice(model=self._model, attempt=self.retries + 1, delay=delay, error=exc)
            )
        return float(delay)


async def with_retries(
    attempt: Callable[[int], Awaitable[T]], *, budget: RetryBudget, attempts: int
) -> T:
    """Run ``attempt(n)`` for n = 1, 2, … until it returns or ``budget`` declines a retry.

    The first attempt runs bare and stamina takes over only once a retry is due: most calls
    never fail, and setting up a retry loop per call is measurable on the fast path.
    """
    try:
        return await attempt(1)
    except Exception as exc:
        delay = budget(exc) if attempts > 1 else False
        if delay is False:
            raise
    await asyncio.sleep(float(delay))
    async for retry in stamina.retry_context(on=budget, attempts=attempts - 1, timeout=None):
        with retry:
            return await attempt(retry.num + 1)
    raise AssertionError("unreachable: stamina re-raises the last error")
