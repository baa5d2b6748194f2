"""Results keep the language a volunteer names with a "Language barrier" result.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
# 0006 is being written on another branch at the same time; whoever merges second chains
# this one after it.
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("results", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=40), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("results", schema=None) as batch_op:
        batch_op.drop_column("language")
