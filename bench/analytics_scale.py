"""Analytics at scale: each endpoint's report over 100,000 stored runs, on SQLite and PostgreSQL.

Generates the runs' figures directly (bulk inserts into the figure tables, plus one ``runs`` row
per run for the foreign keys): councils of 4 drawn from 6 models, 3 presets, 50 users, a year of
settle times, a vote on one run in ten; the database's triggers fill the roll-ups
(``analytics.rollups``) as the rows go in. Then times writing one more run's figures (as a run
settles, and again as a run settled a second time), and each report as an administrator (every
run; 91 days from mid-day to mid-day), as a member (their ~2,000 runs) and filtered by preset
and a 30-day window. Reports the median of ``--repeat`` calls, in milliseconds.

    python bench/analytics_scale.py                       # SQLite, 100,000 runs
    python bench/analytics_scale.py --postgres postgresql+asyncpg://postgres@127.0.0.1:5432/test
    python bench/analytics_scale.py --runs 20000 --repeat 5
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from llmcouncil.analytics import rollups, service
from llmcouncil.analytics.figures import RunFigures
from llmcouncil.analytics.queries import AnalyticsFilter
from llmcouncil.analytics.recording import store_run_figures
from llmcouncil.analytics.tables import ANSWER_FIGURES, PAIR_FIGURES, REVIEW_FIGURES, RUN_FIGURES
from llmcouncil.feedback.tables import VOTES
from llmcouncil.store.database import create_engine, upgrade
from llmcouncil.store.tables import CONVERSATIONS, MESSAGES, RUNS

MODELS = [f"provider/model-{i}" for i in range(6)]
PRESETS = ["default", "fast", "deep"]
USERS = [str(uuid.UUID(int=i + 1)) for i in range(50)]
LABELS = ["Response A", "Response B", "Response C", "Response D"]
START = datetime(2026, 1, 1, tzinfo=UTC)
CHUNK = 5000


def generate(count: int, *, seed: int = 7, first: int = 0) -> dict[str, list[dict[str, Any]]]:
    """``count`` runs' rows over a year, numbered from ``first``."""
    rng = random.Random(seed)
    quality = {m: rng.gauss(0, 0.6) for m in MODELS}
    tables: dict[str, list[dict[str, Any]]] = {
        "runs": [],
        "run_figures": [],
        "answer_figures": [],
        "review_figures": [],
        "pair_figures": [],
        "run_votes": [],
    }
    for n in range(first, first + count):
        run_id = str(uuid.UUID(int=n + 10**6))
        user = USERS[n % len(USERS)]
        preset = PRESETS[n % len(PRESETS)]
        settled = START + timedelta(seconds=(n - first) * 365 * 86400 / count)
        common = {"run_id": run_id, "user_id": user, "preset": preset, "settled_at": settled}
        members = rng.sample(MODELS, 4)
        lengths = [rng.randint(300, 3000) for _ in members]
        score = {m: quality[m] + rng.gauss(0, 1) for m in members}
        order = sorted(range(4), key=lambda k: -score[members[k]])
        winner = order[0]
        tables["runs"].append(
            {
                "id": run_id,
                "conversation_id": "bench",
                "message_id": "bench",
                "status": "complete",
                "seed": n,
                "council": {"preset": preset},
                "stages_done": 3,
                "attempts": 1,
                "simulated": True,
                "user_id": user,
                "created_at": settled,
                "finished_at": settled,
            }
        )
        tables["run_figures"].append(
            {
                **common,
                "status": "complete",
                "simulated": True,
                "answers": 4,
                "reviews": 4,
                "reviews_counted": 4,
                "chairman": members[0],
                "winner_label": LABELS[winner],
                "winner_model": members[winner],
                "no_clear_winner": rng.random() < 0.5,
                "kendall_w": rng.random(),
                "calls": 10,
                "prompt_tokens": 5000,
                "completion_tokens": 1100,
                "cost": 0.04,
                "duration_ms": 20000.0,
                "chair_ok": True,
                "chair_prompt_tokens": 1500,
                "chair_completion_tokens": 160,
                "chair_cost": 0.01,
                "chair_latency_ms": 4000.0,
            }
        )
        usage = {
            "ok": True,
            "prompt_tokens": 900,
            "completion_tokens": 110,
            "cost": 0.005,
            "latency_ms": 3000.0,
        }
        for k, model in enumerate(members):
            tables["answer_figures"].append(
                {
                    **common,
                    **usage,
                    "model": model,
                    "label": LABELS[k],
                    "length": lengths[k],
                    "wins": float(3 - order.index(k)) * 1.5,
                    "comparisons": 6,
                    "first_places": 3 if k == winner else 0,
                    "rankings": 3,
                    "won": k == winner,
                    "strength": rng.gauss(0, 1),
                }
            )
            tables["review_figures"].append(
                {
                    **common,
                    **usage,
                    "reviewer": model,
                    "configured_reviewer": model,
                    "parse_status": "ok" if rng.random() < 0.95 else "failed",
                    "repair_asked": rng.random() < 0.05,
                    "repair_ok": rng.random() < 0.03,
                    "counted": "full",
                    "answers": 4,
                    "top_label": LABELS[winner],
                    "top_model": members[winner],
                    "position_rho": rng.uniform(-1, 1),
                    "first_shown_top": rng.random() < 0.33,
                    "self_delta": rng.uniform(-1, 1),
                    "length_rho": rng.uniform(-1, 1),
                    "length_tau": rng.uniform(-1, 1),
                    "agreement_rho": rng.uniform(-1, 1),
                }
            )
        for i in range(4):
            for j in range(i + 1, 4):
                a, b = sorted((i, j), key=lambda k: members[k])
                a_wins = float(order.index(a) < order.index(b)) * 2
                tables["pair_figures"].append(
                    {
                        **common,
                        "model_a": members[a],
                        "model_b": members[b],
                        "a_wins": a_wins,
                        "b_wins": 2 - a_wins,
                        "length_bin": rng.randint(-12, 12),
                    }
                )
        if n % 10 == 0:
            pick = rng.randrange(4)
            tables["run_votes"].append(
                {
                    "id": str(uuid.uuid4()),
                    "run_id": run_id,
                    "conversation_id": "bench",
                    "voter": user,
                    "user_id": user,
                    "preferred_label": LABELS[pick],
                    "preferred_model": members[pick],
                    "ranking": None,
                    "blind": True,
                    "rating": rng.choice(["up", "down", None]),
                    "comment": None,
                    "council_wrong": False,
                    "seed": n,
                    "presentation_orders": {},
                    "label_to_model": dict(zip(LABELS, members, strict=True)),
                    "council_top_label": LABELS[winner],
                    "preset": preset,
                    "chairman": members[0],
                    "created_at": settled,
                    "updated_at": settled,
                }
            )
    return tables


