"""Per-run figures (migration 0005_feedback): what analytics reads instead of the reviews.

Written once when a run settles (``recording.record_run_figures``), or by ``council analytics
rebuild`` for runs settled before. No text: numbers, labels and model names only. Every row
repeats the run's owner, preset and settle time, so each analytics query is one indexed
``GROUP BY`` over one table, filtered on those columns.

- ``run_figures``: one row per run (outcome, winner, agreement, cost, tokens, duration).
- ``answer_figures``: one row per answer (model as answerer): its length, peer wins and
  comparisons (self-pairs excluded), first places, and its stage-1 call's usage.
- ``review_figures``: one row per review (model as reviewer): parse outcome and repair, and the
  per-review statistics whose means across runs are the reviewer's biases (position, self,
  length, agreement), with the stage-2 call's usage.
- ``pair_figures``: one row per pair of answers in a run (``model_a`` < ``model_b``): the counted
  reviews' wins of each, and the binned length ratio, for Bradley–Terry fits across runs.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from llmcouncil.store.tables import Base

_USAGE_COLUMNS = ("ok", "prompt_tokens", "completion_tokens", "cost", "latency_ms")
# Covering indexes, group key first (the same in migration 0005): SQLite answers each report's
# GROUP BY from the index alone, in key order, without reading the table's rows.
COVERING: dict[str, tuple[str, ...]] = {
    "pair_figures": ("model_a", "model_b", "length_bin", "a_wins", "b_wins"),
    "answer_figures": ("model", "wins", "comparisons", "won", "first_places", *_USAGE_COLUMNS),
    "review_figures": (
        "reviewer",
        "counted",
        "parse_status",
        "repair_asked",
        "repair_ok",
        "first_shown_top",
        "answers",
        "position_rho",
        "self_delta",
        "length_rho",
        "length_tau",
        "agreement_rho",
        *_USAGE_COLUMNS,
    ),
    "run_figures": ("preset", "prompt_tokens", "completion_tokens", "cost", "duration_ms"),
}


def _filter_indexes(table: str, lead: str | None = None) -> tuple[Index, ...]:
    covering = COVERING[table]
    extra = [c for c in ("user_id", "preset", "settled_at") if c not in covering]
    indexes = (
        Index(f"ix_{table}_settled_at", "settled_at"),
        Index(f"ix_{table}_user_settled", "user_id", "settled_at"),
        Index(f"ix_{table}_preset_settled", "preset", "settled_at"),
        Index(f"ix_{table}_covering", *covering, *extra),
    )
    if lead is None:
        return indexes
    return (*indexes, Index(f"ix_{table}_{lead}_settled", lead, "settled_at"))


class _Filtered:
    user_id: Mapped[str | None] = mapped_column(String(36))
    preset: Mapped[str | None] = mapped_column(String(100))
    settled_at: Mapped[datetime] = mapped_column()


class _Usage:
    ok: Mapped[bool] = mapped_column(Boolean)
    prompt_tokens: Mapped[int] = mapped_column(Integer)
    completion_tokens: Mapped[int] = mapped_column(Integer)
    cost: Mapped[float | None] = mapped_column(Float)
    latency_ms: Mapped[float | None] = mapped_column(Float)


class RunFigureRow(_Filtered, Base):
    __tablename__ = "run_figures"
    __table_args__ = _filter_indexes("run_figures")

    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    status: Mapped[str] = mapped_column(String(20))
    simulated: Mapped[bool] = mapped_column(Boolean)
    answers: Mapped[int] = mapped_column(Integer)
    reviews: Mapped[int] = mapped_column(Integer)
    reviews_counted: Mapped[int] = mapped_column(Integer)
    chairman: Mapped[str | None] = mapped_column(String(300))
    winner_label: Mapped[str | None] = mapped_column(String(20))
    winner_model: Mapped[str | None] = mapped_column(String(300))
    no_clear_winner: Mapped[bool] = mapped_column(Boolean)
    kendall_w: Mapped[float | None] = mapped_column(Float)
    calls: Mapped[int] = mapped_column(Integer)
    prompt_tokens: Mapped[int] = mapped_column(Integer)
    completion_tokens: Mapped[int] = mapped_column(Integer)
    cost: Mapped[float | None] = mapped_column(Float)
    duration_ms: Mapped[float | None] = mapped_column(Float)
    chair_ok: Mapped[bool] = mapped_column(Boolean)
    chair_prompt_tokens: Mapped[int] = mapped_column(Integer)
    chair_completion_tokens: Mapped[int] = mapped_column(Integer)
    chair_cost: Mapped[float | None] = mapped_column(Float)
    chair_latency_ms: Mapped[float | None] = mapped_column(Float)


class AnswerFigureRow(_Filtered, _Usage, Base):
    __tablename__ = "answer_figures"
    __table_args__ = (
        Index("ix_answer_figures_run_id", "run_id"),
        *_filter_indexes("answer_figures", "model"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    model: Mapped[str] = mapped_column(String(300))
    label: Mapped[str] = mapped_column(String(20))
    length: Mapped[int] = mapped_column(Integer)
    wins: Mapped[float] = mapped_column(Float)
    comparisons: Mapped[int] = mapped_column(Integer)
    first_places: Mapped[int] = mapped_column(Integer)
    rankings: Mapped[int] = mapped_column(Integer)
    won: Mapped[bool] = mapped_column(Boolean)
    strength: Mapped[float | None] = mapped_column(Float)


class ReviewFigureRow(_Filtered, _Usage, Base):
    __tablename__ = "review_figures"
    __table_args__ = (
        Index("ix_review_figures_run_id", "run_id"),
        *_filter_indexes("review_figures", "reviewer"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    reviewer: Mapped[str] = mapped_column(String(300))  # the model that wrote the review
    configured_reviewer: Mapped[str] = mapped_column(String(300))
    parse_status: Mapped[str] = mapped_column(String(12))
    repair_asked: Mapped[bool] = mapped_column(Boolean)
    repair_ok: Mapped[bool] = mapped_column(Boolean)
    counted: Mapped[str] = mapped_column(String(8))  # full | partial | none
    answers: Mapped[int] = mapped_column(Integer)
    top_label: Mapped[str | None] = mapped_column(String(20))
    top_model: Mapped[str | None] = mapped_column(String(300))
    # Spearman's rho between the place an answer was shown and how well it was ranked
    # (> 0: answers shown earlier are ranked better).
    position_rho: Mapped[float | None] = mapped_column(Float)
    first_shown_top: Mapped[bool | None] = mapped_column(Boolean)
    # Places by which it ranks its own answer better than the other reviewers do on average.
    self_delta: Mapped[float | None] = mapped_column(Float)
    # Rank correlation of answer length with how well it was ranked (> 0: longer is better).
    length_rho: Mapped[float | None] = mapped_column(Float)
    length_tau: Mapped[float | None] = mapped_column(Float)
    # Spearman's rho with the other reviewers' mean ranks of the same answers.
    agreement_rho: Mapped[float | None] = mapped_column(Float)


class PairFigureRow(_Filtered, Base):
    __tablename__ = "pair_figures"
    __table_args__ = (Index("ix_pair_figures_run_id", "run_id"), *_filter_indexes("pair_figures"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    model_a: Mapped[str] = mapped_column(String(300))
    model_b: Mapped[str] = mapped_column(String(300))
    a_wins: Mapped[float] = mapped_column(Float)
    b_wins: Mapped[float] = mapped_column(Float)
    # round(4 * log2(len_a / len_b)) clipped to ±12: quarter-doublings of the length ratio.
    length_bin: Mapped[int] = mapped_column(Integer)


RUN_FIGURES = Base.metadata.tables[RunFigureRow.__tablename__]
ANSWER_FIGURES = Base.metadata.tables[AnswerFigureRow.__tablename__]
REVIEW_FIGURES = Base.metadata.tables[ReviewFigureRow.__tablename__]
PAIR_FIGURES = Base.metadata.tables[PairFigureRow.__tablename__]
