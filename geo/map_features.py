"""What a base map draws, read from an OSM extract: streets with names, buildings, house numbers.

One pass of libosmium over the file keeps only what a person on foot needs to tell where they
are: every ``highway`` way (with its name and kind), every building outline (closed ways; a
multipolygon building's outer ring is not read) and every house number (nodes, and building
outlines by their centroid). Coordinates stay in EPSG:4326. Reading is the slow part, so
``read_map_features_cached`` keeps the result on disk keyed by the file's bytes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import osmium
import shapely

from geo._errors import InputError
from geo.disk_cache import file_digest, pickled
from geo.osm import check_osm_path

logger = logging.getLogger(__name__)

# Bump when MapFeatures or how it is read changes, so old cache entries are not reused.
CACHE_VERSION = 1

MAJOR_HIGHWAYS = frozenset(
    {
        "motorway",
        "motorway_link",
        "trunk",
        "trunk_link",
        "primary",
        "primary_link",
        "secondary",
        "secondary_link",
        "tertiary",
        "tertiary_link",
    }
)
PATH_HIGHWAYS = frozenset(
    {"footway", "path", "pedestrian", "steps", "cycleway", "track", "bridleway", "corridor"}
)
SKIPPED_HIGHWAYS = frozenset(
    {"construction", "proposed", "abandoned", "razed", "planned", "platform", "elevator"}
)
# Sidewalks and crossings run beside and across the streets already drawn; driveways and
# parking aisles tell a walker nothing. Leaving them out keeps a turf's map small and legible.
SKIPPED_DETAILS = {
    "footway": frozenset({"sidewalk", "crossing"}),
    "service": frozenset({"driveway", "parking_aisle", "drive-through"}),
}
STREET_KINDS = ("major", "minor", "path")
"""How a street is drawn: ``major`` (tertiary and up), ``minor`` (other roads), ``path``."""


def street_kind(highway: str) -> str:
    """``major``, ``minor`` or ``path`` for an OSM ``highway`` value."""
    if highway in MAJOR_HIGHWAYS:
        return "major"
    if highway in PATH_HIGHWAYS:
        return "path"
    return "minor"


@dataclass(frozen=True)
class MapFeatures:
    """Streets, buildings and house numbers of an extract (EPSG:4326, lon/lat)."""

    streets: np.ndarray
    """LineStrings (shapely array) of highway ways."""
    street_names: np.ndarray
    """The ``name`` of each street ('' when unnamed)."""
    street_kinds: np.ndarray
    """The kind of each street (see ``STREET_KINDS``)."""
    buildings: np.ndarray
    """Polygons (shapely array) of building outlines."""
    numbers: np.ndarray
    """Points (shapely array) of house numbers."""
    number_texts: np.ndarray
    """The ``addr:housenumber`` of each point."""


def _located(way: Any) -> list[tuple[float, float]]:
    return [(n.location.lon, n.location.lat) for n in way.nodes if n.location.valid()]


def _drawn(highway: str, tags: Any) -> bool:
    if not highway or highway in SKIPPED_HIGHWAYS or tags.get("area") == "yes":
        return False
    return not any(tags.get(key, "") in values for key, values in SKIPPED_DETAILS.items())


def read_map_features(path: str | Path) -> MapFeatures:
    """Read the streets, building outlines and house numbers of an OSM extract.

    Ways clipped at the extract's edge keep their located nodes. Raises ``InputError`` naming
    the file when it is not OSM data.
    """
    path = check_osm_path(path)
    lines: list[list[tuple[float, float]]] = []
    names: list[str] = []
    kinds: list[str] = []
    rings: list[list[tuple[float, float]]] = []
    points: list[tuple[float, float]] = []
    texts: list[str] = []
    processor = (
        osmium.FileProcessor(str(path))
        .with_locations()
        .with_filter(osmium.filter.KeyFilter("highway", "building", "addr:housenumber"))
    )
    obj: Any  # osmium yields Node | Way | ...; is_node()/is_way() narrow it
    try:
        for obj in processor:
            tags = obj.tags
            number = tags.get("addr:housenumber", "")
            if obj.is_node():
                if number:
                    points.append((obj.location.lon, obj.location.lat))
                    texts.append(number)
                continue
            if not obj.is_way():
                continue
            coords = _located(obj)
            highway = tags.get("highway", "")
            if _drawn(highway, tags):
                if len(coords) >= 2:
                    lines.append(coords)
                    names.append(tags.get("name", ""))
                    kinds.append(street_kind(highway))
            elif "building" in tags and len(coords) >= 4 and coords[0] == coords[-1]:
                rings.append(coords)
            if number and coords:
                xy = np.asarray(
                    coords[:-1] if len(coords) > 1 and coords[0] == coords[-1] else coords
                )
                points.append((float(xy[:, 0].mean()), float(xy[:, 1].mean())))
                texts.append(number)
    except (RuntimeError, ValueError, osmium.InvalidLocationError) as exc:  # as libosmium says
        raise InputError(
            f"cannot be read as OSM data ({exc}); download or export the extract again", path=path
        ) from exc
    return MapFeatures(
        streets=np.array([shapely.LineString(c) for c in lines], dtype=object),
        street_names=np.array(names, dtype=object),
        street_kinds=np.array(kinds, dtype=object),
        buildings=np.array([shapely.Polygon(r) for r in rings], dtype=object),
        numbers=shapely.points(np.array(points).reshape(-1, 2)),
        number_texts=np.array(texts, dtype=object),
    )


def read_map_features_cached(path: str | Path, cache_dir: Path | None) -> MapFeatures:
    """``read_map_features``, kept in ``cache_dir`` keyed by the file's bytes (None: no cache).

    An unreadable entry is read again; a cache that cannot be written only logs a warning.
    """
    path = check_osm_path(path)
    if cache_dir is None:
        return read_map_features(path)
    entry = cache_dir / f"basemap-{file_digest(path, f'map-features-{CACHE_VERSION}')}.pickle"
    return pickled(entry, MapFeatures, lambda: read_map_features(path), what="base-map")
