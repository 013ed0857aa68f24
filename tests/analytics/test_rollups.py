"""The roll-ups give the reports the figure rows give, on SQLite and PostgreSQL: each report is
computed both ways (``rollups.plan`` replaced by one that reads only figure rows) over a few
hundred generated runs, under filters whose time ranges start and end inside days and months;
again after runs are settled a second time (other figures, another month), after a figure row
is updated in place, after runs are deleted (their figures go by the cascade), and when the
figures were stored before the migration that made the roll-ups.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from pydantic import BaseModel
from sqlalchemy import Connection, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine
from test_both_databases import bench

from llmcouncil.analytics import rollups, service
from llmcouncil.analytics.figures import RunFigures
from llmcouncil.analytics.queries import AnalyticsFilter
from llmcouncil.analytics.recording import store_run_figures
from llmcouncil.analytics.tables import ANSWER_FIGURES, PAIR_FIGURES, REVIEW_FIGURES, RUN_FIGURES
from llmcouncil.store.database import MIGRATIONS, create_engine, upgrade
from llmcouncil.store.tables import RUNS

RUNS_MADE = 300
START = bench.START
FILTERS = {
    "everyone": AnalyticsFilter(),
    "one user": AnalyticsFilter(user_id=bench.USERS[4]),
    "preset": AnalyticsFilter(preset="deep"),
    "model": AnalyticsFilter(model=bench.MODELS[2]),
    "no such preset": AnalyticsFilter(preset=""),
    # Inside days at both ends, across whole months: figure rows, days, months, days, rows.
    "months": AnalyticsFilter(
        since=START + timedelta(days=20, hours=7, minutes=3),
        until=START + timedelta(days=250, hours=15),
    ),
    "days": AnalyticsFilter(
        preset="fast",
        since=START + timedelta(days=33, hours=1),
        until=START + timedelta(days=55, hours=23),
    ),
    "whole days": AnalyticsFilter(
        since=START + timedelta(days=3), until=START + timedelta(days=90)
    ),
    "within a day": AnalyticsFilter(
        since=START + timedelta(days=9, hours=2), until=START + timedelta(days=9, hours=20)
    ),
    "from": AnalyticsFilter(model=bench.MODELS[0], since=START + timedelta(days=301, hours=5)),
    "until": AnalyticsFilter(until=START + timedelta(days=61, hours=12)),
}
Report = Callable[[AsyncEngine, AnalyticsFilter], Awaitable[BaseModel]]
REPORTS: dict[str, Report] = {
    "models": service.models,
    "reviewers": service.reviewers,
    "agreement": service.agreement,
    "costs": service.costs,
}


@pytest.fixture
async def filled(database_url: str) -> AsyncIterator[tuple[AsyncEngine, dict[str, Any]]]:
    engine = create_engine(database_url)
    try:
        await upgrade(engine)
        tables = bench.generate(RUNS_MADE)
        await bench.fill(engine, tables)
        yield engine, tables
    finally:
        await engine.dispose()


def _figure_rows_only(wanted: AnalyticsFilter) -> list[rollups.Slice]:
    return [rollups.Slice("figures", wanted.since, wanted.until)]


def assert_close(got: Any, expected: Any, where: str = "") -> None:
    if isinstance(expected, float) and isinstance(got, float):
        assert got == pytest.approx(expected, rel=1e-9, abs=1e-9), where
    elif isinstance(expected, dict):
        assert isinstance(got, dict) and got.keys() == expected.keys(), where
        for key in expected:
            assert_close(got[key], expected[key], f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(got, list) and len(got) == len(expected), where
        for k, (a, b) in enumerate(zip(got, expected, strict=True)):
            assert_close(a, b, f"{where}[{k}]")
    else:
        assert got == expected, where


async def assert_both_ways(engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, wanted in FILTERS.items():
        from_rollups = {
            r: (await report(engine, wanted)).model_dump() for r, report in REPORTS.items()
        }
        with monkeypatch.context() as patched:
            patched.setattr(rollups, "plan", _figure_rows_only)
            for r, report in REPORTS.items():
                assert_close(
                    from_rollups[r], (await report(engine, wanted)).model_dump(), f"{name}/{r}"
                )


async def test_reports_from_rollups_equal_reports_from_figure_rows(
    filled: tuple[AsyncEngine, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, tables = filled
    models = await service.models(engine, AnalyticsFilter())
    assert models.runs == RUNS_MADE and len(models.models) == len(bench.MODELS)
    await assert_both_ways(engine, monkeypatch)


def _figures_of(tables: dict[str, Any], run_id: str, **changes: Any) -> RunFigures:
    def rows(name: str) -> list[dict[str, Any]]:
        return [{**r, **changes} for r in tables[name] if r["run_id"] == run_id]

    [run] = rows("run_figures")
    return RunFigures(
        run=run,
        answers=rows("answer_figures"),
        reviews=rows("review_figures"),
        pairs=rows("pair_figures"),
    )


async def _count(engine: AsyncEngine, table: Any, run_id: str) -> int:
    async with engine.connect() as connection:
        query = select(func.count()).select_from(table).where(table.c.run_id == run_id)
        return int((await connection.execute(query)).scalar_one())


async def test_a_run_settled_again_counts_once_with_its_new_figures(
    filled: tuple[AsyncEngine, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, tables = filled
    moved = [r["run_id"] for r in tables["run_figures"][10:16]]
    for run_id in moved:
        settled = next(r for r in tables["run_figures"] if r["run_id"] == run_id)["settled_at"]
        later = _figures_of(tables, run_id, settled_at=settled + timedelta(days=47, hours=5))
        for row in later.answers:
            row["wins"] = 6.0 - row["wins"]  # the council changed its mind
        for row in later.pairs:
            row["a_wins"], row["b_wins"] = row["b_wins"], row["a_wins"]
        await store_run_figures(engine, later)
        await store_run_figures(engine, later)  # settled once more with the same figures
        for table, name in (
            (RUN_FIGURES, "run_figures"),
            (ANSWER_FIGURES, "answer_figures"),
            (REVIEW_FIGURES, "review_figures"),
            (PAIR_FIGURES, "pair_figures"),
        ):
            assert await _count(engine, table, run_id) == sum(
                1 for r in tables[name] if r["run_id"] == run_id
            )
    assert (await service.models(engine, AnalyticsFilter())).runs == RUNS_MADE
    await assert_both_ways(engine, monkeypatch)


async def test_rows_updated_in_place_and_runs_deleted_leave_the_rollups(
    filled: tuple[AsyncEngine, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, tables = filled
    run_ids = [r["run_id"] for r in tables["run_figures"]]
    async with engine.begin() as connection:
        await connection.execute(
            update(RUN_FIGURES).where(RUN_FIGURES.c.run_id.in_(run_ids[40:60])).values(preset=None)
        )
        await connection.execute(
            update(ANSWER_FIGURES)
            .where(ANSWER_FIGURES.c.run_id.in_(run_ids[50:90]))
            .values(wins=ANSWER_FIGURES.c.wins + 0.5, cost=None)
        )
        await connection.execute(delete(RUNS).where(RUNS.c.id.in_(run_ids[100:130])))
    assert await _count(engine, ANSWER_FIGURES, run_ids[100]) == 0  # gone by the cascade
    assert (await service.costs(engine, AnalyticsFilter())).by_preset[0].preset is None
    assert (await service.models(engine, AnalyticsFilter())).runs == RUNS_MADE - 30
    await assert_both_ways(engine, monkeypatch)


def test_the_plan_cuts_a_range_into_figure_rows_days_and_months() -> None:
    wanted = FILTERS["months"]
    assert [(s.source, s.since, s.until) for s in rollups.plan(wanted)] == [
        ("figures", wanted.since, START + timedelta(days=21)),
        ("figures", START + timedelta(days=250), wanted.until),
        ("day", START + timedelta(days=21), START + timedelta(days=31)),
        ("month", START + timedelta(days=31), START + timedelta(days=243)),
        ("day", START + timedelta(days=243), START + timedelta(days=250)),
    ]
    assert [s.source for s in rollups.plan(AnalyticsFilter())] == ["month"]
    assert [s.source for s in rollups.plan(FILTERS["one user"])] == ["figures"]
    assert [s.source for s in rollups.plan(FILTERS["within a day"])] == ["figures"]
    last = AnalyticsFilter(since=datetime(9999, 12, 31, 1, tzinfo=UTC))
    assert [s.source for s in rollups.plan(last)] == ["figures"]


async def test_everyones_reports_are_read_from_the_rollups(
    filled: tuple[AsyncEngine, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, _ = filled
    async with engine.begin() as connection:
        await connection.execute(
            update(rollups.ANSWERS.table)
            .where(rollups.ANSWERS.table.c.period == "month")
            .values(wins=rollups.ANSWERS.table.c.wins + 1)
        )
    everyone = await service.models(engine, AnalyticsFilter())
    mine = await service.models(engine, FILTERS["one user"])
    with monkeypatch.context() as patched:
        patched.setattr(rollups, "plan", _figure_rows_only)
        rows = await service.models(engine, AnalyticsFilter())
        assert (await service.models(engine, FILTERS["one user"])) == mine
    for got, expected in zip(everyone.models, rows.models, strict=True):
        assert got.win_rate.value != pytest.approx(expected.win_rate.value)


async def test_the_migration_sums_the_figures_stored_before_it(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(
                lambda sync: command.upgrade(_alembic_config(sync), "0009_instances")
            )
        await bench.fill(engine, bench.generate(RUNS_MADE))  # no roll-ups, no triggers yet
        await upgrade(engine)
        assert (await service.models(engine, AnalyticsFilter())).runs == RUNS_MADE
        await assert_both_ways(engine, monkeypatch)
    finally:
        await engine.dispose()


def _alembic_config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


async def test_runs_settling_at_the_same_time_are_each_counted_once(
    filled: tuple[AsyncEngine, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, tables = filled
    extra = bench.generate(12, seed=5, first=RUNS_MADE)
    async with engine.begin() as connection:
        await connection.execute(insert(RUNS), extra["runs"])
    fresh = [_figures_of(extra, row["run_id"]) for row in extra["run_figures"]]
    again = [
        _figures_of(tables, row["run_id"], settled_at=START + timedelta(days=200))
        for row in tables["run_figures"][:12]
    ]
    await asyncio.gather(*(store_run_figures(engine, f) for f in [*fresh, *again, *fresh]))
    assert (await service.models(engine, AnalyticsFilter())).runs == RUNS_MADE + 12
    await assert_both_ways(engine, monkeypatch)
