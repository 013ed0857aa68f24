"""``council analytics models|reviewers|agreement|costs|rebuild``: the analytics reports on the
database directly (as the operator: everyone's runs), as a table, ``--json`` or ``--csv``."""

from __future__ import annotations

import asyncio
import csv
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.table import Table

from llmcouncil.cli.common import ConfigOption, settings_from
from llmcouncil.errors import ValidationFailedError

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from llmcouncil.analytics.queries import AnalyticsFilter

analytics_app = typer.Typer(
    help="How every model judges and is judged, across runs.", no_args_is_help=True
)
_out = Console(highlight=False)
T = TypeVar("T")

Preset = Annotated[str | None, typer.Option("--preset")]
Model = Annotated[str | None, typer.Option("--model")]
Since = Annotated[str | None, typer.Option("--since", help="ISO date or time, inclusive")]
Until = Annotated[str | None, typer.Option("--until", help="ISO date or time, exclusive")]
User = Annotated[str | None, typer.Option("--user", help="A user's id")]
AsJson = Annotated[bool, typer.Option("--json")]
AsCsv = Annotated[bool, typer.Option("--csv")]


def _on_engine(config: ConfigOption, work: Callable[[AsyncEngine], Awaitable[T]]) -> T:
    from llmcouncil.store.database import create_engine, upgrade

    settings = settings_from(config)

    async def run() -> T:
        engine = create_engine(settings.database_url)
        try:
            await upgrade(engine)
            return await work(engine)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _moment(text: str | None, option: str) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValidationFailedError(f"{option}: not an ISO date or time: {text!r}") from exc
    return moment if moment.tzinfo else moment.astimezone()


def _filter(
    preset: str | None, model: str | None, since: str | None, until: str | None, user: str | None
) -> AnalyticsFilter:
    from llmcouncil.analytics.queries import AnalyticsFilter

    return AnalyticsFilter(
        preset=preset,
        model=model,
        since=_moment(since, "--since"),
        until=_moment(until, "--until"),
        user_id=user,
    )


def flatten(row: BaseModel) -> dict[str, Any]:
    """A report row as flat columns: an estimate becomes value, low, high, n and a
    small-sample mark."""
    flat: dict[str, Any] = {}
    for name, value in row.model_dump().items():
        _put(flat, name, value)
    return flat


def _put(flat: dict[str, Any], name: str, value: Any) -> None:
    if isinstance(value, dict) and {"value", "n", "small_sample"} <= set(value):
        flat[name] = value["value"]
        flat[f"{name}_low"] = value["ci_low"]
        flat[f"{name}_high"] = value["ci_high"]
        flat[f"{name}_n"] = value["n"]
        flat[f"{name}_small"] = value["small_sample"]
    elif isinstance(value, dict):
        for key, inner in value.items():
            _put(flat, f"{name}_{key}", inner)
    else:
        flat[name] = value


