"""Options and helpers shared by the commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from llmcouncil.config import Settings, load_settings

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config", "-c", help="Config file (default: ./council.toml or $COUNCIL_CONFIG)."
    ),
]
DemoOption = Annotated[
    bool, typer.Option("--demo", help="Use the built-in simulated upstream for every model.")
]


def settings_from(config: Path | None, **flags: Any) -> Settings:
    return load_settings(config_file=config, **flags)
