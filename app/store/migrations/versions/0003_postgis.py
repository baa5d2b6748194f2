"""PostGIS (PostgreSQL only, when the extension is available): a spatial index on stop points.

Stops keep plain ``lat``/``lon`` columns on every database; on PostgreSQL with PostGIS the
expression index lets "which stops lie inside this drawn polygon" use GiST instead of a scan.
Without PostGIS (or on SQLite) this revision does nothing and the query runs with shapely.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

INDEX = (
    "CREATE INDEX IF NOT EXISTS ix_stops_point ON stops "
    "USING gist (ST_SetSRID(ST_MakePoint(lon, lat), 4326))"
)


def upgrade() -> None:
    """Enable PostGIS when it is installed and allowed, and index stop points with it."""
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    available = bind.execute(
        sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'")
    ).first()
    if available is None:
        return
    try:
        with bind.begin_nested():
            bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS postgis"))
    except sa.exc.DBAPIError:
        return  # no privilege to create extensions: stay without the index
    bind.execute(sa.text(INDEX))


def downgrade() -> None:
    """Drop the spatial index (the extension stays: other databases objects may use it)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_stops_point")
