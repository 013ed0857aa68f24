"""Budgets on SQLite and PostgreSQL: racing runs cannot overspend, settling moves reserved to
spent, soft budgets warn, defaults apply to everyone, and a crashed process's holds are freed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from llmcouncil.auth.ratelimit import MemoryRateLimiter
from llmcouncil.errors import BudgetExceededError
from llmcouncil.records import CallRecord, RunStatus, Usage
from llmcouncil.store.database import create_engine, upgrade
from llmcouncil.store.repository import Store
from llmcouncil.usage.budgets import period_bounds
from llmcouncil.usage.service import UsageService
from llmcouncil.usage.settings import UsageSettings

USER = "user-1"


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    await upgrade(engine)
    try:
        yield engine
    finally:
        await engine.dispose()


def service(engine: AsyncEngine, worker: str = "w1", **settings: object) -> UsageService:
    return UsageService(
        engine,
        settings=UsageSettings.model_validate(settings),
        limiter=MemoryRateLimiter(),
        worker_id=worker,
    )


async def finished_run(
    engine: AsyncEngine, *, user_id: str = USER, key_id: str | None = None, calls: list[CallRecord]
) -> str:
    store = Store(engine)
    conversation = await store.create_conversation(user_id=user_id)
    run, _ = await store.start_run(
        conversation_id=conversation.id,
        content="q",
        idempotency_key=None,
        council={"preset": "default"},
        seed=1,
        simulated=False,
        worker_id="w1",
        user_id=user_id,
        api_key_id=key_id,
    )
    await store.record_stage(run.id, stage=1, calls=calls)
    await store.finish_run(run.id, status=RunStatus.COMPLETE)
    return run.id


def call(model: str, prompt: int, completion: int, cost: float | None) -> CallRecord:
    return CallRecord(
        stage=1,
        model=model,
        ok=True,
        answered_by=model,
        usage=Usage(prompt, completion, prompt + completion, cost),
    )


def test_period_bounds() -> None:
    moment = datetime(2026, 2, 18, 15, 30, tzinfo=UTC)  # a Wednesday
    assert period_bounds("day", moment) == (
        datetime(2026, 2, 18, tzinfo=UTC),
        datetime(2026, 2, 19, tzinfo=UTC),
    )
    assert period_bounds("week", moment)[0] == datetime(2026, 2, 16, tzinfo=UTC)
    assert period_bounds("month", moment) == (
        datetime(2026, 2, 1, tzinfo=UTC),
        datetime(2026, 3, 1, tzinfo=UTC),
    )
    assert period_bounds("total", moment)[1] is None


async def test_racing_admissions_never_reserve_past_the_limit(engine: AsyncEngine) -> None:
    usage = service(engine, reserve_cost=0.3)
    await usage.set_budget(
        subject_type="user",
        subject_id=USER,
        period="month",
        limit_cost=1.0,
        limit_tokens=None,
        hard=True,
    )
    results = await asyncio.gather(
        *(usage.admit(user_id=USER, key_id=None) for _ in range(20)), return_exceptions=True
    )
    admitted = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, BudgetExceededError)]
    # Admitted while spent + reserved < 1.00: at 0.0, 0.3, 0.6 and 0.9.
    assert len(admitted) == 4 and len(refused) == 16
    assert "monthly budget is used up" in refused[0].message
    status = await usage.budget_status(user_id=USER, key_id=None)
    assert status[0]["reserved_cost"] == pytest.approx(1.2) and status[0]["exceeded"] is True
    for admission in admitted:
        await usage.release(admission)
    assert (await usage.budget_status(user_id=USER, key_id=None))[0]["reserved_cost"] == 0


async def test_settling_records_usage_and_frees_the_reservation(engine: AsyncEngine) -> None:
    usage = service(
        engine, reserve_cost=0.5, prices={"local/llama": {"prompt": 1.0, "completion": 2.0}}
    )
    await usage.set_budget(
        subject_type="user",
        subject_id=USER,
        period="day",
        limit_cost=1.0,
        limit_tokens=None,
        hard=True,
    )
    admission = await usage.admit(user_id=USER, key_id=None)
    run_id = await finished_run(
        engine,
        calls=[
            call("openai/gpt-5.1", 1000, 500, 0.4),  # the upstream's own cost
            call("local/llama", 1_000_000, 500_000, None),  # 1.0 + 1.0 from the price table
            call("mystery/model", 10, 10, None),  # no price: unknown, counted as 0
        ],
    )
    recorded = await usage.settle(run_id, admission=admission)
    assert [r.cost_source for r in recorded.records] == ["upstream", "price_table", "unknown"]
    assert recorded.cost == pytest.approx(2.4)
    again = await usage.settle(run_id, admission=None)  # idempotent: nothing twice
    assert again.records == []
    status = (await usage.budget_status(user_id=USER, key_id=None))[0]
    assert status["spent_cost"] == pytest.approx(2.4) and status["reserved_cost"] == 0
    with pytest.raises(BudgetExceededError, match="daily budget is used up"):
        await usage.admit(user_id=USER, key_id=None)
    by_model = await usage.summary(group_by="model")
    assert {r["id"]: r["cost"] for r in by_model} == pytest.approx(
        {"local/llama": 2.0, "openai/gpt-5.1": 0.4, "mystery/model": 0.0}
    )


async def test_soft_budgets_warn_and_tokens_count(engine: AsyncEngine) -> None:
    usage = service(engine)
    await usage.set_budget(
        subject_type="user",
        subject_id=USER,
        period="total",
        limit_cost=None,
        limit_tokens=100,
        hard=False,
    )
    assert (await usage.admit(user_id=USER, key_id=None)).warnings == []
    run_id = await finished_run(engine, calls=[call("m", 100, 50, 0.01)])
    await usage.settle(run_id, admission=None)
    admission = await usage.admit(user_id=USER, key_id=None)  # soft: still admitted
    assert admission.warnings == ["your total soft budget is exceeded: 150 of 100 tokens"]


async def test_defaults_apply_to_everyone_and_own_budgets_override(engine: AsyncEngine) -> None:
    usage = service(engine, reserve_cost=1.0)
    await usage.set_budget(
        subject_type="user",
        subject_id=None,
        period="month",
        limit_cost=0.5,
        limit_tokens=None,
        hard=True,
    )
    await usage.set_budget(
        subject_type="user",
        subject_id="rich",
        period="month",
        limit_cost=5.0,
        limit_tokens=None,
        hard=True,
    )
    await usage.admit(user_id="anyone", key_id=None)  # 0 < 0.5: admitted, holds 1.0
    with pytest.raises(BudgetExceededError):
        await usage.admit(user_id="anyone", key_id=None)
    for _ in range(5):
        await usage.admit(user_id="rich", key_id=None)
    with pytest.raises(BudgetExceededError):
        await usage.admit(user_id="rich", key_id=None)


async def test_key_budgets_and_budgets_created_mid_period(engine: AsyncEngine) -> None:
    usage = service(engine, reserve_cost=0.1)
    run_id = await finished_run(engine, key_id="key-1", calls=[call("m", 10, 10, 0.7)])
    await usage.settle(run_id, admission=None)  # spent before any budget existed
    await usage.set_budget(
        subject_type="key",
        subject_id="key-1",
        period="week",
        limit_cost=0.7,
        limit_tokens=None,
        hard=True,
    )
    with pytest.raises(BudgetExceededError, match="this API key's weekly budget"):
        await usage.admit(user_id=USER, key_id="key-1")
    await usage.admit(user_id=USER, key_id="key-2")  # another key of the same user


async def test_recovery_frees_what_a_stopped_process_held(engine: AsyncEngine) -> None:
    crashed = service(engine, worker="dead", reserve_cost=0.6)
    await crashed.set_budget(
        subject_type="user",
        subject_id=USER,
        period="day",
        limit_cost=1.0,
        limit_tokens=None,
        hard=True,
    )
    await crashed.admit(user_id=USER, key_id=None)
    await crashed.admit(user_id=USER, key_id=None)
    run_id = await finished_run(engine, calls=[call("m", 10, 10, 0.2)])  # never settled
    restarted = service(engine, worker="alive", reserve_cost=0.6)
    with pytest.raises(BudgetExceededError):
        await restarted.admit(user_id=USER, key_id=None)
    released, settled = await restarted.recover()
    assert (released, settled) == (2, 1)
    status = (await restarted.budget_status(user_id=USER, key_id=None))[0]
    assert status["reserved_cost"] == 0 and status["spent_cost"] == pytest.approx(0.2)
    await restarted.admit(user_id=USER, key_id=None)
    assert run_id
