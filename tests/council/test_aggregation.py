"""aggregate_rankings: which votes count, the Bradley–Terry leaderboard and its uncertainty."""

from __future__ import annotations

import json
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from llmcouncil.council.aggregation import (
    AggregateResult,
    ReviewerRanking,
    aggregate_rankings,
)
from llmcouncil.council.ranking import response_labels
from llmcouncil.council.ranking_summary import RankingSummary, ranking_summary
from llmcouncil.council.spec import CouncilSpec

A, B, C, D = response_labels(4)
LABEL_TO_MODEL = {A: "m-alpha", B: "m-beta", C: "m-gamma"}


def vote(
    reviewer: str,
    *order: str | tuple[str, ...],
    own: str | None = None,
    status: str = "ok",
    answered_by: str | None = None,
) -> ReviewerRanking:
    tiers = tuple(item if isinstance(item, tuple) else (item,) for item in order)
    return ReviewerRanking(reviewer, answered_by or reviewer, tiers, status, own_label=own)


# Every member reviews: alpha and beta put themselves first, gamma puts itself second.
COUNCIL = [
    vote("m-alpha", A, B, C, own=A),
    vote("m-beta", B, A, C, own=B),
    vote("m-gamma", A, C, B, own=C),
]


def test_self_votes_are_dropped_and_the_rest_renumbered() -> None:
    result = aggregate_rankings(COUNCIL, LABEL_TO_MODEL, seed=1)
    # Without self-votes: alpha says B > C, beta A > C, gamma A > B.
    assert [
        (r.model, r.average_rank, r.rankings_count, r.first_place_votes) for r in result.rows
    ] == [
        ("m-alpha", 1.0, 2, 2),
        ("m-beta", 1.5, 2, 1),
        ("m-gamma", 2.0, 2, 0),
    ]
    assert [r.self_rank_average for r in result.rows] == [1.0, 1.0, 2.0]
    assert [(r.wins, r.comparisons) for r in result.rows] == [(2.0, 2), (1.0, 2), (0.0, 2)]
    strengths = [r.strength for r in result.rows]
    assert strengths[0] > strengths[1] > strengths[2]  # type: ignore[operator]
    assert strengths[1] == 0.0  # by symmetry, and the mean is 0
    assert result.winner == A
    assert [v.counted for v in result.votes] == ["full"] * 3
    assert all("own answer is left out" in v.note for v in result.votes)


def test_self_votes_can_be_kept() -> None:
    result = aggregate_rankings(COUNCIL, LABEL_TO_MODEL, seed=1, exclude_self_votes=False)
    # A gets 1, 2, 1; B 2, 1, 3; C 3, 3, 2.
    assert result.as_original() == [
        {"model": "m-alpha", "average_rank": 1.33, "rankings_count": 3},
        {"model": "m-beta", "average_rank": 2.0, "rankings_count": 3},
        {"model": "m-gamma", "average_rank": 2.67, "rankings_count": 3},
    ]
    assert [row.first_place_votes for row in result.rows] == [2, 1, 0]
    assert [row.comparisons for row in result.rows] == [6, 6, 6]
    assert result.agreement.self_votes_excluded is False


def test_the_two_answer_fit_has_its_closed_form() -> None:
    # Three outside reviewers say A > B, one says B > A; the prior adds one tie (half a win
    # each), so p_A / p_B = 3.5 / 1.5 and the centred strengths are +-log(7 / 3) / 2.
    reviews = [vote(f"r{i}", A, B) for i in range(3)] + [vote("r3", B, A)]
    rows = aggregate_rankings(reviews, {A: "a", B: "b"}, seed=0).rows
    assert [r.label for r in rows] == [A, B]
    assert rows[0].strength == pytest.approx(round(0.5 * 0.8472978603872037, 4))
    assert rows[1].strength == -rows[0].strength  # type: ignore[operator]


def test_failed_and_legacy_votes_never_count_and_say_why() -> None:
    noise = [
        vote("m-x", C, B, A, status="failed"),
        vote("m-y", C, B, A, status="no_header"),
        vote("m-z", C, B, A, status="weird"),
    ]
    result = aggregate_rankings([*COUNCIL, *noise], LABEL_TO_MODEL, seed=3)
    clean = aggregate_rankings(COUNCIL, LABEL_TO_MODEL, seed=3)
    assert result.rows == clean.rows
    assert result.agreement == clean.agreement
    uses = result.votes[3:]
    assert [(u.reviewer, u.counted) for u in uses] == [
        ("m-x", "none"),
        ("m-y", "none"),
        ("m-z", "none"),
    ]
    assert "could not be read" in uses[0].note
    assert "older version" in uses[1].note
    assert "'weird'" in uses[2].note
    assert result.counted_reviewers == 3


