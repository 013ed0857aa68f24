"""``council conversations list|show|delete|export``."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from llmcouncil.cli.common import ConfigOption, settings_from
from llmcouncil.errors import NotFoundError, ValidationFailedError

if TYPE_CHECKING:
    from llmcouncil.store.repository import ConversationDetail, Store

conversations_app = typer.Typer(help="Stored conversations.", no_args_is_help=True)
_out = Console(highlight=False)
T = TypeVar("T")


def _with_store(config: Any, work: Callable[[Store], Awaitable[T]]) -> T:
    from llmcouncil.privacy.keys import existing_vault_cipher
    from llmcouncil.store.database import create_engine, upgrade
    from llmcouncil.store.repository import Store

    settings = settings_from(config)

    async def run() -> T:
        engine = create_engine(settings.database_url)
        try:
            await upgrade(engine)
            # The vault key restores the originals behind placeholders in what is shown.
            vaults = existing_vault_cipher(settings.privacy, database_url=settings.database_url)
            opener = vaults.for_display if vaults is not None else None
            return await work(Store(engine, open_vault=opener))
        finally:
            await engine.dispose()

    return asyncio.run(run())


def matching_ids(given: str, ids: list[str]) -> str:
    """The one id equal to ``given`` or starting with it; a clear error otherwise."""
    if given in ids:
        return given
    matches = sorted(i for i in ids if i.startswith(given)) if given else []
    if not matches:
        raise NotFoundError(f"conversation {given} does not exist")
    if len(matches) > 1:
        listed = ", ".join(matches)
        raise ValidationFailedError(
            f"{given} is the start of {len(matches)} conversation ids: {listed}; give more of it"
        )
    return matches[0]


async def _detail_by_prefix(store: Store, given: str) -> ConversationDetail:
    try:
        return await store.conversation_detail(given)
    except NotFoundError:
        pass
    ids = [s.conversation.id for s in await store.list_conversations(limit=1_000_000)]
    return await store.conversation_detail(matching_ids(given, ids))


@conversations_app.command("list")
def list_conversations(
    config: ConfigOption = None,
    search: Annotated[str | None, typer.Option("--search", "-s", help="Filter titles.")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """List conversations, newest first."""
    from llmcouncil.council.transcript import summary_payload

    summaries = _with_store(config, lambda s: s.list_conversations(query=search))
    rows = [summary_payload(s) for s in summaries]
    if as_json:
        _out.print_json(json.dumps(rows))
        return
    table = Table()
    # Ids are never cut: they are what `show` and `export` take. The title gives way instead.
    table.add_column("id", no_wrap=True, min_width=36)
    table.add_column("updated", no_wrap=True)
    table.add_column("messages", justify="right")
    table.add_column("title", overflow="fold")
    for row in rows:
        table.add_row(row["id"], row["updated_at"][:19], str(row["message_count"]), row["title"])
    _out.print(table)


@conversations_app.command("show")
def show(conversation_id: str, config: ConfigOption = None) -> None:
    """Print a conversation with its answers, ranking and errors (a unique id prefix will do)."""
    from rich.markdown import Markdown

    from llmcouncil.council.transcript import conversation_markdown

    detail = _with_store(config, lambda s: _detail_by_prefix(s, conversation_id))
    _out.print(Markdown(conversation_markdown(detail)))


@conversations_app.command("delete")
def delete(
    conversation_id: str,
    config: ConfigOption = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")] = False,
) -> None:
    """Delete a conversation and everything stored with it."""
    if not yes:
        typer.confirm(f"Delete conversation {conversation_id}?", abort=True)
    _with_store(config, lambda s: s.delete_conversation(conversation_id))
    _out.print(f"deleted {conversation_id}")


@conversations_app.command("export")
def export(
    conversation_id: str,
    config: ConfigOption = None,
    format: Annotated[str, typer.Option("--format", "-f", help="md or json")] = "md",
) -> None:
    """Write a conversation to stdout as Markdown or JSON (a unique id prefix will do)."""
    from llmcouncil.council.transcript import conversation_markdown, conversation_payload

    if format not in ("md", "json"):
        raise typer.BadParameter("format must be md or json", param_hint="--format")
    detail = _with_store(config, lambda s: _detail_by_prefix(s, conversation_id))
    if format == "json":
        typer.echo(json.dumps(conversation_payload(detail), indent=2, ensure_ascii=False))
    else:
        typer.echo(conversation_markdown(detail), nl=False)
