"""Test modules are imported by their base name (rootdir-relative imports without packages):
two files called the same in different folders make one of them uncollectable, which pytest
reports as an error of the whole run. Found here first, with both paths named."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path


def test_no_two_test_modules_share_a_name() -> None:
    tests = Path(__file__).parent
    by_name: defaultdict[str, list[str]] = defaultdict(list)
    for path in tests.rglob("test_*.py"):
        by_name[path.name].append(str(path.relative_to(tests)))
    shared = {name: sorted(paths) for name, paths in by_name.items() if len(paths) > 1}
    assert not shared, f"rename one of each: {shared}"