def test_a_top_k_vote_counts_for_what_it_says_and_no_more() -> None:
    mapping = {A: "a", B: "b", C: "c", D: "d"}
    result = aggregate_rankings([vote("r", C, status="partial")], mapping, seed=0)
    rows = {r.label: r for r in result.rows}
    # C beats A, B and D; A, B and D are never compared with one another.
    assert (rows[C].wins, rows[C].comparisons) == (3.0, 3)
    assert all((rows[x].wins, rows[x].comparisons) == (0.0, 1) for x in (A, B, D))
    assert rows[A].strength == rows[B].strength == rows[D].strength
    # The mean position: C first, the other three share places 2-4.
    assert [rows[x].average_rank for x in (A, B, C, D)] == [3.0, 3.0, 1.0, 3.0]
    assert result.votes[0].counted == "partial"
    assert result.votes[0].note.startswith("Counted as a top 1")


def test_a_tie_within_a_ranking_is_half_a_win_each() -> None:
    result = aggregate_rankings([vote("r", (A, B), C)], {A: "a", B: "b", C: "c"}, seed=0)
    rows = {r.label: r for r in result.rows}
    assert (rows[A].wins, rows[B].wins, rows[C].wins) == (1.5, 1.5, 0.0)
    assert rows[A].average_rank == rows[B].average_rank == 1.5
    assert rows[A].first_place_votes == rows[B].first_place_votes == 1


def test_fewer_than_two_counted_votes_is_never_a_clear_winner() -> None:
    lone = aggregate_rankings([vote("r", A, B, C)], LABEL_TO_MODEL, seed=0)
    assert lone.no_clear_winner and lone.winner == A
    assert "Only one review counted" in lone.winner_note
    empty = aggregate_rankings([vote("r", A, B, status="failed")], LABEL_TO_MODEL, seed=0)
    assert empty.no_clear_winner and empty.winner is None
    assert [r.strength for r in empty.rows] == [None, None, None]
    assert empty.as_original() == []


def test_exact_ties_are_broken_by_the_seed_never_by_name() -> None:
    reviews = [vote("r1", A, B), vote("r2", B, A)]
    tops = set()
    for seed in range(12):
        named = aggregate_rankings(reviews, {A: "zeta", B: "alpha"}, seed=seed)
        renamed = aggregate_rankings(reviews, {A: "alpha", B: "zeta"}, seed=seed)
        assert named.winner == renamed.winner
        assert [r.label for r in named.rows] == [r.label for r in renamed.rows]
        assert named.no_clear_winner
        tops.add(named.winner)
    assert tops == {A, B}


def test_the_self_vote_belongs_to_the_model_that_answered() -> None:
    # m-alpha's review fell back to m-beta, which wrote answer B: the self-vote is B's.
    reviews = [
        vote("m-alpha", B, A, C, own=B, answered_by="m-beta"),
        vote("m-gamma", A, B, C, own=C),
    ]
    result = aggregate_rankings(reviews, LABEL_TO_MODEL, seed=0)
    rows = {r.label: r for r in result.rows}
    assert rows[B].self_rank_average == 1.0
    assert rows[A].self_rank_average is None
    assert (rows[B].comparisons, rows[A].comparisons) == (1, 2)  # B's self-pairs struck out
    # Without own_label the model that answered still decides.
    derived = [vote("m-alpha", B, A, C, answered_by="m-beta"), reviews[1]]
    assert aggregate_rankings(derived, LABEL_TO_MODEL, seed=0).rows == result.rows


def test_the_ranking_summary_carries_the_new_fields_and_reads_back() -> None:
    result = aggregate_rankings(COUNCIL, LABEL_TO_MODEL, seed=5)
    spec = CouncilSpec(preset=None, members=list(LABEL_TO_MODEL.values()), chairman="m-alpha")
    summary = ranking_summary(
        spec=spec, seed=5, label_to_model=LABEL_TO_MODEL, aggregate=result, skipped_reason=None
    )
    meta = summary.as_json()
    assert RankingSummary.stored(meta) == summary  # what is stored reads back as it was
    json.dumps(meta)
    assert set(meta["aggregate"][0]) >= {"strength", "ci_low", "ci_high", "wins", "comparisons"}
    assert meta["no_clear_winner"] is result.no_clear_winner
    assert meta["winner_label"] == A
    assert meta["aggregation"] == {
        "method": "bradley_terry",
        "bootstrap_rounds": 200,
        "confidence": 0.95,
        "counted_reviewers": 3,
        "reviewer_weights": {},
    }
    assert meta["votes"][0] == {
        "reviewer": "m-alpha",
        "counted": "full",
        "note": result.votes[0].note,
    }
    assert "self_preference_by_reviewer" in meta["agreement"]
    assert meta["aggregate_rankings"] == result.as_original()


# --- properties --------------------------------------------------------------------------------


