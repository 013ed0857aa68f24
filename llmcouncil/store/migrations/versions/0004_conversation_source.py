"""conversations: where each was started (web, api, cli, v1, mcp)

Revision ID: 0004_conversation_source
Revises: 0003_merge_heads
Create Date: 2026-12-03

Rows from before this revision are marked "web": which of them came from /v1 or MCP was not
recorded, and showing a few too many in the sidebar is better than hiding a person's own.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_conversation_source"
down_revision = "0003_merge_heads"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("source", sa.String(length=10), nullable=False, server_default="web")
        )


def downgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_column("source")
