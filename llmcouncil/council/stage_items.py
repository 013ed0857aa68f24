"""A stage's calls as the API shows them: the live stream and a reloaded run both use these.

The prototype's JSON shapes plus our added fields; the stage-3 answer is
``final_answer.FinalAnswer``.
"""

from __future__ import annotations

from typing import Any

from llmcouncil.records import CallRecord, call_fields


def stage1_item(record: CallRecord) -> dict[str, Any]:
    return {
        "model": record.model,
        "response": record.text,
        "reasoning": record.details.get("reasoning"),
        **call_fields(record),
    }


def stage2_item(record: CallRecord) -> dict[str, Any]:
    """A review. Rows stored before rankings had tiers (status "no_header" among them) render
    with one label per tier and no vote."""
    details = record.details
    ranking = list(details.get("parsed_ranking", []))
    tiers = details.get("parsed_tiers")
    return {
        "model": record.model,
        "ranking": record.text,
        "parsed_ranking": ranking,
        "parsed_tiers": [list(tier) for tier in tiers]
        if tiers is not None
        else [[label] for label in ranking],
        "parse_status": details.get("parse_status"),
        "parse_reason": details.get("parse_reason"),
        "parse_conflict": details.get("parse_conflict"),
        "parse_issues": list(details.get("parse_issues", [])),
        "parse_source": details.get("parse_source"),
        "presentation_order": list(details.get("presentation_order", [])),
        "own_label": details.get("own_label"),
        "vote": details.get("vote"),
        "repair": details.get("repair"),
        "reasoning": details.get("reasoning"),
        **call_fields(record),
    }
