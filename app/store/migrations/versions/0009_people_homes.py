"""People: where each volunteer starts from, their hours and who they walk with (issue 18).

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
# Another branch may add its own 0009 at the same time; whoever merges second renumbers.
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("home", sa.String(length=300), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("hours", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("pairs_with", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_people_pairs_with_people", "people", ["pairs_with"], ["id"], ondelete="SET NULL"
        )


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_constraint("fk_people_pairs_with_people", type_="foreignkey")
        batch_op.drop_column("pairs_with")
        batch_op.drop_column("hours")
        batch_op.drop_column("home")