async def fill(engine: AsyncEngine, tables: dict[str, list[dict[str, Any]]]) -> float:
    started = time.perf_counter()
    targets = {
        "runs": RUNS,
        "run_figures": RUN_FIGURES,
        "answer_figures": ANSWER_FIGURES,
        "review_figures": REVIEW_FIGURES,
        "pair_figures": PAIR_FIGURES,
        "run_votes": VOTES,
    }
    async with engine.begin() as connection:
        await connection.execute(
            insert(CONVERSATIONS).values(
                id="bench", title="bench", created_at=START, updated_at=START, source="api"
            )
        )
        await connection.execute(
            insert(MESSAGES).values(
                id="bench", conversation_id="bench", seq=0, content="", created_at=START
            )
        )
        for name, rows in tables.items():
            if name.endswith("_figures") and engine.dialect.name == "postgresql":
                # COPY: the roll-up triggers run once per table (a statement each) rather than
                # once per row, as an executemany of single-row INSERTs would make them.
                raw = await connection.get_raw_connection()
                columns = list(rows[0])
                await raw.driver_connection.copy_records_to_table(  # type: ignore[union-attr]
                    name, records=[tuple(row[c] for c in columns) for row in rows], columns=columns
                )
                continue
            for start in range(0, len(rows), CHUNK):
                await connection.execute(insert(targets[name]), rows[start : start + CHUNK])
    async with engine.begin() as connection:
        await connection.execute(text("ANALYZE"))
    return time.perf_counter() - started


