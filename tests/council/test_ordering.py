"""presentation_orders: balanced, seeded, deterministic."""

from __future__ import annotations

from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from llmcouncil.council.ordering import presentation_orders
from llmcouncil.council.ranking import response_labels


@given(
    st.integers(min_value=1, max_value=8),
    st.integers(min_value=0, max_value=12),
    st.integers(min_value=0, max_value=2**31),
)
def test_every_label_takes_every_place_as_evenly_as_the_reviewers_allow(
    n: int, reviewers: int, seed: int
) -> None:
    labels = response_labels(n)
    names = [f"member-{i}" for i in range(reviewers)]
    orders = presentation_orders(labels, names, seed=seed)
    assert set(orders) == set(names)
    low, high = reviewers // n, -(-reviewers // n)
    for order in orders.values():
        assert sorted(order) == sorted(labels)
    for place in range(n):
        seen = Counter(order[place] for order in orders.values())
        for label in labels:
            assert low <= seen[label] <= high


def test_a_latin_square_when_reviewers_and_answers_match() -> None:
    labels = response_labels(4)
    orders = presentation_orders(labels, ["a", "b", "c", "d"], seed=7)
    for place in range(4):
        assert sorted(order[place] for order in orders.values()) == labels


def test_the_same_seed_gives_the_same_orders_whatever_the_reviewers_order() -> None:
    labels = response_labels(5)
    first = presentation_orders(labels, ["a", "b", "c", "d", "e"], seed=3)
    assert presentation_orders(labels, ["e", "d", "c", "b", "a"], seed=3) == first
    assert presentation_orders(list(labels), ["a", "b", "c", "d", "e"], seed=3) == first


def test_different_seeds_give_different_orders() -> None:
    labels = response_labels(5)
    names = ["a", "b", "c", "d", "e"]
    seen = set()
    for seed in range(10):
        orders = presentation_orders(labels, names, seed=seed)
        seen.add(tuple(tuple(orders[name]) for name in names))
    assert len(seen) == 10


def test_a_reviewer_named_twice_gets_one_order_and_no_labels_no_order() -> None:
    orders = presentation_orders(response_labels(3), ["a", "a", "b"], seed=1)
    assert sorted(orders) == ["a", "b"]
    assert presentation_orders([], ["a"], seed=1) == {"a": []}
