"""The app as a server process: the garbage collector is settled once it has started."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from llmcouncil.api.app import GC_THRESHOLDS

PROBE = """
import asyncio, gc, json, sys
from llmcouncil.api.app import create_app
from llmcouncil.config import Settings

async def main(server_process):
    settings = Settings(database_url=sys.argv[1])
    app = create_app(settings, server_process=server_process)
    before = gc.get_threshold()
    async with app.router.lifespan_context(app):
        return {"before": before, "during": gc.get_threshold(), "frozen": gc.get_freeze_count()}

print(json.dumps(asyncio.run(main(sys.argv[2] == "server"))))
"""


def _probe(tmp_path: Path, mode: str) -> dict[str, list[int] | int]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, f"sqlite:///{tmp_path / mode}.db", mode],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    result: dict[str, list[int] | int] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_a_server_process_freezes_its_start_up_heap_and_collects_less_often(
    tmp_path: Path,
) -> None:
    served = _probe(tmp_path, "server")
    assert served["during"] == list(GC_THRESHOLDS) != served["before"]
    assert isinstance(served["frozen"], int) and served["frozen"] > 10_000
    # An app inside another program (tests, an embedding application) leaves its GC alone.
    embedded = _probe(tmp_path, "embedded")
    assert embedded["during"] == embedded["before"] and embedded["frozen"] == 0
