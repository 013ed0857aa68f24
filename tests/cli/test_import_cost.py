"""What a ``council`` command line loads: Presidio and spaCy (most of a second of CPU each
start) only where a text is scanned, never for a command that redacts nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(900)  # a fresh interpreter each: slow on a busy machine

HEAVY = ("presidio_analyzer", "spacy")
REPORT = f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))"


def loaded_after(code: str, *, cwd: Path) -> list[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COUNCIL_")}
    env["COUNCIL_DATABASE_URL"] = f"sqlite+aiosqlite:///{cwd / 'cli.db'}"
    done = subprocess.run(
        [sys.executable, "-c", f"import json, sys\n{code}\n{REPORT}"],
        cwd=cwd,
        env=env,
        text=True,
        capture_output=True,
        timeout=300,
        check=True,
    )
    loaded: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return loaded


@pytest.mark.parametrize("module", ["llmcouncil.cli", "llmcouncil.api.app"])
def test_importing_the_command_line_or_the_app_loads_no_detector(
    module: str, tmp_path: Path
) -> None:
    assert loaded_after(f"import {module}", cwd=tmp_path) == []


def test_a_command_that_redacts_nothing_loads_no_detector(tmp_path: Path) -> None:
    code = (
        "from llmcouncil.cli import app\n"
        "try:\n"
        "    app(['conversations', 'list', '--json'])\n"
        "except SystemExit as stop:\n"
        "    assert not stop.code, stop.code"
    )
    assert loaded_after(code, cwd=tmp_path) == []
