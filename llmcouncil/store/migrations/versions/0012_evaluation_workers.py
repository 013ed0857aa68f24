"""evaluation workers: the instance running an evaluation

Revision ID: 0012_evaluation_workers
Revises: 0011_batches
Create Date: 2026-12-04

An active evaluation names the instance running it, as a run does (store/instances.py): a
server starting beside others interrupts only the evaluations of instances that are gone, and
none is resumed twice.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_evaluation_workers"
down_revision = "0011_batches"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("evaluations") as batch:
        batch.add_column(sa.Column("worker_id", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("evaluations") as batch:
        batch.drop_column("worker_id")
