"""``council audit verify|export``: check the hash chain, write the log as JSON Lines."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from llmcouncil.audit.chain import AuditEntry
from llmcouncil.audit.verify import Anchor, ChainReport, verify_chain
from llmcouncil.cli.common import ConfigOption, settings_from
from llmcouncil.cli.governance import cli_actor, with_governance
from llmcouncil.errors import ValidationFailedError

if TYPE_CHECKING:
    from llmcouncil.api.governance import Governance

audit_app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)
_out = Console(highlight=False)
_err = Console(stderr=True, highlight=False)


def _anchor(text: str | None) -> Anchor | None:
    if not text:
        return None
    try:
        return Anchor.parse(text)
    except ValueError as exc:
        raise ValidationFailedError(f"--anchor: {exc}") from exc


async def _read_file(path: Path) -> AsyncIterator[AuditEntry]:
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                yield AuditEntry.from_dict(json.loads(line))
            except (ValueError, KeyError, TypeError) as exc:
                raise ValidationFailedError(
                    f"{path}:{number}: not an audit record ({exc})"
                ) from exc


@audit_app.command("verify")
def verify(
    config: ConfigOption = None,
    anchor: Annotated[
        str | None,
        typer.Option(help="SEQ:HASH of a head printed earlier: also detects a cut-off end."),
    ] = None,
    file: Annotated[
        Path | None, typer.Option("--file", "-f", help="Verify a JSONL export instead.")
    ] = None,
) -> None:
    """Check every record's hash and link; exit 1 and say where, when something was changed."""
    wanted = _anchor(anchor)
    if file is not None:
        from llmcouncil.audit.log import chain_key

        key = chain_key(settings_from(config).audit)
        report: ChainReport = asyncio.run(verify_chain(_read_file(file), key=key, anchor=wanted))
    else:
        report = with_governance(config, lambda g: g.audit.verify(anchor=wanted))
    head = f"{report.head_seq}:{report.head_hash}"
    if report.ok:
        _out.print(f"[green]audit chain intact[/]: {report.records} record(s); head {head}")
        return
    _err.print(f"[bold red]audit chain broken[/]: {len(report.problems)} problem(s)")
    for problem in report.problems:
        _err.print(f"  - record {problem.seq}: {problem.message}", markup=False)
    _err.print(f"checked {report.records} record(s); head {head}", markup=False)
    raise typer.Exit(1)


@audit_app.command("export")
def export(
    config: ConfigOption = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write (default: stdout).")
    ] = None,
    action: Annotated[str | None, typer.Option(help='e.g. "auth.login" or "user."')] = None,
    since: Annotated[str | None, typer.Option(help="ISO time (UTC), inclusive.")] = None,
) -> None:
    """Write the log as JSON Lines, oldest first, with both hashes of every record."""
    from llmcouncil.audit.log import AuditFilter

    filters = AuditFilter(action=action, since=since)

    async def work(governance: Governance) -> int:
        await governance.audit.record(
            "audit.export", actor=cli_actor(), details={"action": action, "since": since}
        )
        sink = output.open("w", encoding="utf-8") if output else sys.stdout
        count = 0
        try:
            async for entry in governance.audit.entries(filters):
                sink.write(json.dumps(entry.as_dict(), ensure_ascii=False) + "\n")
                count += 1
        finally:
            if output:
                sink.close()
        return count

    count = with_governance(config, work)
    if output:
        _err.print(f"wrote {count} record(s) to {output}")
