"""merge the governance and privacy branches into one head

Revision ID: 0003_merge_heads
Revises: 0002_governance, 0002_privacy
Create Date: 2026-12-03
"""

from __future__ import annotations

revision = "0003_merge_heads"
down_revision = ("0002_governance", "0002_privacy")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