async def rollup_rows(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        counts = [
            (await connection.execute(select(func.count()).select_from(r.table))).scalar_one()
            for r in rollups.ROLLUPS
        ]
    return int(sum(counts))


async def settle_cost(engine: AsyncEngine, runs: int, *, count: int = 30) -> tuple[float, float]:
    """Median ms to write one more run's figures (as a run settles), and to write them again
    (a run settled a second time: the old rows' sums out, the new ones' in)."""
    extra = generate(count, seed=11, first=runs)
    async with engine.begin() as connection:
        await connection.execute(insert(RUNS), extra["runs"])
    samples: dict[bool, list[float]] = {False: [], True: []}
    for again in (False, True):
        for row in extra["run_figures"]:
            run_id = row["run_id"]
            figures = RunFigures(
                run=row,
                answers=[r for r in extra["answer_figures"] if r["run_id"] == run_id],
                reviews=[r for r in extra["review_figures"] if r["run_id"] == run_id],
                pairs=[r for r in extra["pair_figures"] if r["run_id"] == run_id],
            )
            started = time.perf_counter()
            await store_run_figures(engine, figures)
            samples[again].append((time.perf_counter() - started) * 1000)
    return statistics.median(samples[False]), statistics.median(samples[True])


async def timed(call: Callable[[], Awaitable[object]], repeat: int) -> float:
    await call()  # warm the cache and the plans once
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


async def measure(url: str, runs: int, repeat: int) -> None:
    engine = create_engine(url)
    try:
        await upgrade(engine)
        tables = generate(runs)
        rows = sum(len(v) for v in tables.values())
        seconds = await fill(engine, tables)
        summed = await rollup_rows(engine)
        print(
            f"{make_url(url).get_backend_name()}: {runs} runs, {rows} figure rows "
            f"({summed} roll-up rows) in {seconds:.0f} s"
        )
        fresh, again = await settle_cost(engine, runs)
        print(
            f"one run's figures written (roll-ups by trigger): {fresh:.1f} ms, again {again:.1f} ms"
        )
        views = {
            "admin, all runs": AnalyticsFilter(),
            "admin, 91 days": AnalyticsFilter(
                since=START + timedelta(days=100, hours=6),
                until=START + timedelta(days=191, hours=6),
            ),
            "member (own runs)": AnalyticsFilter(user_id=USERS[0]),
            "preset + 30 days": AnalyticsFilter(
                preset="fast", since=START + timedelta(days=100), until=START + timedelta(days=130)
            ),
        }
        reports: dict[str, Callable[[AsyncEngine, AnalyticsFilter], Awaitable[object]]] = {
            "models": service.models,
            "reviewers": service.reviewers,
            "agreement": service.agreement,
            "costs": service.costs,
        }
        print(f"{'view':<20}" + "".join(f"{name:>12}" for name in reports))
        for view, wanted in views.items():
            cells = []
            for report in reports.values():
                ms = await timed(functools.partial(report, engine, wanted), repeat)
                cells.append(f"{ms:>9.0f} ms")
            print(f"{view:<20}" + "".join(cells))
    finally:
        await engine.dispose()


async def postgres_database(url: str) -> str:
    import asyncpg

    parsed = make_url(url)
    name = f"council_bench_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(
        host=parsed.host,
        port=parsed.port,
        user=parsed.username,
        password=parsed.password,
        database=parsed.database,
    )
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return parsed.set(database=name).render_as_string(hide_password=False)


async def drop_postgres(url: str, admin_url: str) -> None:
    import asyncpg

    parsed = make_url(admin_url)
    conn = await asyncpg.connect(
        host=parsed.host,
        port=parsed.port,
        user=parsed.username,
        password=parsed.password,
        database=parsed.database,
    )
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')
    finally:
        await conn.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--postgres", help="PostgreSQL server URL (a fresh database is made)")
    args = parser.parse_args()
    if args.postgres:
        url = await postgres_database(args.postgres)
        try:
            await measure(url, args.runs, args.repeat)
        finally:
            await drop_postgres(url, args.postgres)
        return
    with tempfile.TemporaryDirectory() as folder:
        await measure(f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}", args.runs, args.repeat)


if __name__ == "__main__":
    asyncio.run(main())
