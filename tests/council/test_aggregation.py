"""aggregate_rankings: the leaderboard, self-votes and the agreement it reports."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from llmcouncil.council.aggregation import AggregateRow, ReviewerRanking, aggregate_rankings
from llmcouncil.council.ranking import response_labels

A, B, C, D = response_labels(4)
LABEL_TO_MODEL = {A: "m-alpha", B: "m-beta", C: "m-gamma"}
# Every member reviews: alpha and beta put themselves first, gamma puts itself second.
COUNCIL = [
    ReviewerRanking(reviewer="m-alpha", ranking=[A, B, C], own_label=A),
    ReviewerRanking(reviewer="m-beta", ranking=[B, A, C], own_label=B),
    ReviewerRanking(reviewer="m-gamma", ranking=[A, C, B], own_label=C),
]


def test_self_votes_are_dropped_and_the_rest_renumbered() -> None:
    result = aggregate_rankings(COUNCIL, LABEL_TO_MODEL)
    # Without self-votes: alpha ranks [B, C], beta [A, C], gamma [A, B].
    assert result.rows == [
        AggregateRow("m-alpha", A, 1.0, 2, 2, self_rank_average=1.0),
        AggregateRow("m-beta", B, 1.5, 2, 1, self_rank_average=1.0),
        AggregateRow("m-gamma", C, 2.0, 2, 0, self_rank_average=2.0),
    ]
    assert result.agreement.self_votes_excluded is True


def test_self_votes_can_be_kept() -> None:
    result = aggregate_rankings(COUNCIL, LABEL_TO_MODEL, exclude_self_votes=False)
    # A gets 1, 2, 1; B 2, 1, 3; C 3, 3, 2.
    assert result.as_original() == [
        {"model": "m-alpha", "average_rank": 1.33, "rankings_count": 3},
        {"model": "m-beta", "average_rank": 2.0, "rankings_count": 3},
        {"model": "m-gamma", "average_rank": 2.67, "rankings_count": 3},
    ]
    assert [row.first_place_votes for row in result.rows] == [2, 1, 0]
    assert result.agreement.self_votes_excluded is False


def test_agreement_describes_what_reviewers_said_including_themselves() -> None:
    agreement = aggregate_rankings(COUNCIL, LABEL_TO_MODEL).agreement
    # Totals 4, 6, 8 around 6: S = 8, W = 12 * 8 / (9 * 24) = 4 / 9.
    assert agreement.kendall_w == pytest.approx(4 / 9)
    # Pair taus 1/3, 1/3 and -1/3.
    assert agreement.mean_pairwise_tau == pytest.approx(1 / 9)
    assert agreement.reviewers == 3
    # Gaps 1.5 - 1, 2.5 - 1, 3 - 2.
    assert agreement.self_preference == 1.0
    assert aggregate_rankings(COUNCIL, LABEL_TO_MODEL).self_preference == 1.0


def test_a_reviewer_placing_itself_first_does_not_push_the_others_down() -> None:
    modest = ReviewerRanking(reviewer="m-alpha", ranking=[B, C], own_label=A)
    vain = ReviewerRanking(reviewer="m-alpha", ranking=[A, B, C], own_label=A)
    mapping = {A: "m-alpha", B: "m-beta", C: "m-gamma"}
    assert aggregate_rankings([vain], mapping).rows == [
        AggregateRow("m-beta", B, 1.0, 1, 1, None),
        AggregateRow("m-gamma", C, 2.0, 1, 0, None),
        AggregateRow("m-alpha", A, None, 0, 0, 1.0),
    ]
    rows = aggregate_rankings([modest], mapping).rows
    assert [(r.model, r.average_rank) for r in rows] == [
        ("m-beta", 1.0),
        ("m-gamma", 2.0),
        ("m-alpha", None),
    ]


def test_ties_sort_by_model_name_and_unranked_models_come_last() -> None:
    mapping = {A: "zeta", B: "eta", C: "theta", D: "alpha"}
    reviews = [
        ReviewerRanking("r1", [A, B], own_label=None),
        ReviewerRanking("r2", [B, A], own_label=None),
    ]
    result = aggregate_rankings(reviews, mapping)
    assert [(r.model, r.average_rank, r.rankings_count) for r in result.rows] == [
        ("eta", 1.5, 2),
        ("zeta", 1.5, 2),
        ("alpha", None, 0),
        ("theta", None, 0),
    ]
    assert [row["model"] for row in result.as_original()] == ["eta", "zeta"]
    # Two reviewers in exact disagreement: W is 0 over the two labels they ranked.
    assert result.agreement.kendall_w == 0.0
    assert result.agreement.mean_pairwise_tau == -1.0


def test_unknown_and_repeated_labels_are_ignored() -> None:
    reviews = [ReviewerRanking("r1", ["Response Q", B, B, A], own_label=None)]
    rows = aggregate_rankings(reviews, {A: "a", B: "b"}).rows
    assert [(r.model, r.average_rank) for r in rows] == [("b", 1.0), ("a", 2.0)]


def test_agreement_needs_two_reviewers() -> None:
    lone = aggregate_rankings([COUNCIL[0]], LABEL_TO_MODEL).agreement
    assert (lone.kendall_w, lone.mean_pairwise_tau, lone.self_preference) == (None, None, None)
    assert lone.reviewers == 1
    # A reviewer that named nothing is not a reviewer for the statistics.
    silent = ReviewerRanking("m-beta", [], own_label=B)
    assert aggregate_rankings([COUNCIL[0], silent], LABEL_TO_MODEL).agreement.reviewers == 1
    empty = aggregate_rankings([], LABEL_TO_MODEL)
    assert empty.as_original() == []
    assert [row.rankings_count for row in empty.rows] == [0, 0, 0]


def test_as_dict_carries_everything() -> None:
    data = aggregate_rankings(COUNCIL, LABEL_TO_MODEL).as_dict()
    assert data["rows"][0] == {
        "model": "m-alpha",
        "label": A,
        "average_rank": 1.0,
        "rankings_count": 2,
        "first_place_votes": 2,
        "self_rank_average": 1.0,
    }
    assert set(data["agreement"]) == {
        "kendall_w",
        "mean_pairwise_tau",
        "reviewers",
        "self_votes_excluded",
        "self_preference",
    }


# --- properties --------------------------------------------------------------------------------


@st.composite
def councils(draw: st.DrawFn) -> tuple[list[ReviewerRanking], dict[str, str]]:
    labels = response_labels(draw(st.integers(min_value=1, max_value=8)))
    label_to_model = {label: f"model-{i}" for i, label in enumerate(labels)}
    reviews = []
    for i in range(draw(st.integers(min_value=0, max_value=6))):
        order = draw(st.permutations(labels))
        ranking = order[: draw(st.integers(min_value=0, max_value=len(labels)))]
        own = draw(st.sampled_from([None, *labels]))
        reviews.append(ReviewerRanking(f"reviewer-{i}", ranking, own_label=own))
    return reviews, label_to_model


@given(councils(), st.booleans())
def test_average_ranks_lie_between_one_and_n(
    council: tuple[list[ReviewerRanking], dict[str, str]], exclude: bool
) -> None:
    reviews, label_to_model = council
    result = aggregate_rankings(reviews, label_to_model, exclude_self_votes=exclude)
    for row in result.rows:
        if row.average_rank is None:
            assert row.rankings_count == 0
        else:
            assert 1 <= row.average_rank <= len(label_to_model)
    assert sum(row.first_place_votes for row in result.rows) <= len(reviews)


@given(councils(), st.booleans(), st.randoms())
def test_reviewer_order_does_not_matter(
    council: tuple[list[ReviewerRanking], dict[str, str]], exclude: bool, rng: random.Random
) -> None:
    reviews, label_to_model = council
    shuffled = list(reviews)
    rng.shuffle(shuffled)
    first = aggregate_rankings(reviews, label_to_model, exclude_self_votes=exclude)
    assert aggregate_rankings(shuffled, label_to_model, exclude_self_votes=exclude) == first


@given(councils())
def test_kendall_w_lies_between_zero_and_one(
    council: tuple[list[ReviewerRanking], dict[str, str]],
) -> None:
    agreement = aggregate_rankings(*council).agreement
    if agreement.kendall_w is not None:
        assert 0.0 <= agreement.kendall_w <= 1.0
    if agreement.mean_pairwise_tau is not None:
        assert -1.0 <= agreement.mean_pairwise_tau <= 1.0


@given(councils())
def test_excluding_self_votes_changes_nothing_for_reviewers_without_an_answer(
    council: tuple[list[ReviewerRanking], dict[str, str]],
) -> None:
    reviews, label_to_model = council
    outsiders = [ReviewerRanking(r.reviewer, r.ranking, own_label=None) for r in reviews]
    kept = aggregate_rankings(outsiders, label_to_model, exclude_self_votes=False)
    excluded = aggregate_rankings(outsiders, label_to_model, exclude_self_votes=True)
    assert excluded.rows == kept.rows
    assert excluded.agreement.kendall_w == kept.agreement.kendall_w


@given(councils())
def test_excluding_a_self_vote_is_striking_the_own_label_out(
    council: tuple[list[ReviewerRanking], dict[str, str]],
) -> None:
    reviews, label_to_model = council
    struck = [
        ReviewerRanking(r.reviewer, [x for x in r.ranking if x != r.own_label], own_label=None)
        for r in reviews
    ]
    excluded = aggregate_rankings(reviews, label_to_model, exclude_self_votes=True)
    kept = aggregate_rankings(struck, label_to_model, exclude_self_votes=False)
    assert [
        (r.label, r.average_rank, r.rankings_count, r.first_place_votes) for r in excluded.rows
    ] == [(r.label, r.average_rank, r.rankings_count, r.first_place_votes) for r in kept.rows]


def test_agreement_is_measured_only_when_asked_for_and_then_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The chairman's prompt needs the rows only: the statistics must not delay it."""
    from llmcouncil.council import aggregation

    measured = []
    measure = aggregation._agreement

    def counting(*args: object) -> object:
        measured.append(args)
        return measure(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(aggregation, "_agreement", counting)
    result = aggregate_rankings(COUNCIL, LABEL_TO_MODEL)
    assert result.rows and measured == []
    first = result.agreement
    assert result.agreement is first and len(measured) == 1
    assert result.as_dict()["agreement"]["reviewers"] == 3
