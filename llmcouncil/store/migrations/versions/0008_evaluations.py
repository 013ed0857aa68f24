"""evaluations: a dataset run through several strategies and judged, resumable call by call

Revision ID: 0008_evaluations
Revises: 0007_saved_presets
Create Date: 2026-12-04

``evaluations`` keeps an evaluation's dataset, strategies, judges, options, status and report;
``evaluation_tasks`` one row per call it makes (a strategy's answer, a judge's reading in one
order), keyed within the evaluation, with the run it started and its result.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_evaluations"
down_revision = "0007_saved_presets"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "evaluations",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("user_id", sa.String(36), nullable=True),
        sa.Column("preset", sa.String(100), nullable=True),
        sa.Column("strategies", sa.JSON(), nullable=False),
        sa.Column("judges", sa.JSON(), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("simulated", sa.Boolean(), nullable=False),
        sa.Column("report", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.Column("finished_at", _TS, nullable=True),
    )
    op.create_index("ix_evaluations_status", "evaluations", ["status"])
    op.create_index("ix_evaluations_user_id", "evaluations", ["user_id"])
    op.create_table(
        "evaluation_tasks",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "evaluation_id",
            sa.String(36),
            sa.ForeignKey("evaluations.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("key", sa.String(400), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("run_id", sa.String(36), nullable=True),
        sa.Column("conversation_id", sa.String(36), nullable=True),
        sa.Column("fingerprint", sa.String(64), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("updated_at", _TS, nullable=False),
        sa.UniqueConstraint("evaluation_id", "key", name="uq_evaluation_tasks_key"),
    )
    op.create_index("ix_evaluation_tasks_evaluation_id", "evaluation_tasks", ["evaluation_id"])
    op.create_index("ix_evaluation_tasks_fingerprint", "evaluation_tasks", ["fingerprint"])


def downgrade() -> None:
    op.drop_index("ix_evaluation_tasks_fingerprint", table_name="evaluation_tasks")
    op.drop_index("ix_evaluation_tasks_evaluation_id", table_name="evaluation_tasks")
    op.drop_table("evaluation_tasks")
    op.drop_index("ix_evaluations_user_id", table_name="evaluations")
    op.drop_index("ix_evaluations_status", table_name="evaluations")
    op.drop_table("evaluations")