@st.composite
def councils(draw: st.DrawFn) -> tuple[list[ReviewerRanking], dict[str, str]]:
    labels = response_labels(draw(st.integers(min_value=2, max_value=6)))
    label_to_model = {label: f"model-{i}" for i, label in enumerate(labels)}
    reviews = []
    for i in range(draw(st.integers(min_value=0, max_value=6))):
        order = draw(st.permutations(labels))
        k = draw(st.integers(min_value=1, max_value=len(labels)))
        status = draw(st.sampled_from(["ok", "partial", "failed"]))
        own = draw(st.sampled_from([None, *labels]))
        tiers = tuple((label,) for label in order[:k])
        reviews.append(ReviewerRanking(f"reviewer-{i}", f"reviewer-{i}", tiers, status, own))
    return reviews, label_to_model


Council = tuple[list[ReviewerRanking], dict[str, str]]


@given(councils(), st.booleans(), st.integers(0, 99))
def test_average_ranks_and_intervals_are_in_range(
    council: Council, exclude: bool, seed: int
) -> None:
    reviews, label_to_model = council
    result = aggregate_rankings(reviews, label_to_model, seed=seed, exclude_self_votes=exclude)
    for row in result.rows:
        if row.average_rank is None:
            assert row.rankings_count == 0 and row.strength is None
        else:
            assert 1 <= row.average_rank <= len(label_to_model)
        if row.strength is not None:
            assert row.ci_low is not None and row.ci_high is not None
            assert row.ci_low <= row.ci_high
    ranked = [r.strength for r in result.rows if r.strength is not None]
    assert ranked == sorted(ranked, reverse=True)
    assert sum(ranked) == pytest.approx(0.0, abs=1e-3)


@given(councils(), st.booleans(), st.randoms(), st.integers(0, 99))
def test_reviewer_order_does_not_matter(
    council: Council, exclude: bool, rng: random.Random, seed: int
) -> None:
    reviews, label_to_model = council
    shuffled = list(reviews)
    rng.shuffle(shuffled)
    first = aggregate_rankings(reviews, label_to_model, seed=seed, exclude_self_votes=exclude)
    again = aggregate_rankings(shuffled, label_to_model, seed=seed, exclude_self_votes=exclude)
    assert (again.rows, again.no_clear_winner, again.winner) == (
        first.rows,
        first.no_clear_winner,
        first.winner,
    )


@given(councils(), st.randoms(), st.integers(0, 99))
def test_invariant_to_relabelling(council: Council, rng: random.Random, seed: int) -> None:
    reviews, label_to_model = council
    labels = list(label_to_model)
    permuted = list(labels)
    rng.shuffle(permuted)
    rename = dict(zip(labels, permuted, strict=True))
    relabelled = [
        ReviewerRanking(
            r.reviewer,
            r.answered_by,
            tuple(tuple(rename[x] for x in tier) for tier in r.tiers),
            r.status,
            None if r.own_label is None else rename[r.own_label],
        )
        for r in reviews
    ]
    mapping = {rename[label]: model for label, model in label_to_model.items()}

    def by_model(result: AggregateResult) -> dict[str, tuple[float | None, ...]]:
        return {
            r.model: (r.strength, r.ci_low, r.ci_high, r.average_rank, r.wins) for r in result.rows
        }

    first = by_model(aggregate_rankings(reviews, label_to_model, seed=seed))
    second = by_model(aggregate_rankings(relabelled, mapping, seed=seed))
    for model, values in first.items():
        assert second[model] == pytest.approx(values, abs=2e-4)


@given(councils(), st.integers(0, 99))
def test_failed_votes_never_change_the_result(council: Council, seed: int) -> None:
    reviews, label_to_model = council
    kept = [r for r in reviews if r.status != "failed"]
    full = aggregate_rankings(reviews, label_to_model, seed=seed)
    clean = aggregate_rankings(kept, label_to_model, seed=seed)
    assert (full.rows, full.no_clear_winner, full.winner) == (
        clean.rows,
        clean.no_clear_winner,
        clean.winner,
    )


@given(councils(), st.data())
def test_a_partial_vote_never_orders_the_labels_it_leaves_out(
    council: Council, data: st.DataObject
) -> None:
    reviews, label_to_model = council
    labels = list(label_to_model)
    order = data.draw(st.permutations(labels))
    k = data.draw(st.integers(min_value=1, max_value=len(labels) - 1))
    extra = ReviewerRanking("outsider", "outsider", tuple((x,) for x in order[:k]), "partial", None)
    before = {r.label: r for r in aggregate_rankings(reviews, label_to_model, seed=0).rows}
    after = {r.label: r for r in aggregate_rankings([*reviews, extra], label_to_model, seed=0).rows}
    for label in order[k:]:  # unlisted: only new losses, one to each listed label
        assert after[label].wins == before[label].wins
        assert after[label].comparisons == before[label].comparisons + k


