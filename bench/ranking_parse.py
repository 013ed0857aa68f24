"""How long parse_ranking takes per reviewer reply: both corpora, then long and hostile replies.

    .venv/bin/python bench/ranking_parse.py [rounds] [--impl DIR]

Prints microseconds per reply (the median round, and the best round: the machine's load varies)
for each corpus, for the full-length reviews among them, and their slowest cases, then the
time for each long input (100 kB shapes that would make a careless pattern quadratic, and 1 MB
replies). ``--impl DIR`` times another copy of the parser (a directory holding a ``llmcouncil``
package, e.g. one exported from an older commit), for before/after numbers on the same machine.
"""

from __future__ import annotations

import importlib
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

Parse = Callable[[str, Sequence[str]], object]


def _cases() -> list[tuple[str, str, int]]:
    from tests.council.ranking_corpus import CASES
    from tests.council.ranking_corpus_blind import CASES as BLIND

    return [(name, text, n) for name, text, n, *_ in CASES] + [
        (f"blind: {case.name}", case.text, case.n) for case in BLIND
    ]


def _long_inputs() -> list[tuple[str, str]]:
    from tests.council.ranking_corpus_blind import CASES as BLIND

    review = next(case.text for case in BLIND if case.name == "claude prose then list")
    body, ranking = review.split("FINAL RANKING:")
    return [
        ("100 kB numbered items on one line", "FINAL RANKING:\n" + "1. Response A " * 7_000),
        ("100 kB chain", "Response A > " * 8_000),
        ("100 kB table rows", "| Response A | 1 |\n" * 5_000),
        ("100 kB headers", "FINAL RANKING:\n" * 6_000),
        ("100 kB braces", "{" * 20_000 + '"ranking": [' * 1_000),
        ("100 kB spaces", " " * 100_000 + "x"),
        ("100 kB scores", "Response A: 7/10 " * 6_000),
        ("100 kB quoted headers", '"FINAL RANKING: ' * 6_000),
        ("100 kB nested bullets", "- Response A\n  " * 6_000),
        ("100 kB tie run", "Response A and " * 7_000 + "tied"),
        (
            "1 MB adversarial (test shape)",
            "\n".join(
                ["FINAL RANKING: Response A > ", "| Response A | 7/10 |", "- Response B: 2nd"]
                * 25_000
            ),
        ),
        ("1 MB review then ranking", body * (1_000_000 // len(body)) + "FINAL RANKING:" + ranking),
        ("1 MB one line of prose", ("Response A is better than Response B. " * 27_000)),
    ]


def _time(parse: Parse, labels_of: Callable[[int], list[str]], text: str, n: int) -> float:
    started = time.perf_counter()
    parse(text, labels_of(n))
    return time.perf_counter() - started


def main(rounds: int, impl: str | None) -> None:
    if impl:
        sys.path.insert(0, impl)
    ranking = importlib.import_module("llmcouncil.council.ranking")
    print(f"parser: {Path(str(ranking.__file__)).parent}")
    parse, labels_of = ranking.parse_ranking, ranking.response_labels
    cases = _cases()
    for title, subset in (
        ("original corpus", [c for c in cases if not c[0].startswith("blind: ")]),
        ("blind corpus", [c for c in cases if c[0].startswith("blind: ")]),
        ("full-length reviews (3 kB and more)", [c for c in cases if len(c[1]) >= 3_000]),
    ):
        per_case: dict[str, list[float]] = {name: [] for name, *_ in subset}
        totals = []
        for _ in range(rounds):
            total = 0.0
            for name, text, n in subset:
                elapsed = _time(parse, labels_of, text, n)
                per_case[name].append(elapsed)
                total += elapsed
            totals.append(total)
        per_reply = statistics.median(totals) / len(subset) * 1e6
        best = min(totals) / len(subset) * 1e6
        sizes = statistics.median(len(text) for _, text, _ in subset)
        print(
            f"{title}: {len(subset)} replies (median {sizes:.0f} chars) x {rounds} rounds: "
            f"{per_reply:.0f} µs per reply (median round), {best:.0f} µs (best round)"
        )
        slowest = sorted(per_case.items(), key=lambda item: -statistics.median(item[1]))[:5]
        for name, times in slowest:
            median, fastest = statistics.median(times) * 1e6, min(times) * 1e6
            print(f"  {median:8.0f} µs  (best {fastest:5.0f})  {name}")
    print("long inputs (best of 3):")
    for name, text in _long_inputs():
        best = min(_time(parse, labels_of, text, 4) for _ in range(3))
        print(f"  {best * 1e3:8.1f} ms  {name} ({len(text) / 1e6:.2f} MB)")


if __name__ == "__main__":
    args = sys.argv[1:]
    chosen = None
    if "--impl" in args:
        at = args.index("--impl")
        chosen = args[at + 1]
        del args[at : at + 2]
    main(int(args[0]) if args else 20, chosen)
