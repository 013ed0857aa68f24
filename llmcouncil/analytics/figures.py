"""One settled run's figures, computed from the run as stored (pure; no database).

Reviews are read through ``council.preferences`` like the run's own leaderboard: only counted
reviews (status ok or partial) say anything; a top-k says its listed labels beat the rest;
self-pairs are left out of the pairwise wins. The per-review statistics leave the reviewer's own
answer out too (so self-preference does not leak into position or length bias); self-preference
itself is the run's pairwise measure against disinterested reviewers
(``council.agreement.self_preference_by_reviewer``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from llmcouncil.analytics.stats import kendall_tau_b, spearman
from llmcouncil.council.agreement import Vote, self_preference_by_reviewer
from llmcouncil.council.preferences import (
    COUNTED_STATUSES,
    Tiers,
    clean_tiers,
    doubled_ranks,
    outcome,
    tier_index,
)
from llmcouncil.council.ranking_summary import RankingSummary
from llmcouncil.records import CallRecord, Stage
from llmcouncil.store.records import RunDetail
from llmcouncil.store.tables import utcnow

LENGTH_BIN_LIMIT = 12  # quarter-doublings: ±3 doublings of the length ratio


@dataclass(slots=True)
class RunFigures:
    run: dict[str, Any]
    answers: list[dict[str, Any]] = field(default_factory=list)
    reviews: list[dict[str, Any]] = field(default_factory=list)
    pairs: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Review:
    call: CallRecord
    reviewer: str
    tiers: Tiers | None  # None: not counted
    own_label: str | None
    order: list[str]


def length_bin(length_a: int, length_b: int) -> int:
    ratio = math.log2(max(length_a, 1) / max(length_b, 1))
    return max(-LENGTH_BIN_LIMIT, min(LENGTH_BIN_LIMIT, round(4 * ratio)))


def run_figures(detail: RunDetail) -> RunFigures:
    run = detail.run
    summary = RankingSummary.stored(run.meta) or RankingSummary()
    label_to_model = dict(run.label_to_model or summary.label_to_model)
    answers = {c.model: c for c in detail.calls if c.stage == Stage.ANSWERS and c.ok}
    labels = sorted(label for label, member in label_to_model.items() if member in answers)
    # The model that really wrote each labelled answer (after a fallback, not the member).
    author = {label: _who(answers[label_to_model[label]]) for label in labels}
    lengths = {label: len(answers[label_to_model[label]].text) for label in labels}
    reviews = [_review(c, labels) for c in detail.calls if c.stage == Stage.REVIEWS]
    counted = [r for r in reviews if r.tiers is not None]
    common = {
        "run_id": run.id,
        "user_id": run.user_id,
        "preset": (run.council or {}).get("preset"),
        "settled_at": run.finished_at or utcnow(),
    }
    figures = RunFigures(
        run=_run_row(detail, common, summary=summary, reviews=reviews, author=author)
    )
    wins = _pairs(figures, counted, labels=labels, author=author, lengths=lengths, common=common)
    strengths = {row.label: row.strength for row in summary.aggregate}
    for label in labels:
        call = answers[label_to_model[label]]
        won, compared = wins.get(label, (0.0, 0))
        figures.answers.append(
            {
                **common,
                **_usage(call),
                "model": author[label],
                "label": label,
                "length": lengths[label],
                "wins": won,
                "comparisons": compared,
                "first_places": sum(1 for r in counted if r.tiers and label in r.tiers[0]),
                "rankings": sum(1 for r in counted if r.tiers and label in tier_index(r.tiers)),
                "won": label == summary.winner_label,
                "strength": strengths.get(label),
            }
        )
    self_deltas = _self_deltas(counted, labels)
    for review in reviews:
        figures.reviews.append(
            {
                **common,
                **_usage(review.call),
                **_review_statistics(review, counted, labels=labels, lengths=lengths),
                "reviewer": review.reviewer,
                "configured_reviewer": review.call.model,
                "parse_status": str(review.call.details.get("parse_status") or "failed")[:12],
                "repair_asked": bool(review.call.details.get("repair")),
                "repair_ok": _repaired(review.call),
                "counted": _counted(review),
                "answers": len(labels),
                "top_model": None,
                "self_delta": self_deltas.get(review.reviewer),
            }
        )
        top = figures.reviews[-1]["top_label"]
        figures.reviews[-1]["top_model"] = author.get(top) if top else None
    return figures


def _who(call: CallRecord) -> str:
    return call.answered_by or call.model


def _review(call: CallRecord, labels: list[str]) -> _Review:
    details = call.details
    status = details.get("parse_status")
    vote = details.get("vote") or {}
    tiers: Tiers | None = None
    if call.ok and status in COUNTED_STATUSES and vote.get("counted", "full") != "none":
        raw = details.get("parsed_tiers")
        if raw is None:
            raw = [[label] for label in details.get("parsed_ranking") or []]
        tiers = clean_tiers(raw, labels) or None
    order = [label for label in details.get("presentation_order") or [] if label in labels]
    own = details.get("own_label")
    return _Review(
        call=call,
        reviewer=_who(call),
        tiers=tiers,
        own_label=own if own in labels else None,
        order=order,
    )


def _counted(review: _Review) -> str:
    vote = review.call.details.get("vote") or {}
    if review.tiers is None:
        return "none"
    return str(vote.get("counted") or "full")[:8]


def _repaired(call: CallRecord) -> bool:
    repair = call.details.get("repair") or {}
    return bool(repair) and repair.get("status") in COUNTED_STATUSES


def _usage(call: CallRecord) -> dict[str, Any]:
    return {
        "ok": call.ok,
        "prompt_tokens": call.usage.prompt_tokens,
        "completion_tokens": call.usage.completion_tokens,
        "cost": call.usage.cost,
        "latency_ms": call.latency_ms,
    }


def _pairs(
    figures: RunFigures,
    counted: list[_Review],
    *,
    labels: list[str],
    author: Mapping[str, str],
    lengths: Mapping[str, int],
    common: dict[str, Any],
) -> dict[str, tuple[float, int]]:
    """Fill the pair rows; return each label's (wins, comparisons)."""
    per_label: dict[str, tuple[float, int]] = {}
    for i, a in enumerate(labels):
        for b in labels[i + 1 :]:
            a_wins = b_wins = 0.0
            compared = 0
            for review in counted:
                if review.own_label in (a, b) or review.tiers is None:
                    continue
                said = outcome(tier_index(review.tiers), a, b)
                if said is None:
                    continue
                a_wins += said
                b_wins += 1.0 - said
                compared += 1
            if not compared:
                continue
            for label, won in ((a, a_wins), (b, b_wins)):
                total, count = per_label.get(label, (0.0, 0))
                per_label[label] = (total + won, count + compared)
            first, second = (a, b) if author[a] <= author[b] else (b, a)
            first_wins = a_wins if first == a else b_wins
            figures.pairs.append(
                {
                    **common,
                    "model_a": author[first],
                    "model_b": author[second],
                    "a_wins": first_wins,
                    "b_wins": a_wins + b_wins - first_wins,
                    "length_bin": length_bin(lengths[first], lengths[second]),
                }
            )
    return per_label