@given(
    st.integers(min_value=2, max_value=6),
    st.integers(min_value=2, max_value=7),
    st.randoms(),
    st.integers(0, 999),
    st.booleans(),
)
def test_a_unanimous_ranking_always_wins_with_a_narrow_interval(
    n: int, reviewers: int, rng: random.Random, seed: int, answers_outside: bool
) -> None:
    labels = response_labels(n)
    order = list(labels)
    rng.shuffle(order)
    mapping = {label: f"model-{i}" for i, label in enumerate(labels)}
    # Outside judges, or members whose self-votes are kept: every vote is the same.
    reviews = [
        ReviewerRanking(
            f"r{i}",
            f"r{i}",
            tuple((x,) for x in order),
            "ok",
            None if answers_outside else order[i % n],
        )
        for i in range(reviewers)
    ]
    result = aggregate_rankings(reviews, mapping, seed=seed, exclude_self_votes=False)
    assert [r.label for r in result.rows] == order
    assert result.winner == order[0] and not result.no_clear_winner
    assert all(r.ci_low == r.strength == r.ci_high for r in result.rows)


def test_agreement_is_measured_only_when_asked_for_and_then_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The chairman's prompt needs the rows only: the statistics must not delay it."""
    from llmcouncil.council import aggregation

    measured = []
    measure = aggregation.measure_agreement

    def counting(*args: object, **kwargs: object) -> object:
        measured.append(args)
        return measure(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(aggregation, "measure_agreement", counting)
    result = aggregate_rankings(COUNCIL, LABEL_TO_MODEL, seed=0)
    assert result.rows and measured == []
    first = result.agreement
    assert result.agreement is first and len(measured) == 1
    assert result.agreement.reviewers == 3


# Reviewer weights: a vote's preferences count times its reviewer's weight in the fit.
SPLIT = [vote("r-one", A, B, C), vote("r-two", B, A, C)]


def test_a_weighted_reviewer_decides_between_two_that_disagree() -> None:
    even = aggregate_rankings(SPLIT, LABEL_TO_MODEL, seed=1)
    first = {row.label: row.strength for row in even.rows}
    assert first[A] == first[B]  # one vote each way: level
    one = aggregate_rankings(SPLIT, LABEL_TO_MODEL, seed=1, weights={"r-one": 3.0})
    two = aggregate_rankings(SPLIT, LABEL_TO_MODEL, seed=1, weights={"r-two": 3.0})
    assert one.rows[0].label == A and two.rows[0].label == B
    assert one.weights == {"r-one": 3.0} and even.weights == {}
    # Wins, comparisons, first places and mean positions stay plain counts of votes.
    by_label = {row.label: row for row in one.rows}
    assert by_label[A].wins == 2.0 + 1.0 and by_label[A].comparisons == 4
    assert by_label[A].first_place_votes == 1 and by_label[A].average_rank == 1.5
    notes = {use.reviewer: use.note for use in one.votes}
    assert "Weighted ×3.00" in notes["r-one"] and "Weighted" not in notes["r-two"]


def test_weights_follow_the_model_that_wrote_the_review() -> None:
    reviews = [vote("r-one", A, B, C, answered_by="fallback"), vote("r-two", B, A, C)]
    named = aggregate_rankings(reviews, LABEL_TO_MODEL, weights={"r-one": 3.0})
    assert named.weights == {}  # r-one's review was written by its fallback
    wrote = aggregate_rankings(reviews, LABEL_TO_MODEL, weights={"fallback": 3.0})
    assert wrote.rows[0].label == A


@pytest.mark.parametrize("weight", [0.0, -2.0, float("nan"), 1.0])
def test_a_weight_that_is_not_positive_counts_the_vote_once(weight: float) -> None:
    plain = aggregate_rankings(SPLIT, LABEL_TO_MODEL, seed=3)
    odd = aggregate_rankings(SPLIT, LABEL_TO_MODEL, seed=3, weights={"r-one": weight})
    assert [(r.label, r.strength) for r in odd.rows] == [(r.label, r.strength) for r in plain.rows]
    assert odd.weights == {}


def test_the_weights_applied_are_in_the_run_metadata() -> None:
    spec = CouncilSpec(preset="default", members=list(LABEL_TO_MODEL.values()), chairman="c")
    result = aggregate_rankings(SPLIT, LABEL_TO_MODEL, weights={"r-two": 0.5})
    meta = ranking_summary(
        spec=spec,
        seed=0,
        label_to_model=dict(LABEL_TO_MODEL),
        aggregate=result,
        skipped_reason=None,
    ).as_json()
    assert meta["aggregation"]["reviewer_weights"] == {"r-two": 0.5}
    json.dumps(meta)
