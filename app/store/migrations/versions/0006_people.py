"""People: the volunteers turfs are given to; an assignment keeps its person and its link.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "people",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=False),
        sa.Column("email", sa.String(length=200), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("person_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("link_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("link_seed", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_assignments_person_id"), ["person_id"], unique=False)
        batch_op.create_foreign_key(
            "fk_assignments_person_id_people", "people", ["person_id"], ["id"], ondelete="SET NULL"
        )
        batch_op.create_foreign_key(
            "fk_assignments_link_id_volunteer_links",
            "volunteer_links",
            ["link_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.drop_constraint("fk_assignments_link_id_volunteer_links", type_="foreignkey")
        batch_op.drop_constraint("fk_assignments_person_id_people", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_assignments_person_id"))
        batch_op.drop_column("link_seed")
        batch_op.drop_column("link_id")
        batch_op.drop_column("person_id")
    op.drop_table("people")
