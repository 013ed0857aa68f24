"""``bench/timeline.py``'s probe names functions of the package by path: each must still exist,
or a refactoring silently drops its timestamps from the timeline."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

PROBE = Path(__file__).resolve().parents[2] / "bench" / "timeline_probe" / "sitecustomize.py"


def _targets() -> list[tuple[str, str, str]]:
    tree = ast.parse(PROBE.read_text())
    found: list[tuple[str, str, str]] = []
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            if node.targets[0].id in {"SERVER", "SIMULATOR"}:
                found += ast.literal_eval(node.value)
    return found


def test_the_probe_lists_targets() -> None:
    assert len(_targets()) > 10


@pytest.mark.parametrize(("module", "path", "label"), _targets())
def test_every_function_the_probe_wraps_exists(module: str, path: str, label: str) -> None:
    target: object = importlib.import_module(module)
    for part in path.split("."):
        assert hasattr(target, part), f"{label}: {module}.{path} is gone"
        target = getattr(target, part)
    assert callable(target)
