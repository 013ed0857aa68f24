"""The peer-ranking section of a council's result, as the terminal shows it.

Reviews are aggregated with Bradley–Terry over the pairs each reviewer ordered, with a bootstrap
interval per model (``council/aggregation.py``). A review can count for nothing: with self-votes
excluded, a reviewer of a two-member council has only pairs involving its own answer. So the
section is shown whenever there were reviews: the table of strengths when any vote counted,
otherwise one line saying why none did, in the words of the votes' own notes.
"""

from __future__ import annotations

from typing import Any

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text


def peer_ranking(payload: dict[str, Any]) -> list[RenderableType]:
    """What to print about the reviews of ``payload`` (a run's result); nothing if none."""
    meta: dict[str, Any] = payload.get("metadata") or {}
    if not payload.get("stage2"):
        return []
    if meta.get("ranking_skipped"):
        reason = meta.get("ranking_skipped_reason") or "the reviews were skipped"
        return [Text(f"Peer ranking: none — {reason}")]
    rows = [r for r in meta.get("aggregate") or [] if r.get("strength") is not None]
    if not rows:
        return [Text(f"Peer ranking: no vote counted — {_why_none_counted(meta)}")]
    confidence = (meta.get("aggregation") or {}).get("confidence") or 0.95
    table = Table(title="Peer ranking (Bradley–Terry strength; higher is better)")
    for column in ("#", "model", "strength", f"{confidence:.0%} interval", "average rank", "votes"):
        # A model's name is folded onto a second line when narrow, never cut.
        table.add_column(column, overflow="fold" if column == "model" else "ellipsis")
    for place, row in enumerate(rows, start=1):
        table.add_row(
            str(place),
            str(row["model"]),
            f"{row['strength']:+.2f}",
            _interval(row.get("ci_low"), row.get("ci_high")),
            _number(row.get("average_rank")),
            str(row.get("rankings_count", 0)),
        )
    parts: list[RenderableType] = [table]
    note = _by_model_name(str(meta.get("winner_note") or ""), meta.get("label_to_model") or {})
    if meta.get("no_clear_winner") and "no clear winner" not in note.lower():
        note = f"No clear winner. {note}".strip()
    if note:
        parts.append(Text(note))
    return parts


def _by_model_name(note: str, label_to_model: dict[str, str]) -> str:
    """The note with the anonymous labels the reviewers saw ("Response A") named, as the
    table names them. Longest labels first, so "Response A" never clips "Response AB"."""
    for label in sorted(label_to_model, key=len, reverse=True):
        note = note.replace(label, label_to_model[label])
    return note


def _why_none_counted(meta: dict[str, Any]) -> str:
    """The votes' notes, each once, with the reviewers it applies to."""
    by_note: dict[str, list[str]] = {}
    for vote in meta.get("votes") or []:
        note = str(vote.get("note") or "").strip().removeprefix("Not counted:").strip()
        by_note.setdefault(note.rstrip(".") or "not counted", []).append(
            str(vote.get("reviewer", "?"))
        )
    if not by_note:
        return str(meta.get("winner_note") or "no review could be read as a ranking.")
    return "; ".join(f"{note} ({', '.join(reviewers)})." for note, reviewers in by_note.items())


def _interval(low: float | None, high: float | None) -> str:
    if low is None or high is None:
        return "—"
    return f"{low:+.2f} … {high:+.2f}"


def _number(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"
