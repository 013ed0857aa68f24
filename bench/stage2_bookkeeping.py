"""Stage 2's bookkeeping for one council, timed: aggregation, bootstrap and agreement.

Everything stage 2 computes once the reviews are parsed: the counted votes, the Bradley–Terry
fit, its bootstrap intervals over reviewers and the agreement statistics (Kendall's W, tau,
self-preference). The reviews are realistic: noisy rankings around a true order, one reviewer
promoting itself, one top-3 vote and one failed vote in every council of six or more.

    python bench/stage2_bookkeeping.py            # ms per council for 4, 6 and 8 members
    python bench/stage2_bookkeeping.py --rounds 50
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from machine_speed import probe

from llmcouncil.council.aggregation import ReviewerRanking, aggregate_rankings
from llmcouncil.council.ranking import response_labels
from llmcouncil.council.ranking_summary import ranking_summary
from llmcouncil.council.spec import CouncilSpec


def council(members: int, *, seed: int) -> tuple[list[ReviewerRanking], dict[str, str]]:
    rng = random.Random(seed)
    labels = response_labels(members)
    label_to_model = {label: f"model-{i}" for i, label in enumerate(labels)}
    reviews = []
    for i, label in enumerate(labels):
        noisy = sorted(labels, key=lambda x: labels.index(x) + rng.gauss(0, 1.2))
        status = "ok"
        if i == 0:  # promotes itself
            noisy.remove(label)
            noisy.insert(0, label)
        if members >= 6 and i == 1:
            noisy, status = noisy[:3], "partial"
        if members >= 6 and i == 2:
            status = "failed"
        tiers = tuple((x,) for x in noisy)
        model = label_to_model[label]
        reviews.append(ReviewerRanking(model, model, tiers, status, own_label=label))
    return reviews, label_to_model


def bookkeeping(reviews: list[ReviewerRanking], label_to_model: dict[str, str], seed: int) -> None:
    result = aggregate_rankings(reviews, label_to_model, seed=seed)
    spec = CouncilSpec(preset=None, members=list(label_to_model.values()), chairman="chair")
    summary = ranking_summary(  # the agreement too, as the stage-2 write asks for it
        spec=spec, seed=seed, label_to_model=label_to_model, aggregate=result, skipped_reason=None
    )
    summary.as_json()


def measure(members: int, rounds: int) -> dict[str, float]:
    """Medians over ``rounds`` councils, in ms: the whole bookkeeping in wall time and in CPU
    time (on a shared VM the CPU time moves less with the neighbours' load), and the CPU time
    of its two parts: the leaderboard (fit and bootstrap) and the agreement statistics."""
    wall, cpu, leaderboard, agreement = [], [], [], []
    for seed in range(rounds):
        reviews, label_to_model = council(members, seed=seed)
        started, started_cpu = time.perf_counter(), time.process_time()
        bookkeeping(reviews, label_to_model, seed)
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        started_cpu = time.process_time()
        result = aggregate_rankings(reviews, label_to_model, seed=seed)
        leaderboard.append((time.process_time() - started_cpu) * 1000)
        started_cpu = time.process_time()
        result.measure_agreement()
        agreement.append((time.process_time() - started_cpu) * 1000)
    return {
        name: statistics.median(times)
        for name, times in (
            ("wall", wall),
            ("cpu", cpu),
            ("leaderboard", leaderboard),
            ("agreement", agreement),
        )
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30, help="councils timed per size")
    args = parser.parse_args()
    bookkeeping(*council(6, seed=0), 0)  # warm-up
    for members in (4, 6, 8):
        ms = measure(members, args.rounds)
        print(
            f"{members} members: {ms['wall']:.2f} ms per council (median; CPU {ms['cpu']:.2f} ms:"
            f" leaderboard with bootstrap {ms['leaderboard']:.2f}, agreement {ms['agreement']:.2f})"
        )
    # The VM's speed drifts by a factor of several with load; the figures mean little without it.
    print(f"machine speed probe (bench/machine_speed.py, ~2.3 ms on a quiet hour): {probe()}")


if __name__ == "__main__":
    main()
