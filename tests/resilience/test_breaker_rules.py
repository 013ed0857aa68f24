"""The breaker's transition rules, as pure functions of (record, rules, now)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from llmcouncil.resilience.breaker_store import (
    BreakerRecord,
    BreakerState,
    InMemoryBreakerStore,
    Verdict,
    admit,
    record_outcome,
    release,
    would_reject,
)
from llmcouncil.resilience.settings import BreakerSettings

RULES = BreakerSettings(
    consecutive_failures=3, failure_rate=0.5, window=10, min_calls=6, cooldown=5, probe_lease=20
)


def ticket(record: BreakerRecord, now: float = 0.0) -> int:
    return admit(record, RULES, now, force=False).ticket


def fail(record: BreakerRecord, now: float, *, probe: bool = False, sent: int = 0) -> None:
    sent = sent or ticket(record, now)
    record_outcome(
        record, RULES, now, failed=True, error="upstream_5xx: boom", probe=probe, ticket=sent
    )


def succeed(record: BreakerRecord, now: float, *, probe: bool = False, sent: int = 0) -> None:
    sent = sent or ticket(record, now)
    record_outcome(record, RULES, now, failed=False, error=None, probe=probe, ticket=sent)


def opened(now: float = 0.0) -> BreakerRecord:
    record = BreakerRecord(key="sim:m")
    for i in range(3):
        fail(record, now + i * 0.1)
    assert record.state is BreakerState.OPEN
    return record


def test_consecutive_failures_open_and_a_success_resets_the_count() -> None:
    record = BreakerRecord(key="sim:m")
    fail(record, 0)
    fail(record, 1)
    succeed(record, 2)
    fail(record, 3)
    fail(record, 4)
    assert record.state is BreakerState.CLOSED
    fail(record, 5)
    assert record.state is BreakerState.OPEN and record.opened_at == 5
    assert record.last_error == "upstream_5xx: boom" and record.times_opened == 1


def test_failure_rate_opens_only_with_enough_calls_in_the_window() -> None:
    record = BreakerRecord(key="sim:m")
    for t in range(5):  # fail, ok, fail, ok, fail: 3 of 5, below min_calls
        (fail if t % 2 == 0 else succeed)(record, t)
    assert record.state is BreakerState.CLOSED
    succeed(record, 5)
    fail(record, 6)  # 4 failures of 7 calls in the window
    assert record.state is BreakerState.OPEN


def test_old_outcomes_leave_the_window() -> None:
    record = BreakerRecord(key="sim:m")
    for t in range(4):
        fail(record, t * 0.1) if t % 2 == 0 else succeed(record, t * 0.1)
    succeed(record, 100)
    assert record.view().window_calls == 1 and record.view().window_failures == 0


def test_open_rejects_until_the_cooldown_then_exactly_one_probe() -> None:
    record = opened()
    assert admit(record, RULES, 1.0, force=False).verdict is Verdict.REJECT
    first = admit(record, RULES, 5.3, force=False)
    assert first.verdict is Verdict.PROBE and not first.forced
    assert record.state is BreakerState.HALF_OPEN
    assert admit(record, RULES, 5.4, force=False).verdict is Verdict.REJECT
    assert admit(record, RULES, 5.4, force=True).verdict is Verdict.REJECT  # one at a time


def test_probe_success_closes_and_failure_reopens() -> None:
    record = opened()
    probe = admit(record, RULES, 6, force=False).ticket
    succeed(record, 6.5, probe=True, sent=probe)
    assert record.state is BreakerState.CLOSED and record.view().window_calls == 0
    record = opened()
    probe = admit(record, RULES, 6, force=False).ticket
    fail(record, 6.5, probe=True, sent=probe)
    assert record.state is BreakerState.OPEN and record.opened_at == 6.5
    assert record.times_opened == 2


def test_a_cancelled_probe_lets_the_next_caller_probe() -> None:
    record = opened()
    probe = admit(record, RULES, 6, force=False).ticket
    release(record, probe, probe=True)
    assert admit(record, RULES, 6.1, force=False).verdict is Verdict.PROBE


def test_a_probe_whose_owner_vanished_expires_after_the_lease() -> None:
    record = opened()
    admit(record, RULES, 6, force=False)
    assert admit(record, RULES, 25, force=False).verdict is Verdict.REJECT
    assert admit(record, RULES, 26.5, force=False).verdict is Verdict.PROBE


def test_force_probes_before_the_cooldown() -> None:
    record = opened()
    assert would_reject(record.view(), RULES, 1.0)
    admission = admit(record, RULES, 1.0, force=True)
    assert admission.verdict is Verdict.PROBE and admission.forced


def test_a_burst_whose_failures_return_first_is_not_a_streak() -> None:
    """Twenty calls sent together; three fail at once, the rest succeed later: stay closed."""
    record = BreakerRecord(key="sim:m")
    sent = [ticket(record) for _ in range(20)]
    for t in (sent[3], sent[8], sent[16], sent[17], sent[19]):
        fail(record, 0.01, sent=t)
    assert record.state is BreakerState.CLOSED and record.consecutive_failures == 1
    for t in sent:
        if t not in (sent[3], sent[8], sent[16], sent[17], sent[19]):
            succeed(record, 0.5, sent=t)
    assert record.state is BreakerState.CLOSED


def test_failures_in_send_order_are_a_streak_even_if_earlier_calls_are_slow() -> None:
    record = BreakerRecord(key="sim:m")
    slow = ticket(record)
    for _ in range(3):
        fail(record, 1.0)
    assert record.state is BreakerState.OPEN  # the slow call sent first does not matter
    succeed(record, 2.0, sent=slow)


def test_cancelled_attempts_neither_count_nor_break_a_streak() -> None:
    record = BreakerRecord(key="sim:m")
    fail(record, 0)
    cancelled = ticket(record)
    release(record, cancelled, probe=False)
    fail(record, 1)
    fail(record, 2)
    assert record.state is BreakerState.OPEN


@given(st.lists(st.booleans(), max_size=60))
def test_the_window_counts_stay_consistent(outcomes: list[bool]) -> None:
    record = BreakerRecord(key="sim:m")
    for t, failed in enumerate(outcomes):
        sent = ticket(record, t * 0.5)
        if not sent:  # open: rejected, no attempt
            continue
        record_outcome(record, RULES, t * 0.5, failed=failed, error=None, probe=False, ticket=sent)
        view = record.view()
        assert 0 <= view.window_failures <= view.window_calls
        assert view.window_failures == sum(1 for _, f in record.outcomes if f)


async def test_the_in_memory_store_keeps_one_record_per_key() -> None:
    store = InMemoryBreakerStore()
    for _ in range(3):
        sent = (await store.admit("sim:a", RULES, now=1)).ticket
        await store.record("sim:a", RULES, now=1, failed=True, error="x", probe=False, ticket=sent)
    assert (await store.view("sim:a")).state is BreakerState.OPEN
    assert (await store.view("sim:b")).state is BreakerState.CLOSED
    assert {v.key for v in await store.views()} == {"sim:a"}
