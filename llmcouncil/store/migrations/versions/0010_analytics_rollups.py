"""analytics roll-ups: the per-run figures summed per day and per month, kept by the database

Revision ID: 0010_analytics_rollups
Revises: 0009_instances
Create Date: 2026-12-04

Each ``*_figures`` table gets a ``*_rollups`` table keyed by (period, bucket, preset, the report's
group key): ``period`` is ``day`` or ``month``, ``bucket`` the UTC date the period starts,
``preset`` the run's preset ('' for none). Its columns are sums (counts, sums, sums of squares,
pairwise wins) whose sums over buckets are what the reports' ``GROUP BY`` over the figure rows
returned, so a report over 100,000 runs reads a few thousand roll-up rows.

Triggers keep them: every insert, delete or update of a figure row (a run settled, settled again
after a retry, its figures rebuilt, its conversation deleted through the cascade) adds or
subtracts that row's part in the same transaction, so a roll-up is always the sum of the figure
rows present. PostgreSQL: statement-level triggers over the transition tables, one ordered
upsert per statement (rows locked in key order). SQLite: row triggers (one writer at a time).
Existing figures are summed into the new tables here.

The measures are written out here, frozen with this revision; ``analytics/rollups.py`` holds the
same definitions for the reports' reads of figure rows (a test checks both give the same
figures).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import sqlalchemy as sa
from alembic import op

revision = "0010_analytics_rollups"
down_revision = "0009_instances"
branch_labels = None
depends_on = None

_USAGE = (
    ("failed", "int", "CASE WHEN {r}.ok THEN 0 ELSE 1 END"),
    ("prompt_tokens", "int", "{r}.prompt_tokens"),
    ("completion_tokens", "int", "{r}.completion_tokens"),
    ("cost_sum", "float", "COALESCE({r}.cost, 0)"),
    ("cost_n", "int", "CASE WHEN {r}.cost IS NULL THEN 0 ELSE 1 END"),
    ("latency_sum", "float", "COALESCE({r}.latency_ms, 0)"),
    ("latency_n", "int", "CASE WHEN {r}.latency_ms IS NULL THEN 0 ELSE 1 END"),
)


def _moments(column: str) -> tuple[tuple[str, str, str], ...]:
    return (
        (f"{column}_n", "int", f"CASE WHEN {{r}}.{column} IS NULL THEN 0 ELSE 1 END"),
        (f"{column}_sum", "float", f"COALESCE({{r}}.{column}, 0)"),
        (f"{column}_sq", "float", f"COALESCE({{r}}.{column} * {{r}}.{column}, 0)"),
    )


class _Rollup(NamedTuple):
    name: str
    source: str
    keys: tuple[tuple[str, sa.types.TypeEngine[Any], str], ...]
    measures: tuple[tuple[str, str, str], ...]


ROLLUPS = (
    _Rollup(
        name="run_rollups",
        source="run_figures",
        keys=(("chairman", sa.String(300), "COALESCE({r}.chairman, '')"),),
        measures=(
            ("rows", "int", "1"),
            ("prompt_tokens", "int", "{r}.prompt_tokens"),
            ("completion_tokens", "int", "{r}.completion_tokens"),
            ("cost_sum", "float", "COALESCE({r}.cost, 0)"),
            ("cost_n", "int", "CASE WHEN {r}.cost IS NULL THEN 0 ELSE 1 END"),
            ("duration_sum", "float", "COALESCE({r}.duration_ms, 0)"),
            ("duration_n", "int", "CASE WHEN {r}.duration_ms IS NULL THEN 0 ELSE 1 END"),
            ("chair_failed", "int", "CASE WHEN {r}.chair_ok THEN 0 ELSE 1 END"),
            ("chair_prompt_tokens", "int", "{r}.chair_prompt_tokens"),
            ("chair_completion_tokens", "int", "{r}.chair_completion_tokens"),
            ("chair_cost_sum", "float", "COALESCE({r}.chair_cost, 0)"),
            ("chair_cost_n", "int", "CASE WHEN {r}.chair_cost IS NULL THEN 0 ELSE 1 END"),
            ("chair_latency_sum", "float", "COALESCE({r}.chair_latency_ms, 0)"),
            ("chair_latency_n", "int", "CASE WHEN {r}.chair_latency_ms IS NULL THEN 0 ELSE 1 END"),
        ),
    ),
    _Rollup(
        name="answer_rollups",
        source="answer_figures",
        keys=(("model", sa.String(300), "{r}.model"),),
        measures=(
            ("rows", "int", "1"),
            ("wins", "float", "{r}.wins"),
            ("comparisons", "int", "{r}.comparisons"),
            ("won", "int", "CASE WHEN {r}.won THEN 1 ELSE 0 END"),
            ("first_places", "int", "{r}.first_places"),
            *_USAGE,
        ),
    ),
    _Rollup(
        name="review_rollups",
        source="review_figures",
        keys=(("reviewer", sa.String(300), "{r}.reviewer"),),
        measures=(
            ("rows", "int", "1"),
            ("counted", "int", "CASE WHEN {r}.counted <> 'none' THEN 1 ELSE 0 END"),
            ("parse_ok", "int", "CASE WHEN {r}.parse_status = 'ok' THEN 1 ELSE 0 END"),
            ("parse_partial", "int", "CASE WHEN {r}.parse_status = 'partial' THEN 1 ELSE 0 END"),
            ("repairs", "int", "CASE WHEN {r}.repair_asked THEN 1 ELSE 0 END"),
            ("repaired", "int", "CASE WHEN {r}.repair_asked AND {r}.repair_ok THEN 1 ELSE 0 END"),
            ("first_n", "int", "CASE WHEN {r}.first_shown_top IS NULL THEN 0 ELSE 1 END"),
            ("first_top", "int", "CASE WHEN {r}.first_shown_top THEN 1 ELSE 0 END"),
            (
                "first_expected_sum",
                "float",
                "CASE WHEN {r}.first_shown_top IS NOT NULL AND {r}.answers > 1 "
                "THEN 1.0 / ({r}.answers - 1) ELSE 0 END",
            ),
            *_moments("position_rho"),
            *_moments("self_delta"),
            *_moments("length_rho"),
            *_moments("length_tau"),
            *_moments("agreement_rho"),
            *_USAGE,
        ),
    ),
    _Rollup(
        name="pair_rollups",
        source="pair_figures",
        keys=(
            ("model_a", sa.String(300), "{r}.model_a"),
            ("model_b", sa.String(300), "{r}.model_b"),
            ("length_bin", sa.Integer(), "{r}.length_bin"),
        ),
        measures=(
            ("rows", "int", "1"),
            ("a_wins", "float", "{r}.a_wins"),
            ("b_wins", "float", "{r}.b_wins"),
        ),
    ),
)

_BUCKETS = {
    "sqlite": {
        "day": "substr({r}.settled_at, 1, 10)",
        "month": "substr({r}.settled_at, 1, 7) || '-01'",
    },
    "postgresql": {
        "day": "CAST({r}.settled_at AT TIME ZONE 'UTC' AS DATE)",
        "month": "CAST(date_trunc('month', {r}.settled_at AT TIME ZONE 'UTC') AS DATE)",
    },
}
_PERIODS = ("day", "month")


def _columns(rollup: _Rollup) -> list[str]:
    return [
        "period",
        "bucket",
        "preset",
        *(k for k, _, _ in rollup.keys),
        *(m for m, _, _ in rollup.measures),
    ]


def _key_names(rollup: _Rollup) -> list[str]:
    return ["period", "bucket", "preset", *(k for k, _, _ in rollup.keys)]


def _parts(rollup: _Rollup, dialect: str, *, source: str, period: str, sign: str) -> str:
    """One row per figure row: its bucket, keys and signed measures."""
    r = "f"
    fields = [
        f"'{period}' AS period",
        f"{_BUCKETS[dialect][period].format(r=r)} AS bucket",
        f"COALESCE({r}.preset, '') AS preset",
        *(f"{sql.format(r=r)} AS {key}" for key, _, sql in rollup.keys),
        *(f"{sign}({sql.format(r=r)}) AS {m}" for m, _, sql in rollup.measures),
    ]
    return f"SELECT {', '.join(fields)} FROM {source} {r}"


def _summed(rollup: _Rollup, dialect: str, sources: tuple[tuple[str, str], ...]) -> str:
    """The parts of ``sources`` ((table, sign) pairs) summed per roll-up key, in key order."""
    parts = " UNION ALL ".join(
        _parts(rollup, dialect, source=source, period=period, sign=sign)
        for source, sign in sources
        for period in _PERIODS
    )
    keys = ", ".join(_key_names(rollup))
    sums = ", ".join(f"SUM({m}) AS {m}" for m, _, _ in rollup.measures)
    return f"SELECT {keys}, {sums} FROM ({parts}) parts GROUP BY {keys} ORDER BY {keys}"


def _create_table(rollup: _Rollup) -> None:
    op.create_table(
        rollup.name,
        sa.Column("period", sa.String(5), primary_key=True),
        sa.Column("bucket", sa.Date(), primary_key=True),
        sa.Column("preset", sa.String(100), primary_key=True),
        *(sa.Column(key, kind, primary_key=True) for key, kind, _ in rollup.keys),
        *(
            sa.Column(
                m,
                sa.BigInteger() if kind == "int" else sa.Float(),
                nullable=False,
                server_default="0",
            )
            for m, kind, _ in rollup.measures
        ),
    )


def _postgres_triggers(rollup: _Rollup) -> None:
    columns = ", ".join(_columns(rollup))
    keys = ", ".join(_key_names(rollup))
    added = ", ".join(f"{m} = {rollup.name}.{m} + EXCLUDED.{m}" for m, _, _ in rollup.measures)
    events = {
        "insert": ("REFERENCING NEW TABLE AS new_rows", (("new_rows", "+"),)),
        "delete": ("REFERENCING OLD TABLE AS old_rows", (("old_rows", "-"),)),
        "update": (
            "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
            (("new_rows", "+"), ("old_rows", "-")),
        ),
    }
    for event, (referencing, sources) in events.items():
        function = f"{rollup.source}_rollup_{event}"
        op.execute(
            f"CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"INSERT INTO {rollup.name} ({columns}) "
            f"{_summed(rollup, 'postgresql', sources)} "
            f"ON CONFLICT ({keys}) DO UPDATE SET {added}; "
            "RETURN NULL; END $$"
        )
        op.execute(
            f"CREATE TRIGGER {function} AFTER {event.upper()} ON {rollup.source} "
            f"{referencing} FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
        )


def _sqlite_steps(rollup: _Rollup, row: str, sign: str) -> str:
    steps = []
    for period in _PERIODS:
        values = [
            f"'{period}'",
            _BUCKETS["sqlite"][period].format(r=row),
            f"COALESCE({row}.preset, '')",
            *(sql.format(r=row) for _, _, sql in rollup.keys),
        ]
        match = " AND ".join(
            f"{name} = {value}" for name, value in zip(_key_names(rollup), values, strict=True)
        )
        changes = ", ".join(
            f"{m} = {m} {sign} ({sql.format(r=row)})" for m, _, sql in rollup.measures
        )
        if sign == "+":
            steps.append(
                f"INSERT OR IGNORE INTO {rollup.name} ({', '.join(_key_names(rollup))}) "
                f"VALUES ({', '.join(values)});"
            )
        steps.append(f"UPDATE {rollup.name} SET {changes} WHERE {match};")
    return " ".join(steps)


def _sqlite_triggers(rollup: _Rollup) -> None:
    bodies = {
        "insert": _sqlite_steps(rollup, "NEW", "+"),
        "delete": _sqlite_steps(rollup, "OLD", "-"),
        "update": _sqlite_steps(rollup, "OLD", "-") + " " + _sqlite_steps(rollup, "NEW", "+"),
    }
    for event, body in bodies.items():
        op.execute(
            f"CREATE TRIGGER {rollup.source}_rollup_{event} AFTER {event.upper()} "
            f"ON {rollup.source} FOR EACH ROW BEGIN {body} END"
        )


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for rollup in ROLLUPS:
        _create_table(rollup)
        op.execute(
            f"INSERT INTO {rollup.name} ({', '.join(_columns(rollup))}) "
            f"{_summed(rollup, dialect, ((rollup.source, '+'),))}"
        )
        if dialect == "postgresql":
            _postgres_triggers(rollup)
        else:
            _sqlite_triggers(rollup)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for rollup in ROLLUPS:
        for event in ("insert", "delete", "update"):
            name = f"{rollup.source}_rollup_{event}"
            if dialect == "postgresql":
                op.execute(f"DROP TRIGGER IF EXISTS {name} ON {rollup.source}")
                op.execute(f"DROP FUNCTION IF EXISTS {name}()")
            else:
                op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.drop_table(rollup.name)
