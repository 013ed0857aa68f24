"""``council ask``: run one council in-process, with a live per-model display."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console, Group
from rich.live import Live
from rich.panel import Panel
from rich.table import Table

from llmcouncil.cli.ask_context import attach_files, check_options, conversation_for, read_files
from llmcouncil.cli.common import ConfigOption, DemoOption, settings_from
from llmcouncil.cli.peer_ranking import peer_ranking
from llmcouncil.council.events import CouncilEvent, EventType

_out = Console(highlight=False)
_err = Console(stderr=True, highlight=False)
STAGE_NAMES = {1: "answer", 2: "review", 3: "final"}


@dataclass(slots=True)
class _Row:
    stage: int
    model: str
    status: str = "waiting"
    chars: int = 0
    started: float = 0.0
    seconds: float | None = None
    note: str = ""


class Progress:
    """What the live display shows: one row per model and stage."""

    def __init__(self) -> None:
        self.rows: dict[tuple[int, str], _Row] = {}
        self.stage = "starting"
        self.simulated = False

    def _row(self, stage: int, model: str) -> _Row:
        key = (stage, model)
        if key not in self.rows:
            self.rows[key] = _Row(stage=stage, model=model, started=time.monotonic())
        return self.rows[key]

    def apply(self, event: CouncilEvent) -> None:
        f = event.fields
        if event.type is EventType.RUN_START:
            self.simulated = bool(f.get("simulated"))
        elif event.type.value.endswith("_start") and event.type.value.startswith("stage"):
            self.stage = f"stage {event.type.value[5]}"
        elif event.type is EventType.MODEL_DELTA:
            row = self._row(int(f["stage"]), str(f["model"]))
            row.status, row.chars = "streaming", row.chars + len(str(f["text"]))
        elif event.type is EventType.MODEL_RESET:
            self._row(int(f["stage"]), str(f["model"])).chars = 0
        elif event.type is EventType.MODEL_FALLBACK:
            self._row(int(f["stage"]), str(f["model"])).note = f"fallback → {f['fallback']}"
        elif event.type is EventType.MODEL_COMPLETE:
            row = self._row(int(f["stage"]), str(f["model"]))
            row.status = "done"
            row.seconds = (f.get("latency_ms") or 0) / 1000
        elif event.type is EventType.MODEL_ERROR:
            row = self._row(int(f["stage"]), str(f["model"]))
            row.status, row.note = "failed", f"{f.get('kind')}: {f.get('message')}"

    def render(self) -> Table:
        title = f"Council — {self.stage}" + (" [yellow](simulated)[/]" if self.simulated else "")
        table = Table(title=title, expand=False)
        for column in ("stage", "model", "status", "chars", "time", "note"):
            table.add_column(column)
        for row in self.rows.values():
            seconds = row.seconds if row.seconds is not None else time.monotonic() - row.started
            colour = {"done": "green", "failed": "red"}.get(row.status, "yellow")
            table.add_row(
                STAGE_NAMES.get(row.stage, "?"),
                row.model,
                f"[{colour}]{row.status}[/]",
                str(row.chars),
                f"{seconds:.1f}s",
                row.note[:80],
            )
        return table


def ask(
    question: Annotated[str, typer.Argument(help="The question for the council.")],
    config: ConfigOption = None,
    preset: Annotated[str | None, typer.Option(help="Council preset to use.")] = None,
    models: Annotated[str | None, typer.Option(help="Comma-separated council members.")] = None,
    chairman: Annotated[str | None, typer.Option(help="Chairman model.")] = None,
    mode: Annotated[
        str | None,
        typer.Option(
            help="How the council deliberates: classic, select, answers, revise or self-moa "
            "(default: the preset's)."
        ),
    ] = None,
    rounds: Annotated[
        int | None, typer.Option(help="Revision rounds for --mode revise (1-3).")
    ] = None,
    demo: DemoOption = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the whole result as JSON.")
    ] = False,
    files: Annotated[
        list[Path] | None,
        typer.Option(
            "--file",
            "-f",
            help="Attach a document or image (PDF, EPUB, DOCX, HTML, Markdown, text, PNG, "
            "JPEG, WebP) to the conversation; repeat for several.",
        ),
    ] = None,
    conversation: Annotated[
        str | None,
        typer.Option(
            "--conversation",
            help="Continue this conversation (an id, or a unique start of one) with its "
            "council, history and documents.",
        ),
    ] = None,
) -> None:
    """Ask the council a question and print the final answer."""
    settings = settings_from(config, demo=demo or None)
    members = [m.strip() for m in models.split(",") if m.strip()] if models else None
    check_options(conversation, preset=preset, members=members, chairman=chairman)
    attachments = read_files(files or [])
    payload = asyncio.run(
        _ask(
            settings,
            question,
            preset=preset,
            members=members,
            chairman=chairman,
            live=not as_json,
            conversation=conversation,
            files=attachments,
            mode=mode,
            rounds=rounds,
        )
    )
    if as_json:
        _out.print_json(json.dumps(payload))
    else:
        _print_result(payload)
    if payload.get("status") != "complete":
        raise typer.Exit(1)


async def _ask(
    settings: Any,
    question: str,
    *,
    preset: str | None,
    members: list[str] | None,
    chairman: str | None,
    live: bool,
    conversation: str | None = None,
    files: list[tuple[Path, bytes]] | None = None,
    mode: str | None = None,
    rounds: int | None = None,
) -> dict[str, Any]:
    from llmcouncil.api.runtime import Runtime
    from llmcouncil.council.spec import resolve_council
    from llmcouncil.council.transcript import result_payload

    resolve_council(
        settings, preset=preset, members=members, chairman=chairman, mode=mode, rounds=rounds
    )
    runtime = await Runtime.start(settings)
    try:
        if runtime.demo and live:
            _err.print("[yellow]demo mode: every answer below is simulated[/]")
        # Refused input stores nothing: the question is checked before the conversation exists,
        # and a refused file removes the conversation this command opened.
        runtime.runs.validate_content(question)
        target = await conversation_for(
            runtime, conversation, preset=preset, members=members, chairman=chairman
        )
        await attach_files(
            runtime, target, files or [], report=lambda line: _err.print(line, markup=False)
        )
        try:
            handle = await runtime.runs.start(
                conversation_id=target.conversation_id, content=question, mode=mode, rounds=rounds
            )
        except BaseException:
            if target.created:
                await runtime.store.delete_conversation(target.conversation_id)
            raise
        progress = Progress()
        with Live(
            progress.render(), console=_err, refresh_per_second=8, transient=True, auto_refresh=live
        ) as display:
            async for event in handle.events():
                progress.apply(event)
                if live:
                    display.update(progress.render())
        await handle.wait()  # settled too, before the runtime stops
        payload = result_payload(await handle.result())
        payload["conversation_id"] = target.conversation_id
        payload["simulated"] = runtime.demo
        return payload
    finally:
        await runtime.stop()


def _print_result(payload: dict[str, Any]) -> None:
    from rich.markdown import Markdown

    for error in payload.get("errors", []):
        _err.print(
            f"[red]✗ {error['model']}[/] (stage {error['stage']}, {error['kind']}): "
            f"{error['message']}",
            highlight=False,
        )
    final = payload.get("stage3")
    if payload.get("status") != "complete" or not final:
        error = payload.get("error") or {}
        _err.print(f"[bold red]no final answer:[/] {error.get('message', payload.get('status'))}")
        return
    for part in peer_ranking(payload):
        _out.print(part)
    kind = final.get("kind")
    if kind == "answers":
        for answer in payload.get("stage1", []):
            _out.print(Panel(Markdown(str(answer.get("response", ""))), title=answer["model"]))
        return
    if final.get("degraded"):
        title = "Degraded result: no chairman answered"
    elif kind in ("selected", "unanimous"):
        who = final.get("selected_model") or "every member"
        title = f"Top-ranked answer — {who}" if kind == "selected" else "Unanimous answer"
    else:
        who = final.get("answered_by") or final.get("model")
        title = f"Final answer — chairman {final.get('model')}"
        if final.get("fallback_from"):
            title += f" (answered by fallback {who})"
    if payload.get("simulated"):
        title += " [SIMULATED]"
    _out.print(Panel(Group(Markdown(str(final.get("response", "")))), title=title))
    if final.get("review_summary"):
        _out.print(str(final["review_summary"]))
    early = final.get("early_stop") or {}
    if early.get("reason"):
        _out.print(f"Stopped early: {early['reason']}.")
    structured = final.get("structured")
    if structured:
        confidence = structured.get("confidence") or {}
        _out.print(
            f"Confidence: {confidence.get('level') or 'not stated'}"
            f" — {confidence.get('justification') or ''}".rstrip(" —")
        )
