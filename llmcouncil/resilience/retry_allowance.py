"""The retry budget: a token bucket of retries per upstream model, shared by every call.

Retries help against random errors and hurt in a storm: with three attempts a call to an
upstream that fails every request sends it three requests, so an overloaded upstream sees its
load tripled just when it can least take it. Each call's first attempt to a model adds
``ratio`` tokens to that model's bucket (up to ``burst``, which it starts with); each retry the
caller decides on takes a whole one. With none left the call moves on to its fallback at once.
An upstream that fails everything therefore gets at most ``1 + ratio`` attempts per call on
average, while one that fails a third of its attempts needs fewer retries than it earns.

A retry the upstream scheduled itself (429 with Retry-After) takes no token: the wait is the
back-pressure it asked for, and the call's deadline and ``max_retry_after`` bound it.

Counting is per process, like the in-memory breakers; no clock is involved, so it is exact in
tests.
"""

from __future__ import annotations

from dataclasses import dataclass

from llmcouncil.resilience.settings import RetryBudgetSettings


@dataclass(slots=True)
class _Bucket:
    tokens: float
    spent: int = 0  # retries granted
    refused: int = 0  # retries declined for want of a token


class RetryAllowance:
    """Retry tokens per breaker key (``provider:model``)."""

    def __init__(self, settings: RetryBudgetSettings) -> None:
        self._settings = settings
        self._buckets: dict[str, _Bucket] = {}

    def _bucket(self, key: str) -> _Bucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(tokens=self._settings.burst)
        return bucket

    def called(self, key: str) -> None:
        """A call's first attempt to ``key``: it earns ``ratio`` retries for later."""
        if not self._settings.enabled:
            return
        bucket = self._bucket(key)
        bucket.tokens = min(self._settings.burst, bucket.tokens + self._settings.ratio)

    def take(self, key: str) -> bool:
        """Spend a token for one retry of ``key``; False when there is none left."""
        if not self._settings.enabled:
            return True
        bucket = self._bucket(key)
        if bucket.tokens < 1.0:
            bucket.refused += 1
            return False
        bucket.tokens -= 1.0
        bucket.spent += 1
        return True

    def tokens(self, key: str) -> float:
        return self._bucket(key).tokens if self._settings.enabled else float("inf")

    def counts(self) -> dict[str, tuple[int, int]]:
        """(retries granted, retries refused) per key, for logs and the benchmark."""
        return {key: (b.spent, b.refused) for key, b in self._buckets.items()}