def _shown(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


def _cell(flat: dict[str, Any], name: str) -> str:
    value = _shown(flat.get(name))
    low, high = flat.get(f"{name}_low"), flat.get(f"{name}_high")
    if low is not None and high is not None:
        value += f" [{low:.2g}, {high:.2g}]"
    if f"{name}_n" in flat:
        value += f" n={flat[f'{name}_n']}" + ("*" if flat.get(f"{name}_small") else "")
    return value


def _emit(
    report: BaseModel,
    rows: list[BaseModel],
    columns: list[str],
    *,
    as_json: bool,
    as_csv: bool,
    title: str,
) -> None:
    if as_json:
        _out.print_json(report.model_dump_json())
        return
    flat = [flatten(row) for row in rows]
    if as_csv:
        names = list(dict.fromkeys(k for row in flat for k in row))
        writer = csv.DictWriter(sys.stdout, fieldnames=names)
        writer.writeheader()
        writer.writerows(flat)
        return
    table = Table(title=title)
    cells = [[_cell(row, c) for c in columns] for row in flat]
    for i, column in enumerate(columns):
        if i == 0:  # the model or preset a row is about is never cut, whatever the width
            widest = max((len(r[0]) for r in cells), default=len(column))
            table.add_column(column, no_wrap=True, min_width=max(widest, len(column)))
        else:
            table.add_column(column)
    for row_cells in cells:
        table.add_row(*row_cells)
    _out.print(table)
    _out.print("[n] sample size; * small sample (n < 20); [low, high] 95 % interval")


@analytics_app.command("models")
def models(
    preset: Preset = None,
    model: Model = None,
    since: Since = None,
    until: Until = None,
    user: User = None,
    as_json: AsJson = False,
    as_csv: AsCsv = False,
    config: ConfigOption = None,
) -> None:
    """Per model as answerer: strength from peers and from people, win and top rates."""
    from llmcouncil.analytics import service

    wanted = _filter(preset, model, since, until, user)
    report = _on_engine(config, lambda e: service.models(e, wanted))
    _emit(
        report,
        list(report.models),
        [
            "model",
            "answers",
            "strength",
            "length_controlled_strength",
            "human_strength",
            "win_rate",
            "top_rate",
        ],
        as_json=as_json,
        as_csv=as_csv,
        title=f"Models as answerers ({report.runs} runs; intervals: {report.interval_method})",
    )


@analytics_app.command("reviewers")
def reviewers(
    preset: Preset = None,
    model: Model = None,
    since: Since = None,
    until: Until = None,
    user: User = None,
    as_json: AsJson = False,
    as_csv: AsCsv = False,
    config: ConfigOption = None,
) -> None:
    """Per model as reviewer: position, self and length bias, agreement, parse failures."""
    from llmcouncil.analytics import service

    wanted = _filter(preset, model, since, until, user)
    report = _on_engine(config, lambda e: service.reviewers(e, wanted))
    _emit(
        report,
        list(report.reviewers),
        [
            "model",
            "reviews",
            "position_bias",
            "self_preference",
            "length_bias",
            "agreement",
            "parse_failure_rate",
            "parse_repair_rate",
        ],
        as_json=as_json,
        as_csv=as_csv,
        title=f"Models as reviewers ({report.runs} runs)",
    )


@analytics_app.command("agreement")
def agreement(
    preset: Preset = None,
    model: Model = None,
    since: Since = None,
    until: Until = None,
    user: User = None,
    as_json: AsJson = False,
    as_csv: AsCsv = False,
    config: ConfigOption = None,
) -> None:
    """People against the council, and which reviewers agree with people most."""
    from llmcouncil.analytics import service

    wanted = _filter(preset, model, since, until, user)
    report = _on_engine(config, lambda e: service.agreement(e, wanted))
    if not as_json:
        _out.print(
            f"council's top answer picked by people: "
            f"{_cell(flatten(report), 'council_top_picked')}",
            markup=False,
        )
    _emit(
        report,
        list(report.reviewers),
        ["model", "agrees_with_people", "weight"],
        as_json=as_json,
        as_csv=as_csv,
        title=f"Reviewers against people ({report.votes} votes)",
    )


@analytics_app.command("costs")
def costs(
    preset: Preset = None,
    model: Model = None,
    since: Since = None,
    until: Until = None,
    user: User = None,
    as_json: AsJson = False,
    as_csv: AsCsv = False,
    config: ConfigOption = None,
) -> None:
    """Calls, tokens, cost and latency per model and role."""
    from llmcouncil.analytics import service

    wanted = _filter(preset, model, since, until, user)
    report = _on_engine(config, lambda e: service.costs(e, wanted))
    _emit(
        report,
        list(report.by_model),
        [
            "model",
            "role",
            "calls",
            "failed",
            "prompt_tokens",
            "completion_tokens",
            "cost",
            "mean_latency_ms",
        ],
        as_json=as_json,
        as_csv=as_csv,
        title="Cost per model",
    )


@analytics_app.command("rebuild")
def rebuild(
    missing: Annotated[bool, typer.Option("--missing", help="Only runs without figures")] = False,
    config: ConfigOption = None,
) -> None:
    """Recompute the per-run figures of ended runs (for runs settled before analytics)."""
    from llmcouncil.analytics.recording import rebuild_figures
    from llmcouncil.store.repository import Store

    done = _on_engine(config, lambda e: rebuild_figures(Store(e), only_missing=missing))
    _out.print(f"figures written for {done} run(s)")
