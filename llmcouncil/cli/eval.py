"""``council eval DATASET``: the council against its members, select-best and Self-MoA.

Runs in-process on the same runtime as ``council ask`` (providers, resilience, privacy, the
gate's usage and audit records), with a progress bar (counts and ETA) on stderr. The state is
in the database, so an interrupted evaluation (Ctrl-C, a crash) continues with
``council eval --resume ID`` without repeating a finished call. ``DATASET`` is a .jsonl or .csv
file, or ``starter`` for the 40 questions shipped with the package.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.progress import Progress as Bar
from rich.table import Table

from llmcouncil.cli.common import ConfigOption, DemoOption, settings_from
from llmcouncil.config import Settings
from llmcouncil.errors import ValidationFailedError

if TYPE_CHECKING:
    from llmcouncil.evaluation import EvalItem, EvaluationPlan, Progress

_out = Console(highlight=False)
_err = Console(stderr=True, highlight=False)


def _names(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def eval_command(
    dataset: Annotated[
        str | None,
        typer.Argument(help="A .jsonl or .csv dataset, or 'starter' for the built-in one."),
    ] = None,
    config: ConfigOption = None,
    demo: DemoOption = False,
    preset: Annotated[str | None, typer.Option(help="The council preset to evaluate.")] = None,
    strategies: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated: council, select, self-moa (or any mode), members, "
            "member:<model>, chairman. The council is always included."
        ),
    ] = None,
    judges: Annotated[
        str | None,
        typer.Option(help="Comma-separated judge models (default: three of different families)."),
    ] = None,
    concurrency: Annotated[int, typer.Option(help="Calls in flight at once (1-64).")] = 4,
    reuse: Annotated[
        bool, typer.Option("--reuse", help="Reuse answers earlier evaluations already paid for.")
    ] = False,
    resume: Annotated[
        str | None, typer.Option(help="Continue an interrupted evaluation by its id.")
    ] = None,
    name: Annotated[str | None, typer.Option(help="A name for the report.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    html: Annotated[
        Path | None, typer.Option(help="Also write the report as a self-contained HTML file.")
    ] = None,
) -> None:
    """Evaluate the council against other strategies on a dataset, judged by a panel."""
    from llmcouncil.evaluation import EvaluationPlan
    from llmcouncil.evaluation.html import render_html
    from llmcouncil.evaluation.strategies import DEFAULT_STRATEGIES

    settings = settings_from(config, demo=demo or None)
    if resume is None and dataset is None:
        raise ValidationFailedError("give a DATASET (a file, or 'starter'), or --resume ID")
    items = None if resume else _items(str(dataset))
    plan = None
    if items is not None:
        plan = EvaluationPlan(
            name=name or (Path(str(dataset)).stem if dataset != "starter" else "starter"),
            items=items,
            strategies=_names(strategies) or list(DEFAULT_STRATEGIES),
            judges=_names(judges),
            preset=preset,
            concurrency=concurrency,
            reuse=reuse,
        )
    holder: dict[str, str] = {}
    try:
        report = asyncio.run(_evaluate(settings, plan=plan, resume=resume, holder=holder))
    except KeyboardInterrupt:
        if "id" in holder:
            _err.print(f"interrupted; continue with: council eval --resume {holder['id']}")
        raise typer.Exit(130) from None
    if html is not None:
        html.write_text(render_html(report), encoding="utf-8")
        _err.print(f"HTML report written to {html}")
    if as_json:
        _out.print_json(json.dumps(report))
    else:
        print_report(report)


def _items(dataset: str) -> list[EvalItem]:
    from llmcouncil.evaluation import load_dataset, starter_dataset

    if dataset == "starter":
        return starter_dataset()
    return load_dataset(Path(dataset))


async def _evaluate(
    settings: Settings, *, plan: EvaluationPlan | None, resume: str | None, holder: dict[str, str]
) -> dict[str, Any]:
    from llmcouncil.api.runtime import Runtime
    from llmcouncil.evaluation import EvalItem, EvaluationHarness, EvaluationStore

    runtime = await Runtime.start(settings)
    try:
        evaluations = EvaluationStore(runtime.engine)
        harness = EvaluationHarness(
            runs=runtime.runs,
            store=runtime.store,
            evaluations=evaluations,
            settings=settings,
            actor=None,
            simulated=runtime.demo,
        )
        if plan is not None:
            evaluation = await harness.create(plan)
        else:
            evaluation = await evaluations.get(str(resume))
        holder["id"] = evaluation.id
        if runtime.simulator is not None:
            _err.print("[yellow]demo mode: every answer and verdict is simulated[/]")
            from llmcouncil.evaluation.demo import demo_skills

            items = [EvalItem.from_dict(i) for i in evaluation.items]
            runtime.simulator.configure(
                runtime.simulator.config.model_copy(update={"skills": demo_skills(items)})
            )
        _err.print(f"evaluation {evaluation.id} ({len(evaluation.items)} questions)")
        with Bar(
            TextColumn("[bold]evaluating[/]"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("calls"),
            TextColumn("[red]{task.fields[failed]} failed[/]"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=_err,
            transient=True,
        ) as bar:
            task = bar.add_task("evaluating", total=None, failed=0)

            def show(progress: Progress) -> None:
                bar.update(
                    task, completed=progress.done, total=progress.total, failed=progress.failed
                )

            return await harness.run(evaluation.id, progress=show)
    finally:
        await runtime.stop()


def print_report(report: dict[str, Any]) -> None:
    meta = report["evaluation"]
    title = f"{report['baseline']} against each strategy — {meta['questions']} questions"
    if report.get("simulated"):
        title += " [yellow](SIMULATED)[/]"
    table = Table(title=title)
    for column in ("against", "win", "tie", "loss", "net [95% CI]"):
        table.add_column(column, justify="left" if column == "against" else "right")
    for c in report["comparisons"]:
        o = c["overall"]
        net = o["net"]
        table.add_row(
            c["strategy"],
            str(o["wins"]),
            str(o["ties"]),
            str(o["losses"]),
            f"{net['value']:+.2f} [{net['low']:+.2f}, {net['high']:+.2f}]",
        )
    _out.print(table)
    if len(meta.get("categories") or []) > 1:
        per = Table(title="net score by category")
        per.add_column("against")
        for category in meta["categories"]:
            per.add_column(category, justify="right")
        for c in report["comparisons"]:
            cells = [
                f"{c['by_category'][k]['net']['value']:+.2f}" if k in c["by_category"] else "—"
                for k in meta["categories"]
            ]
            per.add_row(c["strategy"], *cells)
        _out.print(per)
    costs = Table(title="cost, tokens and latency per strategy")
    for column in ("strategy", "answered", "calls", "tokens/question", "cost", "mean latency"):
        costs.add_column(column, justify="left" if column == "strategy" else "right")
    for r in report["strategies"]:
        mean = r["latency_ms"]["mean"]
        costs.add_row(
            r["strategy"],
            f"{r['answered']}/{r['answered'] + r['failed']}",
            str(r["calls"]),
            f"{r['tokens_per_question']:,.0f}",
            "—" if r["cost"] is None else f"${r['cost']:.4f}",
            "—" if mean is None else f"{mean / 1000:.2f}s",
        )
    _out.print(costs)
    judging = report["judging"]
    consistency = judging["position_consistency"]
    kappa = judging["agreement"]["fleiss_kappa"]
    _out.print(
        f"judges: {', '.join(meta['judges'])}; position consistency "
        f"{'—' if consistency is None else f'{consistency:.0%}'}; Fleiss' kappa "
        f"{'—' if kappa is None else f'{kappa:.2f}'}"
    )
    if report.get("simulated"):
        _out.print("[yellow]This report is simulated: no real model answered.[/]")
