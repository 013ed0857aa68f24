"""Roll-ups: the figure rows summed per day and per month (migration 0010_analytics_rollups).

Each ``*_figures`` table has a ``*_rollups`` table keyed by (period, bucket, preset, group key),
kept by database triggers in the figure rows' own transactions (the migration's docstring says
how), so a roll-up is always the sum of the figure rows present: a run settled again, rebuilt or
deleted with its conversation moves its sums with it.

A report asks ``totals`` for one roll-up's sums per (preset, group key) under a filter. Without a
user filter the time range is cut into whole months, whole days and at most two partial days:
months and days are read from the roll-up, the partial days from the figure rows. With a user
filter (a member's view, or an administrator's choice of one person) the figure rows are read
through their (user_id, settled_at) index: roll-ups hold no user. Either way the sums are those
one ``GROUP BY`` over the figure rows gives; ``MEASURES`` below are the migration's definitions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

from sqlalchemy import (
    BigInteger,
    Column,
    ColumnElement,
    Connection,
    Date,
    Float,
    Integer,
    String,
    Table,
    and_,
    func,
    literal_column,
    select,
    true,
)

from llmcouncil.analytics.queries import AnalyticsFilter
from llmcouncil.analytics.tables import ANSWER_FIGURES, PAIR_FIGURES, REVIEW_FIGURES, RUN_FIGURES
from llmcouncil.store.tables import Base

Kind = Literal["int", "float"]
Period = Literal["day", "month"]

_USAGE: tuple[tuple[str, Kind, str], ...] = (
    ("failed", "int", "CASE WHEN {r}.ok THEN 0 ELSE 1 END"),
    ("prompt_tokens", "int", "{r}.prompt_tokens"),
    ("completion_tokens", "int", "{r}.completion_tokens"),
    ("cost_sum", "float", "COALESCE({r}.cost, 0)"),
    ("cost_n", "int", "CASE WHEN {r}.cost IS NULL THEN 0 ELSE 1 END"),
    ("latency_sum", "float", "COALESCE({r}.latency_ms, 0)"),
    ("latency_n", "int", "CASE WHEN {r}.latency_ms IS NULL THEN 0 ELSE 1 END"),
)


def _moments(column: str) -> tuple[tuple[str, Kind, str], ...]:
    return (
        (f"{column}_n", "int", f"CASE WHEN {{r}}.{column} IS NULL THEN 0 ELSE 1 END"),
        (f"{column}_sum", "float", f"COALESCE({{r}}.{column}, 0)"),
        (f"{column}_sq", "float", f"COALESCE({{r}}.{column} * {{r}}.{column}, 0)"),
    )


@dataclass(frozen=True, slots=True)
class Rollup:
    """One roll-up: its figure table, its group keys and measures as SQL over a figure row."""

    figures: Table
    name: str
    keys: tuple[tuple[str, Any, str], ...]  # (column, type, SQL over the figure row {r})
    measures: tuple[tuple[str, Kind, str], ...]
    table: Table = field(init=False)

    def __post_init__(self) -> None:
        existing = Base.metadata.tables.get(self.name)
        table = existing if existing is not None else self._define()
        object.__setattr__(self, "table", table)

    def _define(self) -> Table:
        return Table(
            self.name,
            Base.metadata,
            Column("period", String(5), primary_key=True),
            Column("bucket", Date, primary_key=True),
            Column("preset", String(100), primary_key=True),
            *(Column(key, kind, primary_key=True) for key, kind, _ in self.keys),
            *(
                Column(
                    name,
                    BigInteger if kind == "int" else Float,
                    nullable=False,
                    server_default="0",
                )
                for name, kind, _ in self.measures
            ),
        )


RUNS = Rollup(
    figures=RUN_FIGURES,
    name="run_rollups",
    keys=(("chairman", String(300), "COALESCE({r}.chairman, '')"),),
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
)
ANSWERS = Rollup(
    figures=ANSWER_FIGURES,
    name="answer_rollups",
    keys=(("model", String(300), "{r}.model"),),
    measures=(
        ("rows", "int", "1"),
        ("wins", "float", "{r}.wins"),
        ("comparisons", "int", "{r}.comparisons"),
        ("won", "int", "CASE WHEN {r}.won THEN 1 ELSE 0 END"),
        ("first_places", "int", "{r}.first_places"),
        *_USAGE,
    ),
)
REVIEWS = Rollup(
    figures=REVIEW_FIGURES,
    name="review_rollups",
    keys=(("reviewer", String(300), "{r}.reviewer"),),
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
)
PAIRS = Rollup(
    figures=PAIR_FIGURES,
    name="pair_rollups",
    keys=(
        ("model_a", String(300), "{r}.model_a"),
        ("model_b", String(300), "{r}.model_b"),
        ("length_bin", Integer, "{r}.length_bin"),
    ),
    measures=(
        ("rows", "int", "1"),
        ("a_wins", "float", "{r}.a_wins"),
        ("b_wins", "float", "{r}.b_wins"),
    ),
)
ROLLUPS = (RUNS, ANSWERS, REVIEWS, PAIRS)


@dataclass(slots=True)
class Group:
    """One group's sums: ``preset`` None for runs without one, ``key`` the roll-up's keys."""

    preset: str | None
    key: tuple[Any, ...]
    sums: dict[str, float]


@dataclass(frozen=True, slots=True)
class Slice:
    """A part of the filtered time range: figure rows in [since, until) or buckets in it."""

    source: Literal["figures", "day", "month"]
    since: datetime | None
    until: datetime | None


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def _ceil_day(moment: datetime) -> datetime:
    start = _midnight(moment.date())
    return start if start == moment else start + timedelta(days=1)


def _ceil_month(moment: datetime) -> datetime:
    start = _midnight(moment.date().replace(day=1))
    if start == moment:
        return start
    return _midnight((moment.date().replace(day=28) + timedelta(days=4)).replace(day=1))


def _floor_month(moment: datetime) -> datetime:
    return _midnight(moment.date().replace(day=1))


def _before(a: datetime | None, b: datetime | None) -> bool:
    """a < b, None being -inf on the left and +inf on the right."""
    return a is None or b is None or a < b


def plan(wanted: AnalyticsFilter) -> list[Slice]:
    """The slices whose sums make the filtered range's (see the module docstring)."""
    since, until = _utc(wanted.since), _utc(wanted.until)
    if wanted.user_id is not None or wanted.preset == "":
        return [Slice("figures", since, until)]
    try:
        return _cut(since, until)
    except OverflowError:  # a bound in the last day of year 9999: no day after it
        return [Slice("figures", since, until)]


