"""The reports' SQL on SQLite and PostgreSQL: the same generated figures give the figures a
plain Python count of the same rows gives."""

from __future__ import annotations

import importlib.util
import sys
from collections import defaultdict
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from llmcouncil.analytics import service
from llmcouncil.analytics.queries import AnalyticsFilter
from llmcouncil.store.database import create_engine, upgrade

RUNS = 300


def _bench() -> Any:
    path = Path(__file__).parents[2] / "bench" / "analytics_scale.py"
    spec = importlib.util.spec_from_file_location("analytics_scale", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("analytics_scale", module)
    spec.loader.exec_module(module)
    return module


bench = _bench()


@pytest.fixture
async def filled(database_url: str) -> AsyncIterator[tuple[AsyncEngine, dict[str, Any]]]:
    engine = create_engine(database_url)
    try:
        await upgrade(engine)
        tables = bench.generate(RUNS)
        await bench.fill(engine, tables)
        yield engine, tables
    finally:
        await engine.dispose()


async def test_reports_count_what_was_stored(filled: tuple[AsyncEngine, dict[str, Any]]) -> None:
    engine, tables = filled
    models = await service.models(engine, AnalyticsFilter())
    assert models.runs == RUNS and models.interval_method == "bootstrap_runs"
    wins: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for row in tables["answer_figures"]:
        wins[row["model"]][0] += row["wins"]
        wins[row["model"]][1] += row["comparisons"]
    for row in models.models:
        assert row.win_rate.value == pytest.approx(wins[row.model][0] / wins[row.model][1])
        assert row.win_rate.n == wins[row.model][1]
    assert sum(r.strength.value or 0 for r in models.models) == pytest.approx(0, abs=1e-9)

    reviewers = await service.reviewers(engine, AnalyticsFilter())
    position: dict[str, list[float]] = defaultdict(list)
    for row in tables["review_figures"]:
        position[row["reviewer"]].append(row["position_rho"])
    for row in reviewers.reviewers:
        values = position[row.model]
        assert row.position_bias.n == len(values)
        assert row.position_bias.value == pytest.approx(sum(values) / len(values))

    user = bench.USERS[3]
    mine = await service.costs(engine, AnalyticsFilter(user_id=user))
    assert sum(p.runs for p in mine.by_preset) == sum(
        1 for r in tables["run_figures"] if r["user_id"] == user
    )
    agreement = await service.agreement(engine, AnalyticsFilter(preset="fast"))
    votes = [v for v in tables["run_votes"] if v["preset"] == "fast"]
    hits = sum(1 for v in votes if v["preferred_label"] == v["council_top_label"])
    assert agreement.votes == len(votes)
    assert agreement.council_top_picked.value == pytest.approx(hits / len(votes))
    assert [g.key for g in agreement.by_preset] == ["fast"]
