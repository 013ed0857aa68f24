"""instances: the server processes on this database and their heartbeats

Revision ID: 0009_instances
Revises: 0008_evaluations
Create Date: 2026-12-04

A run's ``worker_id`` names the instance executing it; that instance is alive while its
``heartbeat_at`` is recent. Start-up and the periodic sweep interrupt only the running runs of
instances that are gone, never those of a live one (store/instances.py).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_instances"
down_revision = "0008_evaluations"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "instances",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("started_at", _TS, nullable=False),
        sa.Column("heartbeat_at", _TS, nullable=False),
    )
    op.create_index("ix_instances_heartbeat_at", "instances", ["heartbeat_at"])


def downgrade() -> None:
    op.drop_index("ix_instances_heartbeat_at", table_name="instances")
    op.drop_table("instances")
