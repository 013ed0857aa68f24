"""``council keys create|list|revoke``: API keys for programs."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from llmcouncil.cli.common import ConfigOption
from llmcouncil.cli.governance import cli_actor, with_governance
from llmcouncil.cli.users import find_user
from llmcouncil.errors import NotFoundError

if TYPE_CHECKING:
    from llmcouncil.api.governance import Governance
    from llmcouncil.auth.service import IssuedKey
    from llmcouncil.auth.tables import ApiKeyRow

keys_app = typer.Typer(help="API keys (Authorization: Bearer …).", no_args_is_help=True)
_out = Console(highlight=False)
_err = Console(stderr=True, highlight=False)


@keys_app.command("create")
def create(
    username: Annotated[str, typer.Option("--user", "-u", help="The key's owner.")],
    name: Annotated[str, typer.Option(help="What the key is for.")],
    config: ConfigOption = None,
    scope: Annotated[
        list[str] | None,
        typer.Option(
            help="Repeat for several: conversations (default), keys, usage, audit, "
            "admin; within the owner's role."
        ),
    ] = None,
    expires_days: Annotated[float | None, typer.Option(help="Days until it expires.")] = None,
) -> None:
    """Create a key and print it. It is shown this once."""

    async def work(governance: Governance) -> IssuedKey:
        owner = await find_user(governance, username)
        return await governance.auth.create_key(
            owner, name=name, scopes=scope, expires_in_days=expires_days, actor=cli_actor()
        )

    issued = with_governance(config, work)
    _err.print(
        f"created key lc_{issued.row.prefix} for {username} "
        f"(scopes: {', '.join(issued.row.scopes)}); it is shown once:"
    )
    typer.echo(issued.secret)


@keys_app.command("list")
def list_keys(
    config: ConfigOption = None,
    username: Annotated[str | None, typer.Option("--user", "-u")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """List keys (never their secrets)."""
    from llmcouncil.auth.accounts import key_public

    async def work(governance: Governance) -> list[ApiKeyRow]:
        owner = (await find_user(governance, username)).id if username else None
        return list(await governance.auth.store.list_keys(user_id=owner))

    rows = [key_public(k) for k in with_governance(config, work)]
    if as_json:
        _out.print_json(json.dumps(rows))
        return
    table = Table()
    for column in ("prefix", "name", "scopes", "active", "last used", "expires", "id"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            row["prefix"],
            row["name"],
            ",".join(row["scopes"]),
            "yes" if row["active"] else "no",
            (row["last_used_at"] or "")[:19],
            (row["expires_at"] or "")[:19],
            row["id"],
        )
    _out.print(table)


@keys_app.command("revoke")
def revoke(key: str, config: ConfigOption = None) -> None:
    """Revoke a key (its id, or its prefix lc_…); the next request with it is refused."""

    async def work(governance: Governance) -> ApiKeyRow:
        store = governance.auth.store
        row: ApiKeyRow | None = None
        if key.startswith("lc_"):
            found = await store.key_user(key[3:15])
            row = found.key if found else None
        else:
            try:
                row = await store.get_key(key)
            except NotFoundError:
                row = None
        if row is None:
            raise NotFoundError(f"API key {key} does not exist")
        return await governance.auth.revoke_key(row.id, actor=cli_actor())

    row = with_governance(config, work)
    _out.print(f"revoked lc_{row.prefix} ({row.name})")
