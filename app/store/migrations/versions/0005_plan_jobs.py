"""Plan jobs in the database: every server process sees every job.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "plan_jobs",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("plan", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("stage", sa.String(length=64), nullable=False),
        sa.Column("progress", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("plan_jobs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plan_jobs_plan"), ["plan"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("plan_jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_jobs_plan"))
    op.drop_table("plan_jobs")
