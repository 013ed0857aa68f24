"""The order in which each reviewer sees the answers, balanced across the council.

Language models favour answers by their place in the prompt (often the first or the last), so
the places are spread out: the labels are shuffled once with the run's seed, and reviewer ``k``
(in a seeded order of the reviewers) sees that shuffle rotated by ``k``, a Latin square when
there are as many reviewers as answers. Reviewer ``k`` puts label ``base[(k + p) % n]`` at place
``p``, so over consecutive ``k`` every label takes every place ``floor(R / n)`` or
``ceil(R / n)`` times for ``R`` reviewers and ``n`` labels. The same seed gives the same orders.
"""

from __future__ import annotations

import random
from collections.abc import Sequence


def presentation_orders(
    labels: Sequence[str], reviewers: Sequence[str], *, seed: int
) -> dict[str, list[str]]:
    """Each reviewer's order of ``labels``, first shown first; see the module docstring.

    A reviewer named twice gets one order. The result does not depend on the order in which
    ``reviewers`` are given.
    """
    base = list(labels)
    random.Random(f"presentation:{seed}").shuffle(base)
    seats = sorted(set(reviewers))
    random.Random(f"presentation-seats:{seed}").shuffle(seats)
    n = len(base)
    return {
        reviewer: base[k % n :] + base[: k % n] if n else [] for k, reviewer in enumerate(seats)
    }
