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
from dataclasses import dataclass

from load import percentile
from scenarios import S3_CALL_MS, S3_TAIL, fixed, s3_policy

from llmcouncil.resilience.settings import StragglerSettings
from llmcouncil.resilience.stragglers import quorum_for

MEMBERS = 4


@dataclass(frozen=True)
class Workload:
    """S3's calls and straggler policy, read from the scenario itself."""

    call_s: float
    first_token_share: float
    slow_share: float
    slow_factor: float
    stragglers: StragglerSettings

    @classmethod
    def of_s3(cls) -> Workload:
        profile = fixed(S3_CALL_MS, **S3_TAIL).latency["*"]
        return cls(
            call_s=profile.base_ms / 1000,
            first_token_share=profile.first_token_share(),
            slow_share=profile.tail_probability,
            slow_factor=profile.tail_multiplier,
            stragglers=StragglerSettings.model_validate(s3_policy(True)["stragglers"]),
        )

    def call(self, rng: random.Random, *, hedges: int) -> float:
        """When a hedged stream ends: the racer first to produce a token wins.

        The hedge delay is the fast calls' first-token time: the policy's percentile (p85)
        falls among the fast calls, which are 90 % of them.
        """
        delay = self.call_s * self.first_token_share
        best: tuple[float, float] | None = None  # (commit time, end time)
        for index in range(hedges + 1):
            start = index * delay
            if best is not None and start >= best[0]:
                break  # somebody committed before this hedge would have started
            slow = rng.random() < self.slow_share
            total = self.call_s * (self.slow_factor if slow else 1.0)
            commit = start + total * self.first_token_share
            if best is None or commit < best[0]:
                best = (commit, start + total)
        assert best is not None
        return best[1]

    def stage(self, rng: random.Random, size: int, *, hedges: int) -> float:
        ends = sorted(self.call(rng, hedges=hedges) for _ in range(size))
        if size < 2:
            return ends[-1]
        policy = self.stragglers
        quorum = ends[quorum_for(policy, size) - 1]
        grace = min(policy.grace_max, max(policy.grace_min, policy.grace_factor * quorum))
        return min(ends[-1], quorum + grace)

    def council(self, rng: random.Random, *, hedges: int) -> float:
        """Seconds for one council with every overhead zero (the title never holds a run)."""
        return sum(self.stage(rng, size, hedges=hedges) for size in (MEMBERS, MEMBERS, 1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--councils", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=500, help="runs of 200 councils")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    work = Workload.of_s3()
    baseline = 3 * work.call_s
    for hedges in (0, 1, 2, 3):
        walls = [work.council(rng, hedges=hedges) for _ in range(args.councils)]
        runs = [
            percentile([work.council(rng, hedges=hedges) for _ in range(200)], 0.99)
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