def _cut(since: datetime | None, until: datetime | None) -> list[Slice]:
    first_day = _ceil_day(since) if since is not None else None
    last_day = _midnight(until.date()) if until is not None else None
    if not _before(first_day, last_day):
        return [Slice("figures", since, until)]
    slices: list[Slice] = []
    if since is not None and first_day is not None and since < first_day:
        slices.append(Slice("figures", since, first_day))
    if until is not None and last_day is not None and last_day < until:
        slices.append(Slice("figures", last_day, until))
    first_month = _ceil_month(first_day) if first_day is not None else None
    last_month = _floor_month(last_day) if last_day is not None else None
    if not _before(first_month, last_month):
        return [*slices, Slice("day", first_day, last_day)]
    if first_day is not None and first_month is not None and first_day < first_month:
        slices.append(Slice("day", first_day, first_month))
    slices.append(Slice("month", first_month, last_month))
    if last_day is not None and last_month is not None and last_month < last_day:
        slices.append(Slice("day", last_month, last_day))
    return slices


def totals(
    connection: Connection,
    rollup: Rollup,
    wanted: AnalyticsFilter,
    *,
    model_key: str | None = None,
) -> list[Group]:
    """Sums per (preset, keys) of the filtered figure rows (``model_key``: the key the model
    filter applies to; None: it does not apply)."""
    found: dict[tuple[Any, ...], Group] = {}
    for part in plan(wanted):
        query = (
            _from_figures(rollup, wanted, part, model_key)
            if part.source == "figures"
            else _from_rollup(rollup, wanted, part, model_key)
        )
        for row in connection.execute(query):
            preset: str = row[0]
            keys = tuple(row[1 : 1 + len(rollup.keys)])
            values = row[1 + len(rollup.keys) :]
            group = found.get((preset, *keys))
            if group is None:
                group = found[(preset, *keys)] = Group(
                    preset=preset or None, key=keys, sums=dict.fromkeys(_names(rollup), 0.0)
                )
            for name, value in zip(_names(rollup), values, strict=True):
                group.sums[name] += float(value or 0)
    return [group for group in found.values() if group.sums["rows"] > 0]


def _names(rollup: Rollup) -> list[str]:
    return [name for name, _, _ in rollup.measures]


def _from_figures(
    rollup: Rollup, wanted: AnalyticsFilter, part: Slice, model_key: str | None
) -> Any:
    table = rollup.figures
    r = table.name
    preset: ColumnElement[Any] = literal_column(f"COALESCE({r}.preset, '')")
    keys: list[ColumnElement[Any]] = [literal_column(sql.format(r=r)) for _, _, sql in rollup.keys]
    narrowed = AnalyticsFilter(
        preset=wanted.preset, since=part.since, until=part.until, user_id=wanted.user_id
    )
    clauses: list[ColumnElement[bool]] = [narrowed.where(table)]
    if model_key is not None and wanted.model is not None:
        clauses.append(keys[_key_index(rollup, model_key)] == wanted.model)
    return (
        select(
            preset,
            *keys,
            *(func.sum(literal_column(sql.format(r=r))) for _, _, sql in rollup.measures),
        )
        .select_from(table)
        .where(and_(*clauses))
        .group_by(preset, *keys)
    )


def _from_rollup(
    rollup: Rollup, wanted: AnalyticsFilter, part: Slice, model_key: str | None
) -> Any:
    table = rollup.table
    columns = table.c
    clauses: list[ColumnElement[bool]] = [true(), columns.period == part.source]
    if part.since is not None:
        clauses.append(columns.bucket >= part.since.date())
    if part.until is not None:
        clauses.append(columns.bucket < part.until.date())
    if wanted.preset is not None:
        clauses.append(columns.preset == wanted.preset)
    if model_key is not None and wanted.model is not None:
        clauses.append(columns[model_key] == wanted.model)
    keys = [columns[key] for key, _, _ in rollup.keys]
    return (
        select(columns.preset, *keys, *(func.sum(columns[name]) for name in _names(rollup)))
        .where(and_(*clauses))
        .group_by(columns.preset, *keys)
    )


def _key_index(rollup: Rollup, key: str) -> int:
    return [name for name, _, _ in rollup.keys].index(key)


def summed(groups: list[Group], *, by: int | None = None) -> dict[Any, dict[str, float]]:
    """The groups' sums added up per key ``by`` (an index into ``key``; None: per preset)."""
    out: dict[Any, dict[str, float]] = {}
    for group in groups:
        name = group.preset if by is None else group.key[by]
        target = out.setdefault(name, dict.fromkeys(group.sums, 0.0))
        for measure, value in group.sums.items():
            target[measure] += value
    return out
