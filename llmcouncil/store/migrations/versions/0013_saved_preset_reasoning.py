"""saved preset reasoning: effort and output budgets kept with a saved preset

Revision ID: 0013_saved_preset_reasoning
Revises: 0012_evaluation_workers
Create Date: 2026-12-04

A saved preset keeps, beside its members, chairman and mode, the reasoning effort and output
budgets chosen per stage and per model in the council picker (presets/tables.py); null: none.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_saved_preset_reasoning"
down_revision = "0012_evaluation_workers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("saved_presets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reasoning", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("saved_presets", schema=None) as batch_op:
        batch_op.drop_column("reasoning")
