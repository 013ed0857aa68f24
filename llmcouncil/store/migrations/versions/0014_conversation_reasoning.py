"""conversation reasoning: effort and output budgets chosen for a conversation's council

Revision ID: 0014_conversation_reasoning
Revises: 0013_saved_preset_reasoning
Create Date: 2026-12-04

A conversation composed in the council picker keeps the reasoning effort and output budgets
chosen there (per stage and per model, ``StageReasoning``'s set fields), which its runs apply
over the preset's; null: the preset's.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_conversation_reasoning"
down_revision = "0013_saved_preset_reasoning"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reasoning", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_column("reasoning")