def _ranks(tiers: Tiers, labels: list[str]) -> dict[str, float]:
    return {
        label: doubled / 2
        for label, doubled in zip(labels, doubled_ranks(tiers, labels), strict=True)
    }


def _review_statistics(
    review: _Review,
    counted: list[_Review],
    *,
    labels: list[str],
    lengths: Mapping[str, int],
) -> dict[str, Any]:
    empty: dict[str, Any] = {
        "top_label": None,
        "position_rho": None,
        "first_shown_top": None,
        "length_rho": None,
        "length_tau": None,
        "agreement_rho": None,
    }
    if review.tiers is None:
        return empty
    top = review.tiers[0]
    empty["top_label"] = top[0] if len(top) == 1 else None
    others = [label for label in labels if label != review.own_label]
    if len(others) < 2:
        return empty
    ranks = _ranks(review.tiers, labels)
    rank_list = [ranks[label] for label in others]
    goodness = [-r for r in rank_list]
    shown = [label for label in review.order if label != review.own_label]
    if len(shown) == len(others):
        place = {label: position for position, label in enumerate(shown, start=1)}
        # > 0: shown earlier, ranked better (both "smaller is earlier/better").
        empty["position_rho"] = spearman([place[label] for label in others], rank_list)
        empty["first_shown_top"] = ranks[shown[0]] == min(rank_list)
    size = [float(lengths[label]) for label in others]
    empty["length_rho"] = spearman(size, goodness)
    empty["length_tau"] = kendall_tau_b(size, goodness)
    views = [_ranks(r.tiers, labels) for r in counted if r is not review and r.tiers is not None]
    if views:
        consensus = [sum(v[label] for v in views) / len(views) for label in others]
        empty["agreement_rho"] = spearman(rank_list, consensus)
    return empty


def _self_deltas(counted: list[_Review], labels: list[str]) -> dict[str, float]:
    votes = [
        Vote(reviewer=r.call.model, answered_by=r.reviewer, tiers=r.tiers, own_label=r.own_label)
        for r in counted
        if r.tiers is not None
    ]
    return {
        row.answered_by: row.delta
        for row in self_preference_by_reviewer(votes, labels)
        if row.delta is not None
    }


def _run_row(
    detail: RunDetail,
    common: dict[str, Any],
    *,
    summary: RankingSummary,
    reviews: list[_Review],
    author: Mapping[str, str],
) -> dict[str, Any]:
    run = detail.run
    chairs = [c for c in detail.calls if c.stage == Stage.FINAL]
    chair = next((c for c in chairs if c.ok), chairs[-1] if chairs else None)
    costs = [c.usage.cost for c in detail.calls if c.usage.cost is not None]
    winner = summary.winner_label
    duration = None
    if run.finished_at is not None and run.created_at is not None:
        duration = (run.finished_at - run.created_at).total_seconds() * 1000
    return {
        **common,
        "status": run.status,
        "simulated": bool(run.simulated),
        "answers": len(author),
        "reviews": len(reviews),
        "reviews_counted": sum(1 for r in reviews if r.tiers is not None),
        "chairman": _who(chair) if chair is not None else (run.council or {}).get("chairman"),
        "winner_label": winner if winner in author else None,
        "winner_model": author.get(winner) if winner else None,
        "no_clear_winner": summary.no_clear_winner,
        "kendall_w": summary.agreement.kendall_w if summary.agreement else None,
        "calls": len(detail.calls),
        "prompt_tokens": sum(c.usage.prompt_tokens for c in detail.calls),
        "completion_tokens": sum(c.usage.completion_tokens for c in detail.calls),
        "cost": math.fsum(costs) if costs else None,
        "duration_ms": duration,
        "chair_ok": bool(chair and chair.ok),
        "chair_prompt_tokens": sum(c.usage.prompt_tokens for c in chairs),
        "chair_completion_tokens": sum(c.usage.completion_tokens for c in chairs),
        "chair_cost": math.fsum(c.usage.cost for c in chairs if c.usage.cost is not None)
        if any(c.usage.cost is not None for c in chairs)
        else None,
        "chair_latency_ms": chair.latency_ms if chair is not None else None,
    }
