"""saved presets: a person's own councils and the shared ones administrators keep

Revision ID: 0007_saved_presets
Revises: 0006_documents
Create Date: 2026-12-04

``saved_presets`` holds a council (members, chairman, mode as given) under a name, either for one
person (``owner``: the user's id, or ``local`` in single-user mode) or shared (``shared``, with an
empty owner). A name is unique per owner and among the shared ones.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_saved_presets"
down_revision = "0006_documents"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "saved_presets",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("shared", sa.Boolean(), nullable=False),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("description", sa.String(500), nullable=False),
        sa.Column("members", sa.JSON(), nullable=False),
        sa.Column("chairman", sa.String(300), nullable=False),
        sa.Column("mode", sa.String(50), nullable=True),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.UniqueConstraint("shared", "owner", "name", name="uq_saved_presets_owner_name"),
    )
    op.create_index("ix_saved_presets_owner", "saved_presets", ["owner"])


def downgrade() -> None:
    op.drop_index("ix_saved_presets_owner", table_name="saved_presets")
    op.drop_table("saved_presets")
