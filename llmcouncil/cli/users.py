"""``council users create|list|set-role|deactivate|activate|reset-password``."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from llmcouncil.auth.settings import ROLES
from llmcouncil.cli.common import ConfigOption
from llmcouncil.cli.governance import cli_actor, with_governance
from llmcouncil.errors import NotFoundError, ValidationFailedError

if TYPE_CHECKING:
    from llmcouncil.api.governance import Governance
    from llmcouncil.auth.tables import UserRow

users_app = typer.Typer(help="User accounts (roles: admin, member, auditor).", no_args_is_help=True)
_out = Console(highlight=False)
PasswordStdin = Annotated[
    bool,
    typer.Option("--password-stdin", help="Read the password from standard input (for scripts)."),
]


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


async def find_user(governance: Governance, username: str) -> UserRow:
    user = await governance.auth.store.find_user(username)
    if user is None:
        raise NotFoundError(f"user {username!r} does not exist")
    return user


@users_app.command("create")
def create(
    username: str,
    config: ConfigOption = None,
    admin: Annotated[bool, typer.Option("--admin", help="Same as --role admin.")] = False,
    role: Annotated[str, typer.Option(help="admin, member or auditor.")] = "member",
    password_stdin: PasswordStdin = False,
    sso_only: Annotated[
        bool, typer.Option("--sso-only", help="No password: single sign-on only.")
    ] = False,
    claim_conversations: Annotated[
        bool,
        typer.Option(
            "--claim-conversations",
            help="Give this user the conversations made in local mode (without an owner).",
        ),
    ] = False,
) -> None:
    """Create an account. The first one turns sign-in on (auth.mode = "auto")."""
    chosen = "admin" if admin else role
    if chosen not in ROLES:
        raise ValidationFailedError(f"unknown role {chosen!r} (roles: {', '.join(ROLES)})")
    password = None if sso_only else _password(password_stdin)

    async def work(governance: Governance) -> tuple[UserRow, int]:
        user = await governance.accounts.create_user(
            username=username, role=chosen, password=password, actor=cli_actor()
        )
        claimed = 0
        if claim_conversations:
            claimed = await governance.accounts.claim_unowned_conversations(user, actor=cli_actor())
        return user, claimed

    user, claimed = with_governance(config, work)
    _out.print(f"created {user.role} [bold]{user.username}[/] ({user.id})")
    if claimed:
        _out.print(f"{claimed} conversation(s) from local mode now belong to {user.username}")


@users_app.command("list")
def list_users(
    config: ConfigOption = None, as_json: Annotated[bool, typer.Option("--json")] = False
) -> None:
    """List accounts."""
    from llmcouncil.auth.accounts import user_public

    users = with_governance(config, lambda g: g.auth.store.list_users())
    rows = [user_public(u) for u in users]
    if as_json:
        _out.print_json(json.dumps(rows))
        return
    table = Table()
    for column in ("username", "role", "active", "sso", "last sign-in", "id"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            row["username"],
            row["role"],
            "yes" if row["active"] else "no",
            "yes" if row["sso"] else "",
            (row["last_login_at"] or "")[:19],
            row["id"],
        )
    _out.print(table)


def _update(config: object, username: str, **changes: object) -> UserRow:
    async def work(governance: Governance) -> UserRow:
        user = await find_user(governance, username)
        return await governance.accounts.update_user(
            user.id, changes=dict(changes), actor=cli_actor()
        )

    return with_governance(config, work)  # type: ignore[arg-type]


@users_app.command("set-role")
def set_role(username: str, role: str, config: ConfigOption = None) -> None:
    """Change an account's role."""
    user = _update(config, username, role=role)
    _out.print(f"{user.username} is now {user.role}")


@users_app.command("deactivate")
def deactivate(username: str, config: ConfigOption = None) -> None:
    """Stop an account at once: its sessions end and its API keys stop working."""
    user = _update(config, username, active=False)
    _out.print(f"{user.username} is deactivated")


@users_app.command("activate")
def activate(username: str, config: ConfigOption = None) -> None:
    """Let a deactivated account sign in again."""
    user = _update(config, username, active=True)
    _out.print(f"{user.username} is active")


@users_app.command("reset-password")
def reset_password(
    username: str, config: ConfigOption = None, password_stdin: PasswordStdin = False
) -> None:
    """Set a new password; the account's sessions end."""
    user = _update(config, username, password=_password(password_stdin))
    _out.print(f"the password of {user.username} was reset")
