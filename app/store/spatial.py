"""Spatial questions about a plan: which stops, doors and voters lie inside a drawn polygon.

On PostgreSQL with PostGIS the database answers (with the GiST index of migration 0003);
elsewhere the plan's stop points are tested with shapely. Both give the same answer.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import shapely
from sqlalchemy import func, select, text

from app.errors import NotFoundError
from app.store.engine import Database
from app.store.models import Household, Plan, Stop, Turf, Voter

MAX_VERTICES = 10_000


class AreaError(ValueError):
    """A polygon that cannot be used; the message says why."""


def parse_polygon(geometry: dict[str, Any]) -> shapely.Geometry:
    """A valid (Multi)Polygon in lon/lat from a GeoJSON geometry; raises AreaError."""
    try:
        shape = shapely.from_geojson(json.dumps(geometry))
    except (shapely.errors.GEOSException, ValueError, TypeError) as exc:
        raise AreaError(f"not a GeoJSON geometry ({exc})") from None
    if shape is None or shape.geom_type not in ("Polygon", "MultiPolygon"):
        raise AreaError("draw a Polygon or MultiPolygon (lon/lat, EPSG:4326)")
    if shapely.get_num_coordinates(shape) > MAX_VERTICES:
        raise AreaError(f"the polygon has more than {MAX_VERTICES} vertices; simplify it")
    bounds = shapely.bounds(shape)
    if not (-180 <= bounds[0] <= bounds[2] <= 180 and -90 <= bounds[1] <= bounds[3] <= 90):
        raise AreaError("coordinates must be lon/lat (EPSG:4326)")
    if not shape.is_valid:
        shape = shapely.make_valid(shape)
    if shape.is_empty or shape.area == 0:
        raise AreaError("the polygon has no area")
    return shape


def has_postgis(db: Database) -> bool:
    """Whether the database is PostgreSQL with the PostGIS extension enabled."""
    if db.backend != "postgresql":
        return False
    with db.reading() as session:
        found = session.execute(
            text("SELECT 1 FROM pg_extension WHERE extname = 'postgis'")
        ).first()
    return found is not None


def stops_inside(db: Database, plan: str, area: shapely.Geometry) -> dict[str, Any]:
    """Stops of ``plan`` inside ``area`` (in walking order per turf), their doors and voters."""
    with db.reading() as session:
        plan_id = session.scalar(select(Plan.id).where(Plan.name == plan))
        if plan_id is None:
            raise NotFoundError(f"no plan named {plan!r} in the database")
        query = (
            select(Stop.id, Stop.stop_code, Turf.code, Stop.lat, Stop.lon)
            .join(Turf, Turf.id == Stop.turf_id)
            .where(Stop.plan_id == plan_id)
            .order_by(Turf.code, Stop.sequence)
        )
        if has_postgis(db):
            point = func.ST_SetSRID(func.ST_MakePoint(Stop.lon, Stop.lat), 4326)
            area_sql = func.ST_SetSRID(func.ST_GeomFromGeoJSON(shapely.to_geojson(area)), 4326)
            rows = session.execute(query.where(func.ST_Intersects(area_sql, point))).all()
            method = "postgis"
        else:
            candidates = session.execute(query).all()
            lon = np.array([r.lon for r in candidates], dtype=float)
            lat = np.array([r.lat for r in candidates], dtype=float)
            inside = shapely.intersects_xy(area, lon, lat) if candidates else np.array([])
            rows = [r for r, keep in zip(candidates, inside, strict=True) if keep]
            method = "shapely"
        stop_ids = [r.id for r in rows]
        households = session.scalar(
            select(func.count()).select_from(Household).where(Household.stop_id.in_(stop_ids))
        )
        voters = session.scalar(
            select(func.count())
            .select_from(Voter)
            .join(Household, Household.id == Voter.household_id)
            .where(Household.stop_id.in_(stop_ids))
        )
    return {
        "stops": [{"stop_id": r.stop_code, "turf": r.code} for r in rows],
        "households": int(households or 0),
        "voters": int(voters or 0),
        "method": method,
    }
