"""background usage: model calls made outside a run (a document's chapter summaries) in the ledger

Revision ID: 0016_background_usage
Revises: 0015_document_status
Create Date: 2026-12-04

A job that writes a book's chapter summaries (``documents/summary_jobs.py``) calls models for
no run. Its calls are charged to the conversation's owner like a run's, so ``usage_records``
takes a row without a run and without a ``model_calls`` row: ``run_id`` and ``model_call_id``
become nullable (the unique key still keeps each run call recorded once; NULLs do not
collide), and ``document_id`` names the document the calls were for.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016_background_usage"
down_revision = "0015_document_status"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("usage_records", schema=None) as batch_op:
        batch_op.alter_column("run_id", existing_type=sa.String(length=36), nullable=True)
        batch_op.alter_column("model_call_id", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("document_id", sa.String(length=36), nullable=True))


def downgrade() -> None:
    op.execute("DELETE FROM usage_records WHERE run_id IS NULL OR model_call_id IS NULL")
    with op.batch_alter_table("usage_records", schema=None) as batch_op:
        batch_op.drop_column("document_id")
        batch_op.alter_column("model_call_id", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("run_id", existing_type=sa.String(length=36), nullable=False)
