"""Where one S1 council's time goes: every process stamps events on the shared monotonic clock.

    python bench/timeline.py [--councils 20] [--skip 3]

Starts the simulator and the server as S1 does (every call 200 ms), with
``bench/timeline_probe`` first on ``PYTHONPATH``: its ``sitecustomize`` wraps the functions it
lists in both processes and writes a timestamp at each entry (``label>``) and exit
(``label<``). This script stamps each POST and the moment its whole answer was read, then
prints, for every event in order, its median time after the POST across the councils (the
n-th occurrence of a label in a council counts as its own event, ``label#n``). The wrappers
add about a millisecond to the council; compare segments, not the total, with ``bench/run.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

from harness import running_stack
from load import drive, one_council, session
from scenarios import WIDE_CAPACITY, fixed

PROBE = Path(__file__).resolve().parent / "timeline_probe"


async def record(councils: int) -> list[tuple[int, int]]:
    """Runs ``councils`` councils one at a time; returns each one's (POST, answer read) in ns."""
    windows: list[tuple[int, int]] = []
    async with running_stack(fixed(200), resilience={"capacity": WIDE_CAPACITY}) as stack:
        await drive(stack.server_url, total=3, concurrency=1)  # warm-up, not stamped
        async with session() as http:
            for _ in range(councils):
                outcome = await one_council(http, stack.server_url)
                done = time.perf_counter_ns()
                windows.append((done - int(outcome.wall * 1e9), done))
                await asyncio.sleep(0.05)
    return windows


def events(directory: Path) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for path in directory.glob("*.txt"):
        for line in path.read_text(encoding="utf-8").splitlines():
            stamp, _, label = line.partition(" ")
            found.append((int(stamp), label))
    return sorted(found)


def timeline(
    stamps: list[tuple[int, str]], windows: list[tuple[int, int]], skip: int
) -> list[tuple[float, str]]:
    """Each event's median time after the POST (ms), for events seen in most councils."""
    offsets: dict[str, list[float]] = defaultdict(list)
    for started, done in windows[skip:]:
        seen: Counter[str] = Counter()
        for stamp, label in stamps:
            if started <= stamp <= done + 3_000_000:  # and the bookkeeping just after
                seen[label] += 1
                offsets[f"{label}#{seen[label]}"].append((stamp - started) / 1e6)
        offsets["answer read#1"].append((done - started) / 1e6)
    measured = len(windows) - skip
    return sorted(
        (statistics.median(values), key)
        for key, values in offsets.items()
        if len(values) >= measured / 2
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--councils", type=int, default=20)
    parser.add_argument("--skip", type=int, default=3, help="first councils left out")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="council-timeline-") as scratch:
        out = Path(scratch)
        os.environ["LLMCOUNCIL_TIMELINE_DIR"] = str(out)
        paths = [str(PROBE), *filter(None, [os.environ.get("PYTHONPATH")])]
        os.environ["PYTHONPATH"] = os.pathsep.join(paths)
        windows = asyncio.run(record(args.councils))
        rows = timeline(events(out), windows, args.skip)
    previous = 0.0
    print("| ms after the POST | + since the previous | event |\n|---:|---:|---|")
    for at, key in rows:
        print(f"| {at:.3f} | {at - previous:+.3f} | {key} |")
        previous = at
    walls = sorted((done - started) / 1e6 - 600 for started, done in windows[args.skip :])
    print(f"\noverhead over 600 ms, median of {len(walls)}: {statistics.median(walls):.1f} ms")


if __name__ == "__main__":
    main()
