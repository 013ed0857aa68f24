"""S3's policy with no overhead at all: what p99 the straggler policy can reach at best.

S3 (calls 500 ms, first token at 30 %, 10 % of calls 10× slower) is judged by the p99 of
councils with the policy on against the p99 without slow calls. Part of the gap is the policy
itself, whatever the server's speed: a slow call is only noticed once a fast one would have
produced its first token (the hedge delay, the fast calls' p85 first-token time), so every stage
with a slow call ends a hedge delay late, twice that when the hedge was slow too. This script
draws councils under exactly the policy `bench/scenarios.py` configures for S3 (quorum of 3 of
4 with a grace of the quorum's time, clamped to 0.25–5 s; a hedge every delay; the title, which
never holds a run, left out) with every overhead zero, and reports the p50 and p99 over many
councils and the spread of the p99 of 200 councils (what one S3 run measures).

    python bench/s3_ideal.py
"""

from __future__ import annotations

import argparse
import random
import statistics

from load import percentile

CALL_S = 0.5
FIRST_TOKEN_SHARE = 0.3
SLOW_SHARE = 0.1
SLOW_FACTOR = 10.0
MEMBERS = 4
QUORUM = 3
GRACE_FACTOR, GRACE_MIN, GRACE_MAX = 1.0, 0.25, 5.0


def _call(rng: random.Random, *, delay: float, hedges: int) -> float:
    """When a hedged stream ends: the racer first to produce a token wins."""
    best: tuple[float, float] | None = None  # (commit time, end time)
    for index in range(hedges + 1):
        start = index * delay
        if best is not None and start >= best[0]:
            break  # somebody committed before this hedge would have started
        total = CALL_S * (SLOW_FACTOR if rng.random() < SLOW_SHARE else 1.0)
        commit = start + total * FIRST_TOKEN_SHARE
        if best is None or commit < best[0]:
            best = (commit, start + total)
    assert best is not None
    return best[1]


def _stage(rng: random.Random, size: int, *, delay: float, hedges: int) -> float:
    ends = sorted(_call(rng, delay=delay, hedges=hedges) for _ in range(size))
    if size < MEMBERS:
        return ends[-1]
    quorum = ends[QUORUM - 1]
    grace = min(GRACE_MAX, max(GRACE_MIN, GRACE_FACTOR * quorum))
    return min(ends[-1], quorum + grace)


def council(rng: random.Random, *, hedges: int, slow: bool = True) -> float:
    """Seconds for one council with every overhead zero."""
    if not slow:
        return 3 * CALL_S
    delay = CALL_S * FIRST_TOKEN_SHARE  # the fast calls' first token: their p85
    return sum(_stage(rng, size, delay=delay, hedges=hedges) for size in (MEMBERS, MEMBERS, 1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--councils", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=500, help="runs of 200 councils")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    baseline = 3 * CALL_S
    for hedges in (0, 1, 2, 3):
        walls = [council(rng, hedges=hedges) for _ in range(args.councils)]
        runs = [
            percentile([council(rng, hedges=hedges) for _ in range(200)], 0.99)
            for _ in range(args.runs)
        ]
        quartiles = statistics.quantiles(runs, n=4)
        p99 = percentile(walls, 0.99)
        print(
            f"hedges {hedges}: p50 {statistics.median(walls):.3f} s, p99 {p99:.3f} s "
            f"(×{p99 / baseline:.2f} of {baseline:.1f} s); p99 of 200 councils: "
            f"median {statistics.median(runs):.3f} s, quartiles {quartiles[0]:.3f}–"
            f"{quartiles[2]:.3f} s"
        )


if __name__ == "__main__":
    main()
