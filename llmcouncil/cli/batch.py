"""``council batch FILE``: many questions to one council, as a batch, with a progress bar.

``FILE`` is read like an evaluation's dataset: JSON Lines (``{"question": ...}`` a line) or
CSV with a ``question`` column; other fields are ignored. The batch is the same as one
submitted by ``POST /api/batches``: without Redis it runs in this process; with Redis it goes
to the ``council worker`` processes and this command watches it. Ctrl-C leaves it resumable:
``council batch --resume ID`` (or any server's next start) takes it up again, repeating no
finished question.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
from rich.progress import Progress as Bar
from rich.table import Table

from llmcouncil.cli.common import ConfigOption, DemoOption, settings_from
from llmcouncil.config import Settings
from llmcouncil.errors import ValidationFailedError
from llmcouncil.presets.settings import ModeName

if TYPE_CHECKING:
    from llmcouncil.batches.repository import Batch, BatchItem
    from llmcouncil.batches.service import BatchPlan, BatchService

_out = Console(highlight=False)
_err = Console(stderr=True, highlight=False, soft_wrap=True)
WATCH_SECONDS = 0.5


def batch_command(
    file: Annotated[Path | None, typer.Argument(help="A .jsonl or .csv file of questions.")] = None,
    config: ConfigOption = None,
    demo: DemoOption = False,
    preset: Annotated[str | None, typer.Option(help="The council preset.")] = None,
    mode: Annotated[ModeName | None, typer.Option(help="In place of the preset's mode.")] = None,
    concurrency: Annotated[int, typer.Option(help="Questions at once (1-16).")] = 2,
    name: Annotated[str | None, typer.Option(help="A name for the batch.")] = None,
    resume: Annotated[str | None, typer.Option(help="Continue a batch by its id.")] = None,
    out: Annotated[
        Path | None, typer.Option(help="Also write the results to a .csv or .jsonl file.")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the results as JSON Lines.")
    ] = False,
) -> None:
    """Ask the council every question of FILE, as one batch, and print the answers."""
    from llmcouncil.batches.export import item_row, render
    from llmcouncil.batches.service import BatchPlan
    from llmcouncil.evaluation.dataset import load_dataset

    settings = settings_from(config, demo=demo or None)
    if (file is None) == (resume is None):
        raise ValidationFailedError("give a FILE of questions, or --resume ID")
    if out is not None and out.suffix not in (".csv", ".jsonl"):
        raise ValidationFailedError(f"--out {out}: give a .csv or .jsonl file")
    plan = None
    if file is not None:
        plan = BatchPlan(
            questions=[item.question for item in load_dataset(file)],
            name=name or file.stem,
            preset=preset,
            mode=mode,
            concurrency=concurrency,
        )
    holder: dict[str, str] = {}
    try:
        batch, items = asyncio.run(_batch(settings, plan=plan, resume=resume, holder=holder))
    except KeyboardInterrupt:
        if "id" in holder:
            _err.print(f"interrupted; continue with: council batch --resume {holder['id']}")
        raise typer.Exit(130) from None
    if out is not None:
        out.write_text(render(items, out.suffix[1:]), encoding="utf-8")
        _err.print(f"results written to {out}")
    if as_json:
        for item in items:
            _out.out(json.dumps(item_row(item), ensure_ascii=False), highlight=False)
    else:
        _print(batch, items)
    if batch.status != "complete":
        raise typer.Exit(1)


async def _batch(
    settings: Settings, *, plan: BatchPlan | None, resume: str | None, holder: dict[str, str]
) -> tuple[Batch, list[BatchItem]]:
    from llmcouncil.api.runtime import Runtime
    from llmcouncil.batches.service import KIND, BatchService

    runtime = await Runtime.start(settings)
    service = BatchService(runs=runtime.runs, store=runtime.store, settings=settings)
    try:
        if plan is not None:
            batch = await service.submit(plan, actor=None)
        else:
            batch = await service.batches.get(str(resume))
            await service.queue.enqueue(KIND, batch.id)
        holder["id"] = batch.id
        where = "workers (Redis)" if service.queue.engine == "redis" else "this process"
        _err.print(f"batch {batch.id}: {batch.total} questions, run by {where}")
        batch = await _watch(service, batch)
        return batch, await service.items(batch)
    finally:
        await service.aclose()
        await runtime.stop()


async def _watch(service: BatchService, batch: Batch) -> Batch:
    from llmcouncil.batches.repository import ACTIVE

    with Bar(
        TextColumn("[bold]asking[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("[red]{task.fields[failed]} failed[/]"),
        TimeElapsedColumn(),
        console=_err,
        transient=True,
    ) as bar:
        task = bar.add_task("asking", total=batch.total, failed=0)
        while True:
            counts = (await service.counts([batch]))[batch.id]
            ended = counts["done"] + counts["failed"] + counts["skipped"]
            bar.update(task, completed=ended, failed=counts["failed"])
            if batch.status not in ACTIVE:
                return batch
            await service.wait(batch.id, timeout=WATCH_SECONDS)
            batch = await service.batches.get(batch.id)


def _print(batch: Batch, items: list[BatchItem]) -> None:
    table = Table(title=f"batch {batch.id}: {batch.status}", show_lines=True)
    table.add_column("#", justify="right")
    table.add_column("question")
    table.add_column("status")
    table.add_column("answer")
    for item in items:
        answer = item.answer if item.answer is not None else (item.error or "")
        table.add_row(str(item.position + 1), item.question, item.status, answer)
    _out.print(table)
    if batch.error:
        _err.print(f"batch {batch.status}: {batch.error}", markup=False)
