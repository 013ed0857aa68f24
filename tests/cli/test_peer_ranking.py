"""The peer-ranking section of ``council ask``: a table of strengths, or why no vote counted."""

from __future__ import annotations

from typing import Any

from rich.console import Console

from llmcouncil.cli.peer_ranking import peer_ranking

LABELS = {"Response A": "b/second", "Response B": "a/first"}


def shown(payload: dict[str, Any]) -> str:
    console = Console(record=True, width=200, highlight=False)
    for part in peer_ranking(payload):
        console.print(part)
    return console.export_text()


def row(
    model: str, strength: float | None, low: float | None, high: float | None
) -> dict[str, Any]:
    return {
        "model": model,
        "strength": strength,
        "ci_low": low,
        "ci_high": high,
        "average_rank": None if strength is None else 1.5,
        "rankings_count": 0 if strength is None else 2,
    }


def result(**metadata: Any) -> dict[str, Any]:
    return {"stage2": [{"model": "a/first"}], "metadata": {"label_to_model": LABELS, **metadata}}


def test_without_reviews_nothing_is_shown() -> None:
    assert peer_ranking({"stage2": [], "metadata": {}}) == []


def test_skipped_reviews_say_why() -> None:
    text = shown(result(ranking_skipped=True, ranking_skipped_reason="only one answer"))
    assert text.strip() == "Peer ranking: none — only one answer"


def test_when_no_vote_counted_each_reason_is_given_once_with_its_reviewers() -> None:
    votes = [
        {"reviewer": "a/first", "counted": "none", "note": "Not counted: nothing to compare."},
        {"reviewer": "b/second", "counted": "none", "note": "Not counted: nothing to compare."},
        {"reviewer": "c/third", "counted": "none", "note": "Not counted: no ranking found."},
    ]
    aggregate = [row("a/first", None, None, None), row("b/second", None, None, None)]
    text = shown(result(aggregate=aggregate, votes=votes, no_clear_winner=True))
    assert text.count("Peer ranking") == 1
    assert "no vote counted — nothing to compare (a/first, b/second)" in text
    assert "no ranking found (c/third)" in text
    assert "strength" not in text


def test_counted_votes_show_strengths_intervals_and_the_verdict_by_model_name() -> None:
    aggregate = [row("b/second", 0.76, 0.34, 0.91), row("a/first", -0.76, -0.91, 0.0)]
    note = "Response A leads, but its 95 % interval overlaps Response B's: no clear winner."
    text = shown(
        result(
            aggregate=aggregate,
            aggregation={"confidence": 0.95},
            no_clear_winner=True,
            winner_note=note,
            votes=[{"reviewer": "a/first", "counted": "full", "note": "Counted in full."}],
        )
    )
    lines = text.splitlines()
    first = next(i for i, line in enumerate(lines) if "b/second" in line)
    second = next(i for i, line in enumerate(lines) if "a/first" in line and "│" in line)
    assert first < second  # in the order of their strength
    assert "+0.76" in lines[first] and "+0.34 … +0.91" in lines[first]
    assert "-0.76" in lines[second] and "-0.91 … +0.00" in lines[second]
    assert "95% interval" in text
    assert "b/second leads, but its 95 % interval overlaps a/first's: no clear winner." in text
    assert text.lower().count("no clear winner") == 1
    assert "Response A" not in text


def test_a_clear_winner_is_named_without_a_doubt_added() -> None:
    text = shown(
        result(
            aggregate=[row("b/second", 1.2, 0.8, 1.6), row("a/first", -1.2, -1.6, -0.8)],
            no_clear_winner=False,
            winner_note="Response A is ahead: its 95 % interval clears every other.",
        )
    )
    assert "b/second is ahead" in text and "no clear winner" not in text.lower()
