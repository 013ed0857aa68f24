"""Compare the working tree with another commit, runs alternated, because this VM's speed drifts.

    python bench/alternate.py 7ad312e s1 s2 [--rounds 3] [--quick]

The other commit is checked out with ``git worktree`` into a scratch folder; its server and
simulator run from there by putting that folder first on ``PYTHONPATH`` (the package is
installed in development mode as a plain path entry, which ``PYTHONPATH`` precedes), while the
benchmark's clients are this tree's. Each round runs both sides, in the order A B then B A, so a
drift during the run falls on both. Prints the headline figures of every run and their means.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
HEADLINES = {
    "s1": (
        "overhead_p50_ms",
        "floor_overhead_p50_ms",
        "server_share_p50_ms",
        "server_cpu_ms_per_council",
    ),
    "s2": ("councils_per_s", "p99_s", "server_cpu_ms_per_council"),
    "s3": ("ratio_on_to_baseline_p99",),
    "s4": ("complete_share", "lossless_share", "p99_s"),
    "stream": ("gap_p50_ms",),
}


def run_side(
    worktree: Path | None, scenarios: list[str], flags: list[str], out: Path
) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if worktree is not None:
        env["PYTHONPATH"] = str(worktree)
    command = [
        sys.executable,
        str(ROOT / "bench" / "run.py"),
        *scenarios,
        *flags,
        "--out",
        str(out),
    ]
    subprocess.run(command, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    results: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))["results"]
    return results


def headline(results: dict[str, Any]) -> dict[str, float]:
    figures: dict[str, float] = {}
    for scenario, keys in HEADLINES.items():
        for key in keys:
            value = results.get(scenario, {}).get(key)
            if isinstance(value, int | float):
                figures[f"{scenario} {key}"] = float(value)
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ref", help="the commit to compare the working tree with")
    parser.add_argument("scenarios", nargs="+")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    flags = ["--quick"] if args.quick else []
    scratch = Path(tempfile.mkdtemp(prefix="council-alternate-"))
    worktree = scratch / "other"
    subprocess.run(
        ["git", "worktree", "add", "--detach", "--quiet", str(worktree), args.ref],
        cwd=ROOT,
        check=True,
    )
    runs: dict[str, list[dict[str, float]]] = {args.ref: [], "working tree": []}
    try:
        for round_number in range(args.rounds):
            sides = [(args.ref, worktree), ("working tree", None)]
            if round_number % 2:
                sides.reverse()
            for label, where in sides:
                out = scratch / f"{round_number}-{'other' if where else 'this'}.json"
                figures = headline(run_side(where, args.scenarios, flags, out))
                runs[label].append(figures)
                shown = ", ".join(f"{k} {v:g}" for k, v in figures.items())
                print(f"round {round_number + 1} {label}: {shown}", flush=True)
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(worktree)], cwd=ROOT)
    print()
    for label, measured in runs.items():
        keys = measured[0].keys() if measured else []
        means = ", ".join(f"{k} {statistics.mean(f[k] for f in measured):.3g}" for k in keys)
        print(f"mean {label}: {means}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
