"""The shipped Grafana dashboard and the documented alerts ask only for metrics that exist."""

from __future__ import annotations

import json
import re
from pathlib import Path

from llmcouncil.observability.metrics import CouncilMetrics

DOCS = Path(__file__).resolve().parents[2] / "docs"
NAME = re.compile(r"\bllmcouncil_[a-z_]+\b")
SUFFIXES = {"counter": ["_total"], "histogram": ["", "_bucket", "_count", "_sum"], "gauge": [""]}


def exported() -> set[str]:
    names = set()
    for family in CouncilMetrics().registry.collect():
        names.update(family.name + suffix for suffix in SUFFIXES[family.type])
    return names


def test_every_dashboard_query_names_an_exported_metric() -> None:
    dashboard = json.loads((DOCS / "grafana" / "llmcouncil.json").read_text())
    used = {
        name
        for panel in dashboard["panels"]
        for target in panel.get("targets", [])
        for name in NAME.findall(target["expr"])
    }
    assert used and used <= exported(), used - exported()


def test_every_metric_in_the_operations_guide_exists_and_every_metric_is_in_it() -> None:
    guide = (DOCS / "OPERATIONS.md").read_text()
    mentioned = set(NAME.findall(guide))
    assert mentioned <= exported(), mentioned - exported()
    families = {f.name for f in CouncilMetrics().registry.collect()}
    undocumented = {f for f in families if not any(m.startswith(f) for m in mentioned)}
    assert not undocumented
