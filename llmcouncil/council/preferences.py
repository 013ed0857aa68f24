"""What one reviewer's ranking says about pairs of answers, and what it leaves unsaid.

A ranking is a tuple of tiers, best first; a tier of several labels is an explicit tie. It may be
a top-k (status ``partial``): then the labels it lists beat every label of the run it leaves out,
and it says nothing about the order among the labels it leaves out. Every statistic of stage 2
(the Bradley–Terry leaderboard, the mean position, Kendall's W, tau, self-preference) reads
rankings through these functions, so missing data means the same thing everywhere:

- a pair of listed labels: the better tier wins; the same tier is a tie (half a win each);
- a listed label against an unlisted one: the listed label wins;
- two unlisted labels: no comparison (for rank statistics: they share the remaining rank, a tie).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

Tiers = tuple[tuple[str, ...], ...]

COUNTED_STATUSES = frozenset({"ok", "partial"})


def clean_tiers(
    tiers: Sequence[Sequence[str]], known: Collection[str], *, drop: str | None = None
) -> Tiers:
    """``tiers`` with unknown labels and ``drop`` removed, each label kept at its first (best)
    place, and empty tiers left out."""
    seen: set[str] = set()
    cleaned: list[tuple[str, ...]] = []
    for tier in tiers:
        kept = []
        for label in tier:
            if label in known and label != drop and label not in seen:
                seen.add(label)
                kept.append(label)
        if kept:
            cleaned.append(tuple(kept))
    return tuple(cleaned)


def tier_index(tiers: Tiers) -> dict[str, int]:
    """The tier number of each listed label, from 0 (best)."""
    return {label: number for number, tier in enumerate(tiers) for label in tier}


def outcome(index: dict[str, int], a: str, b: str) -> float | None:
    """1 when the ranking prefers ``a`` to ``b``, 0 when it prefers ``b``, 0.5 for a tie, None
    when it says nothing (neither is listed)."""
    tier_a = index.get(a)
    tier_b = index.get(b)
    if tier_a is None:
        return None if tier_b is None else 0.0
    if tier_b is None or tier_a < tier_b:
        return 1.0
    return 0.5 if tier_a == tier_b else 0.0


def doubled_ranks(tiers: Tiers, items: Sequence[str]) -> list[int]:
    """Twice the mid-rank of each of ``items`` (integers, so statistics stay exact): tied labels
    share the mean of their positions, and the unlisted labels among ``items`` share the mean of
    the positions left over (top-2 of five: the other three get 4, i.e. 8 here)."""
    wanted = set(items)
    doubled: dict[str, int] = {}
    taken = 0
    for tier in tiers:
        inside = [label for label in tier if label in wanted]
        if inside:
            # Positions taken+1 .. taken+t have mean taken + (t + 1) / 2.
            share = 2 * taken + len(inside) + 1
            for label in inside:
                doubled[label] = share
            taken += len(inside)
    leftover = 2 * taken + (len(items) - taken) + 1
    return [doubled.get(item, leftover) for item in items]
