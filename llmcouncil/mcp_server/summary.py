"""A council's result, compact enough for another model to read: the answer, then who won the
peer review (Bradley-Terry strength with its interval, and whether there is a clear winner), how
much the reviewers agreed, how many reviews counted, and what failed.

Agreement is Kendall's W over the reviewers' rankings: 1 means every reviewer ranked the answers
the same way, 0 no shared view at all. The thresholds that name it (strong from 0.7, moderate
from 0.4) are conventional readings of W, not statistics tests.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

STRONG = 0.7
MODERATE = 0.4
NOTABLE_SELF_PREFERENCE = 0.5  # places


class RankedModel(BaseModel):
    rank: int
    model: str
    average_rank: float | None
    first_place_votes: int
    strength: float | None = None  # Bradley-Terry log-strength; None in runs stored before it
    ci_low: float | None = None
    ci_high: float | None = None


class FailedModel(BaseModel):
    model: str
    stage: int
    kind: str


class ConsultResult(BaseModel):
    answer: str
    degraded: bool
    preset: str | None
    chairman: str | None
    ranking: list[RankedModel]
    kendall_w: float | None
    agreement: str
    no_clear_winner: bool = False
    votes_counted: int | None = None  # reviews whose ranking counted (fully or as a top-k)
    votes_cast: int | None = None
    disagreement: str
    failed_models: list[FailedModel]
    conversation_id: str
    run_id: str
    simulated: bool
    mode: str = "classic"
    # The chairman's consensus, contradictions, gaps and confidence, when it gave them.
    structured: dict[str, Any] | None = None


def agreement_level(w: float | None) -> str:
    if w is None:
        return "unknown"
    return "strong" if w >= STRONG else "moderate" if w >= MODERATE else "weak"


def _disagreement(metadata: dict[str, Any], ranking: list[RankedModel]) -> str:
    if metadata.get("ranking_skipped"):
        reason = metadata.get("ranking_skipped_reason") or "no ranking"
        return f"No peer review: {reason}."
    agreement = metadata.get("agreement") or {}
    w = agreement.get("kendall_w")
    parts = []
    if w is None:
        parts.append("Too few rankings to measure agreement.")
    else:
        reviewers = agreement.get("reviewers") or 0
        parts.append(
            f"{agreement_level(w).capitalize()} agreement among {reviewers} reviewers "
            f"(Kendall's W {w:.2f})."
        )
    if metadata.get("no_clear_winner"):
        parts.append("No clear winner: the top answers' confidence intervals overlap.")
    votes = metadata.get("votes") or []
    uncounted = [v for v in votes if v.get("counted") == "none"]
    if uncounted:
        parts.append(f"{len(uncounted)} of {len(votes)} reviews could not be counted.")
    firsts = [r for r in ranking if r.first_place_votes > 0]
    if len(firsts) > 1:
        split = ", ".join(f"{r.model} ({r.first_place_votes})" for r in firsts)
        parts.append(f"First place was split: {split}.")
    elif firsts:
        parts.append(f"Every reviewer who ranked put {firsts[0].model} first.")
    preference = agreement.get("self_preference")
    if preference is not None and preference >= NOTABLE_SELF_PREFERENCE:
        parts.append(
            f"Reviewers placed their own answers {preference:.1f} places better than peers did."
        )
    return " ".join(parts)


def _standing(row: RankedModel) -> str:
    if row.strength is None:
        return f"average rank {row.average_rank}"
    interval = (
        f", 95% interval {row.ci_low:+.2f} to {row.ci_high:+.2f}"
        if row.ci_low is not None and row.ci_high is not None
        else ""
    )
    return f"strength {row.strength:+.2f}{interval}"


def summarize(result: dict[str, Any], *, conversation_id: str) -> ConsultResult:
    """``result`` is the stored run as ``transcript.result_payload`` renders it."""
    metadata = result.get("metadata") or {}
    final = result.get("stage3") or {}
    rows = [
        r
        for r in metadata.get("aggregate") or []
        if r.get("strength") is not None or r.get("average_rank") is not None
    ]
    ranking = [
        RankedModel(
            rank=i,
            model=str(row["model"]),
            average_rank=row.get("average_rank"),
            first_place_votes=int(row.get("first_place_votes") or 0),
            strength=row.get("strength"),
            ci_low=row.get("ci_low"),
            ci_high=row.get("ci_high"),
        )
        for i, row in enumerate(rows, start=1)
    ]
    agreement = metadata.get("agreement") or {}
    votes = metadata.get("votes")
    return ConsultResult(
        answer=str(final.get("response", "")),
        mode=str(result.get("mode") or "classic"),
        structured=final.get("structured"),
        degraded=bool(final.get("degraded")),
        preset=metadata.get("preset"),
        chairman=final.get("model"),
        ranking=ranking,
        kendall_w=agreement.get("kendall_w"),
        agreement=agreement_level(agreement.get("kendall_w")),
        no_clear_winner=bool(metadata.get("no_clear_winner")),
        votes_counted=None
        if votes is None
        else sum(1 for v in votes if v.get("counted") in ("full", "partial")),
        votes_cast=None if votes is None else len(votes),
        disagreement=_disagreement(metadata, ranking),
        failed_models=[
            FailedModel(model=str(e["model"]), stage=int(e["stage"]), kind=str(e["kind"]))
            for e in result.get("errors") or []
        ],
        conversation_id=conversation_id,
        run_id=str(result["run_id"]),
        simulated=bool(final.get("simulated")),
    )


def as_text(summary: ConsultResult) -> str:
    """What the calling model reads: the answer first, the deliberation in a few lines after."""
    lines = [summary.answer, "", "---", "Council deliberation:"]
    if summary.degraded:
        lines.append("- No Chairman answered; the text above is the top-ranked member's answer.")
    if summary.ranking:
        ranked = "; ".join(f"{r.rank}. {r.model} ({_standing(r)})" for r in summary.ranking)
        lines.append(f"- Peer ranking (best first): {ranked}")
    lines.append(f"- {summary.disagreement}")
    if summary.failed_models:
        failed = ", ".join(f"{f.model} (stage {f.stage}, {f.kind})" for f in summary.failed_models)
        lines.append(f"- Failed: {failed}")
    if summary.simulated:
        lines.append("- Simulated output (demo mode): no real model produced this.")
    return "\n".join(lines)
