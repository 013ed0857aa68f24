"""How long parse_ranking takes per reviewer reply, over the test corpus.

    .venv/bin/python bench/ranking_parse.py [rounds]

Prints microseconds per reply (median of rounds) for the whole corpus and its slowest cases.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from llmcouncil.council.ranking import parse_ranking, response_labels
from tests.council.ranking_corpus import CASES


def main(rounds: int) -> None:
    per_case: dict[str, list[float]] = {name: [] for name, *_ in CASES}
    totals = []
    for _ in range(rounds):
        started = time.perf_counter()
        for name, text, n, _, _ in CASES:
            t0 = time.perf_counter()
            parse_ranking(text, response_labels(n))
            per_case[name].append(time.perf_counter() - t0)
        totals.append(time.perf_counter() - started)
    per_reply = statistics.median(totals) / len(CASES) * 1e6
    print(f"{len(CASES)} replies x {rounds} rounds: {per_reply:.0f} µs per reply (median round)")
    slowest = sorted(per_case.items(), key=lambda item: -statistics.median(item[1]))[:5]
    for name, times in slowest:
        print(f"  {statistics.median(times) * 1e6:8.0f} µs  {name}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
