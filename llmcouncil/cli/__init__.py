"""The ``council`` command. Errors become one line on stderr and a non-zero exit code.

Exit codes: 1 a council or upstream failure, 2 bad usage or configuration, 3 not found,
4 database unavailable.

Every command line imports every command's module (Typer builds the whole tree, even for
``--help``), so those modules import at their top only what their options need, and the rest
(the store, the run machinery, the reports, Presidio under the privacy guard) inside the
commands that use it: ``council conversations list`` does not pay for ``council ask``.
"""

from __future__ import annotations

import sys

import typer
from rich.console import Console
from rich.text import Text

from llmcouncil.cli.analytics import analytics_app
from llmcouncil.cli.ask import ask
from llmcouncil.cli.audit import audit_app
from llmcouncil.cli.batch import batch_command
from llmcouncil.cli.conversations import conversations_app
from llmcouncil.cli.eval import eval_command
from llmcouncil.cli.keys import keys_app
from llmcouncil.cli.mcp import mcp
from llmcouncil.cli.setup import config_app, db_app, serve, simulate
from llmcouncil.cli.users import users_app
from llmcouncil.cli.vote import vote
from llmcouncil.cli.worker import worker
from llmcouncil.errors import (
    ConfigError,
    CouncilError,
    NotFoundError,
    StoreError,
    ValidationFailedError,
)

app = typer.Typer(
    name="council",
    help="LLM Council: several models answer, review each other, and a chairman decides.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.command()(ask)
app.command()(serve)
app.command()(simulate)
app.command()(mcp)
app.command()(vote)
app.command(name="eval")(eval_command)
app.command(name="batch")(batch_command)
app.command()(worker)
app.add_typer(config_app, name="config")
app.add_typer(db_app, name="db")
app.add_typer(conversations_app, name="conversations")
app.add_typer(users_app, name="users")
app.add_typer(keys_app, name="keys")
app.add_typer(audit_app, name="audit")
app.add_typer(analytics_app, name="analytics")

# Messages are never wrapped (a script reads them whole) and never read as markup.
_err = Console(stderr=True, highlight=False, soft_wrap=True)


def exit_code(error: CouncilError) -> int:
    if isinstance(error, ConfigError | ValidationFailedError):
        return 2
    if isinstance(error, NotFoundError):
        return 3
    if isinstance(error, StoreError):
        return 4
    return 1


def main() -> None:
    try:
        app()
    except ConfigError as exc:
        _err.print(Text.assemble(("error:", "bold red"), " invalid configuration"))
        for problem in exc.problems:
            _err.print(f"  - {problem}", markup=False)
        sys.exit(2)
    except CouncilError as exc:
        _err.print(Text.assemble(("error:", "bold red"), " ", str(exc)))
        sys.exit(exit_code(exc))
    except KeyboardInterrupt:
        _err.print("interrupted")
        sys.exit(130)
