"""OpenStreetMap address points (nodes and building outlines with addr:* tags), via libosmium."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import osmium
import pandas as pd

from geo._errors import InputError

logger = logging.getLogger(__name__)

OSM_SUFFIXES = (".osm.pbf", ".pbf", ".osm", ".osm.bz2", ".osm.gz")


def check_osm_path(path: str | Path) -> Path:
    """Return ``path`` if it names a readable OSM extract, else raise ``InputError``."""
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", path=path)
    if path.is_dir():
        raise InputError("is a folder, not an OSM extract", path=path)
    if not path.name.lower().endswith(OSM_SUFFIXES):
        raise InputError(
            f"not an OSM extract; expected one of {', '.join(OSM_SUFFIXES)}", path=path
        )
    if path.stat().st_size == 0:
        raise InputError("the file is empty", path=path)
    return path


def read_address_points(path: str | Path) -> gpd.GeoDataFrame:
    """Read every object with ``addr:housenumber`` as a point (building outlines by centroid).

    Returns columns ``osm_type``, ``osm_id``, ``street``, ``house_number``, ``postcode``,
    ``city``, ``building`` and ``building_levels`` in EPSG:4326. Ways missing node locations
    (clipped at the extract's edge) are left out.
    """
    path = check_osm_path(path)
    rows: list[tuple[Any, ...]] = []
    processor = (
        osmium.FileProcessor(str(path))
        .with_locations()
        .with_filter(osmium.filter.KeyFilter("addr:housenumber"))
    )
    obj: Any  # osmium yields Node | Way | ...; the is_node()/is_way() checks narrow it
    try:
        for obj in processor:
            tags = obj.tags
            if obj.is_node():
                lon, lat = obj.location.lon, obj.location.lat
            elif obj.is_way():
                coords = [(n.location.lon, n.location.lat) for n in obj.nodes if n.location.valid()]
                if not coords:
                    continue
                xy = np.asarray(coords)
                # A closed outline repeats its first node; leave it out of the mean.
                if len(xy) > 1 and (xy[0] == xy[-1]).all():
                    xy = xy[:-1]
                lon, lat = xy.mean(axis=0)
            else:
                continue
            rows.append(
                (
                    "node" if obj.is_node() else "way",
                    obj.id,
                    tags.get("addr:street", ""),
                    tags.get("addr:housenumber", ""),
                    tags.get("addr:postcode", ""),
                    tags.get("addr:city", ""),
                    tags.get("building", ""),
                    tags.get("building:levels", ""),
                    float(lon),
                    float(lat),
                )
            )
    except (RuntimeError, ValueError, osmium.InvalidLocationError) as exc:  # as libosmium says
        raise InputError(
            f"cannot be read as OSM data ({exc}); download or export the extract again", path=path
        ) from exc
    columns = [
        "osm_type",
        "osm_id",
        "street",
        "house_number",
        "postcode",
        "city",
        "building",
        "building_levels",
        "lon",
        "lat",
    ]
    frame = pd.DataFrame(rows, columns=columns)
    return gpd.GeoDataFrame(
        frame.drop(columns=["lon", "lat"]),
        geometry=gpd.points_from_xy(frame["lon"], frame["lat"]),
        crs="EPSG:4326",
    )


def address_points_or_empty(streets: str | Path) -> gpd.GeoDataFrame:
    """OSM address points of the street data, or none when it is not an OSM file.

    Street data may also be an osmnx GraphML file or ``place:NAME``, which hold no address
    points: the frame then has no rows and only the ``street``, ``house_number``, ``postcode``
    and ``city`` columns, and geocoding places rows by interpolation alone (logged at INFO).
    Pass it to ``geo.voters.read_voters`` as ``lambda: address_points_or_empty(streets)``
    so the file is read only when a row needs geocoding.
    """
    if str(streets).lower().endswith(OSM_SUFFIXES):
        return read_address_points(streets)
    logger.info("%s is not an OSM file: geocoding uses interpolation only", streets)
    return gpd.GeoDataFrame(
        {c: [] for c in ("street", "house_number", "postcode", "city")},
        geometry=gpd.GeoSeries([], crs="EPSG:4326"),
    )
