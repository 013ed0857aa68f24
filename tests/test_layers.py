"""The package's layers import downward only (docs/ARCHITECTURE.md draws them).

Every import of ``llmcouncil.*`` in the package, including those under ``TYPE_CHECKING`` and
inside functions, is read with ``ast``; one that names a package of a higher layer fails. A
layer may hold several packages that use each other (the edges: api, cli, /v1, MCP).
The configuration sections (``<package>/settings.py``) sit with ``config.py``: they import only
the floor, so ``config`` may import them from any package.
"""

from __future__ import annotations

import ast
from pathlib import Path

import llmcouncil

PACKAGE = Path(llmcouncil.__file__).parent

# Bottom first.
LAYERS: list[set[str]] = [
    {"errors", "records", "storable"},
    {"config"},
    {"providers", "sim"},
    {"resilience"},
    {"store", "jobs"},
    {"privacy", "documents"},
    {"audit", "presets"},
    {"council"},
    {"auth"},
    {"usage", "analytics", "feedback", "evaluation", "batches"},
    {"observability"},
    {"api", "openai_api", "mcp_server", "cli", "__init__", "__main__"},
]
RANK = {package: rank for rank, layer in enumerate(LAYERS) for package in layer}


def _imports(path: Path) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules = [node.module]
            modules += [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        else:
            continue
        found += [(node.lineno, m) for m in modules if m.startswith("llmcouncil.")]
    return found


def _rank_of(parts: tuple[str, ...]) -> int:
    """A module's layer; a configuration section ranks with ``config``."""
    if len(parts) > 1 and parts[1] == "settings":
        return RANK["config"]
    return RANK[parts[0]]


def _upward_imports() -> list[str]:
    problems: list[str] = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        if parts[0] == "static":
            continue
        assert parts[0] in RANK, f"{'/'.join(parts)}: put its package in a layer of LAYERS"
        here = _rank_of(parts)
        for line, module in _imports(path):
            target = tuple(module.split(".")[1:])
            if target[0] not in RANK:
                continue  # an imported name, not a module (``from llmcouncil import x``)
            there = _rank_of(target[:2])
            if there > here:
                problems.append(f"{'/'.join(parts)}.py:{line} imports {module}")
    return problems


def test_no_layer_imports_one_above_it() -> None:
    assert _upward_imports() == []


def test_the_checker_sees_an_upward_import(tmp_path: Path) -> None:
    """The check itself can fail: an import of the council from the store is found."""
    source = tmp_path / "probe.py"
    source.write_text("from llmcouncil.council.pipeline import CouncilPipeline\n")
    (line, module), *_ = _imports(source)
    assert module == "llmcouncil.council.pipeline"
    assert _rank_of(tuple(module.split(".")[1:3])) > _rank_of(("store", "runs"))
