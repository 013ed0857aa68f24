"""document status: an upload is read in a background job, so a document can be processing

Revision ID: 0015_document_status
Revises: 0014_conversation_reasoning
Create Date: 2026-12-04

``status``: ``processing`` (stored, its job not done), ``ready`` (read, redacted and
sectioned) or ``failed`` (``error`` says why: ``{code, message}``). Documents stored before
this revision were read at upload, so they are ``ready``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_document_status"
down_revision = "0014_conversation_reasoning"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("status", sa.String(length=12), nullable=False, server_default="ready")
        )
        batch_op.add_column(sa.Column("error", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_column("error")
        batch_op.drop_column("status")
