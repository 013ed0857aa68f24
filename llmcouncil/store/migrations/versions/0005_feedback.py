"""feedback and analytics: people's votes on runs, and per-run figures for analytics

Revision ID: 0005_feedback
Revises: 0004_conversation_source
Create Date: 2026-12-04

``run_votes`` holds one vote per person per run (changeable), with the run's seed and
presentation orders as they were when the vote was cast. The four ``*_figures`` tables hold what
analytics needs of each settled run (no prompt or answer text, only numbers, labels and model
names), written once when the run settles, so analytics over many runs is an indexed GROUP BY
over these rows rather than a re-reading of every review. Each figure row repeats the run's
owner, preset and settle time, the filters every analytics query uses.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_feedback"
down_revision = "0004_conversation_source"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)
_FIGURE_TABLES = ("answer_figures", "review_figures", "pair_figures")
_FILTER_COLUMNS = ("user_id", "preset", "settled_at")
_USAGE_COLUMNS = ("ok", "prompt_tokens", "completion_tokens", "cost", "latency_ms")
# Covering indexes, group key first: SQLite answers each report's GROUP BY from the index alone,
# in key order, without reading the table (analytics.tables says which query uses which).
COVERING = {
    "pair_figures": ("model_a", "model_b", "length_bin", "a_wins", "b_wins"),
    "answer_figures": (
        "model",
        "wins",
        "comparisons",
        "won",
        "first_places",
        *_USAGE_COLUMNS,
    ),
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


def _run_key() -> sa.Column[str]:
    return sa.Column(
        "run_id", sa.String(length=36), sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False
    )


def _filters() -> list[sa.Column[object]]:
    return [
        sa.Column("user_id", sa.String(length=36), nullable=True),
        sa.Column("preset", sa.String(length=100), nullable=True),
        sa.Column("settled_at", _TS, nullable=False),
    ]


def _usage() -> list[sa.Column[object]]:
    return [
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("prompt_tokens", sa.Integer(), nullable=False),
        sa.Column("completion_tokens", sa.Integer(), nullable=False),
        sa.Column("cost", sa.Float(), nullable=True),
        sa.Column("latency_ms", sa.Float(), nullable=True),
    ]


def _filter_indexes(table: str, lead: str | None = None) -> None:
    op.create_index(f"ix_{table}_settled_at", table, ["settled_at"])
    op.create_index(f"ix_{table}_user_settled", table, ["user_id", "settled_at"])
    op.create_index(f"ix_{table}_preset_settled", table, ["preset", "settled_at"])
    if lead is not None:
        op.create_index(f"ix_{table}_{lead}_settled", table, [lead, "settled_at"])


def upgrade() -> None:
    op.create_table(
        "run_votes",
        sa.Column("id", sa.String(length=36), nullable=False),
        _run_key(),
        sa.Column("conversation_id", sa.String(length=36), nullable=False),
        sa.Column("voter", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=True),
        sa.Column("preferred_label", sa.String(length=20), nullable=True),
        sa.Column("preferred_model", sa.String(length=300), nullable=True),
        sa.Column("ranking", sa.JSON(), nullable=True),
        sa.Column("blind", sa.Boolean(), nullable=False),
        sa.Column("rating", sa.String(length=4), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("council_wrong", sa.Boolean(), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("presentation_orders", sa.JSON(), nullable=True),
        sa.Column("label_to_model", sa.JSON(), nullable=True),
        sa.Column("council_top_label", sa.String(length=20), nullable=True),
        sa.Column("preset", sa.String(length=100), nullable=True),
        sa.Column("chairman", sa.String(length=300), nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("run_id", "voter", name="uq_run_votes_run_voter"),
    )
    op.create_index("ix_run_votes_user_updated", "run_votes", ["user_id", "updated_at"])
    op.create_index("ix_run_votes_preset_updated", "run_votes", ["preset", "updated_at"])
    op.create_index("ix_run_votes_updated_at", "run_votes", ["updated_at"])

    op.create_table(
        "run_figures",
        _run_key(),
        *_filters(),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("simulated", sa.Boolean(), nullable=False),
        sa.Column("answers", sa.Integer(), nullable=False),
        sa.Column("reviews", sa.Integer(), nullable=False),
        sa.Column("reviews_counted", sa.Integer(), nullable=False),
        sa.Column("chairman", sa.String(length=300), nullable=True),
        sa.Column("winner_label", sa.String(length=20), nullable=True),
        sa.Column("winner_model", sa.String(length=300), nullable=True),
        sa.Column("no_clear_winner", sa.Boolean(), nullable=False),
        sa.Column("kendall_w", sa.Float(), nullable=True),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.Column("prompt_tokens", sa.Integer(), nullable=False),
        sa.Column("completion_tokens", sa.Integer(), nullable=False),
        sa.Column("cost", sa.Float(), nullable=True),
        sa.Column("duration_ms", sa.Float(), nullable=True),
        sa.Column("chair_ok", sa.Boolean(), nullable=False),
        sa.Column("chair_prompt_tokens", sa.Integer(), nullable=False),
        sa.Column("chair_completion_tokens", sa.Integer(), nullable=False),
        sa.Column("chair_cost", sa.Float(), nullable=True),
        sa.Column("chair_latency_ms", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("run_id"),
    )
    _filter_indexes("run_figures")

    op.create_table(
        "answer_figures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        _run_key(),
        *_filters(),
        sa.Column("model", sa.String(length=300), nullable=False),
        sa.Column("label", sa.String(length=20), nullable=False),
        sa.Column("length", sa.Integer(), nullable=False),
        sa.Column("wins", sa.Float(), nullable=False),
        sa.Column("comparisons", sa.Integer(), nullable=False),
        sa.Column("first_places", sa.Integer(), nullable=False),
        sa.Column("rankings", sa.Integer(), nullable=False),
        sa.Column("won", sa.Boolean(), nullable=False),
        sa.Column("strength", sa.Float(), nullable=True),
        *_usage(),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_answer_figures_run_id", "answer_figures", ["run_id"])

    op.create_table(
        "review_figures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        _run_key(),
        *_filters(),
        sa.Column("reviewer", sa.String(length=300), nullable=False),
        sa.Column("configured_reviewer", sa.String(length=300), nullable=False),
        sa.Column("parse_status", sa.String(length=12), nullable=False),
        sa.Column("repair_asked", sa.Boolean(), nullable=False),
        sa.Column("repair_ok", sa.Boolean(), nullable=False),
        sa.Column("counted", sa.String(length=8), nullable=False),
        sa.Column("answers", sa.Integer(), nullable=False),
        sa.Column("top_label", sa.String(length=20), nullable=True),
        sa.Column("top_model", sa.String(length=300), nullable=True),
        sa.Column("position_rho", sa.Float(), nullable=True),
        sa.Column("first_shown_top", sa.Boolean(), nullable=True),
        sa.Column("self_delta", sa.Float(), nullable=True),
        sa.Column("length_rho", sa.Float(), nullable=True),
        sa.Column("length_tau", sa.Float(), nullable=True),
        sa.Column("agreement_rho", sa.Float(), nullable=True),
        *_usage(),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_review_figures_run_id", "review_figures", ["run_id"])

    op.create_table(
        "pair_figures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        _run_key(),
        *_filters(),
        sa.Column("model_a", sa.String(length=300), nullable=False),
        sa.Column("model_b", sa.String(length=300), nullable=False),
        sa.Column("a_wins", sa.Float(), nullable=False),
        sa.Column("b_wins", sa.Float(), nullable=False),
        sa.Column("length_bin", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_pair_figures_run_id", "pair_figures", ["run_id"])

    _filter_indexes("answer_figures", "model")
    _filter_indexes("review_figures", "reviewer")
    _filter_indexes("pair_figures")
    for table, columns in COVERING.items():
        extra = [c for c in _FILTER_COLUMNS if c not in columns]
        op.create_index(f"ix_{table}_covering", table, [*columns, *extra])


def downgrade() -> None:
    for table in (*_FIGURE_TABLES, "run_figures"):
        op.drop_table(table)
    op.drop_table("run_votes")
