"""Stage-2 bookkeeping on records: what a review stores, how stored runs (old ones too) render,
and what the Chairman is given."""

from __future__ import annotations

from typing import Any

from llmcouncil.council import review_reading
from llmcouncil.council.ranking_summary import RankingSummary
from llmcouncil.council.review_reading import AggregateView, chair_reviews, read_review, vote_of
from llmcouncil.council.stage_items import stage2_item
from llmcouncil.records import CallRecord, Stage

LABELS = ["Response A", "Response B", "Response C"]


def review(text: str = "", **details: Any) -> CallRecord:
    return CallRecord(stage=Stage.REVIEWS, model="m/one", ok=True, text=text, details=details)


def test_a_review_from_an_older_version_still_renders() -> None:
    old = review(
        "Response B is best. Response A next.",
        parsed_ranking=["Response B", "Response A"],
        parse_status="no_header",
        parse_issues=["no FINAL RANKING header"],
        parse_source="text",
        presentation_order=LABELS,
        own_label="Response C",
    )
    item = stage2_item(old)
    assert item["parsed_tiers"] == [["Response B"], ["Response A"]]
    assert item["parse_status"] == "no_header"
    assert item["vote"] is None and item["repair"] is None and item["reasoning"] is None
    assert item["parse_reason"] is None and item["parse_conflict"] is None
    # Never counted, so never shown to a Chairman on a resumed run.
    assert vote_of(old.details) == "none" and chair_reviews([old], mask=True) == []


def test_a_parsed_review_keeps_tiers_status_and_reason() -> None:
    record = review("Good work all round.\n\nFINAL RANKING:\n1. Response C\n2. Response A")
    parsed = read_review(record, LABELS)
    item = stage2_item(record)
    assert item["parsed_tiers"] == [list(tier) for tier in parsed.tiers]
    assert item["parsed_ranking"] == parsed.ranking
    assert item["parse_status"] == str(parsed.status)
    assert item["parse_reason"] == parsed.reason


def test_a_json_review_is_shown_as_the_original_text_format() -> None:
    record = review('{"reasoning": "B and C are equal.", "ranking": ["Response A", "Response B"]}')
    parsed = read_review(record, LABELS)
    assert parsed.source == "json"
    assert record.text.startswith("B and C are equal.\n\nFINAL RANKING:\n1. Response A")


def test_the_chairman_reads_counted_reviews_with_their_vote_and_repair() -> None:
    full = review("full one", vote={"counted": "full", "note": ""})
    partial = review("top two", vote={"counted": "partial", "note": "top 2"})
    dropped = review("unreadable", vote={"counted": "none", "note": "failed"})
    repaired = review(
        "prose only",
        vote={"counted": "full", "note": ""},
        repair={"asked": True, "reply": "FINAL RANKING:\n1. Response A", "status": "ok"},
    )
    shown = chair_reviews([full, partial, dropped, repaired], mask=True)
    assert [r.vote for r in shown] == ["full", "partial", "full"]
    assert "unreadable" not in " ".join(r.text.text for r in shown)
    # The repair's reply is part of what the Chairman reads, its header quoted.
    assert "> FINAL RANKING:\n1. Response A" in shown[2].text.text


def test_a_stored_aggregate_gives_the_chairman_the_same_view() -> None:
    def row(label: str, strength: float | None, rank: float | None) -> dict[str, object]:
        return {
            "model": f"m/{label[-1]}",
            "label": label,
            "strength": strength,
            "average_rank": rank,
            "rankings_count": 2,
        }

    rows = [
        row("Response B", 0.9, 1.5),
        row("Response A", -0.9, 1.5),
        row("Response C", None, None),
    ]
    stored = RankingSummary.stored({"aggregate": rows, "no_clear_winner": False})
    assert stored is not None
    assert AggregateView.stored(stored) == AggregateView(["Response B", "Response A"], False)
    # A run stored before strengths (and before "no clear winner") orders by mean rank, and
    # does not claim a clear winner it never measured.
    old_rows = [{"model": "m/a", "label": "Response A", "average_rank": 1.0, "rankings_count": 1}]
    old = RankingSummary.stored({"aggregate": old_rows})
    assert old is not None
    assert AggregateView.stored(old) == AggregateView(["Response A"], True)
    # A value no release stored is read as no summary, not raised to the reader.
    assert RankingSummary.stored({"aggregate": "not rows"}) is None
    assert RankingSummary.stored(None) is None


def test_the_author_is_the_model_that_answered() -> None:
    plain = CallRecord(stage=1, model="m/one", ok=True, answered_by="m/one-2025-01")
    fell_back = CallRecord(
        stage=1, model="m/one", ok=True, answered_by="m/two", fallback_from="m/one"
    )
    assert review_reading.author(plain) == "m/one"
    assert review_reading.author(fell_back) == "m/two"
    assert "one-2025-01" in review_reading.author_names(plain)
