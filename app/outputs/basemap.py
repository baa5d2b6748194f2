"""The base map every map of a plan draws under its routes: drawn from the plan's own street data.

With no tiles (offline, blocked, or none configured) a person still needs to see which street is
which. The plan's OSM extract holds the streets with their names, building outlines and house
numbers; ``PlanBaseMap`` reads them once per plan (``geo.map_features``, cached on disk), and
``turf_base_map`` cuts out what one turf's map needs: the turf's box plus a margin, coordinates
rounded to about a metre, lines simplified, and label positions worked out here (a point on the
street, its angle, the name) so the page only places them. Street data that is not an OSM file
(an osmnx graph, a place name) has no buildings or house numbers: the streets then come from the
plan's walk graph.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely
from scipy.spatial import cKDTree

from geo.map_features import STREET_KINDS, MapFeatures, read_map_features_cached, street_kind
from geo.osm import OSM_SUFFIXES

if TYPE_CHECKING:
    from app.planning.pipeline import Plan

METRES_PER_DEGREE = 111_320.0
DIGITS = 5
"""Decimal places of a written coordinate: 1e-5 degrees is about a metre."""
TURF_MARGIN_M = 150.0
"""How far past a turf's outline its base map reaches (the streets around it)."""
SIMPLIFY_M = 1.0
LABEL_EVERY_M = 90.0
"""Spacing of repeated name labels along a long street."""
LABEL_MIN_M = 25.0
"""A named piece shorter than this gets no label of its own."""


@dataclass(frozen=True)
class PlanBaseMap:
    """A plan's base-map features in a local metric frame (x east, y north, metres)."""

    lat0: float
    lon0: float
    streets: np.ndarray
    names: np.ndarray
    kinds: np.ndarray
    buildings: np.ndarray
    numbers: np.ndarray
    number_texts: np.ndarray
    street_tree: shapely.STRtree
    building_tree: shapely.STRtree
    number_tree: shapely.STRtree

    def to_metric(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Longitude, latitude to the local frame (equirectangular about the plan's centre)."""
        scale = METRES_PER_DEGREE * math.cos(math.radians(self.lat0))
        return (np.asarray(lon) - self.lon0) * scale, (
            np.asarray(lat) - self.lat0
        ) * METRES_PER_DEGREE

    def lat_lon(self, xy: np.ndarray) -> np.ndarray:
        """(N, 2) local x, y to (N, 2) latitude, longitude rounded for writing."""
        scale = METRES_PER_DEGREE * math.cos(math.radians(self.lat0))
        lat = xy[:, 1] / METRES_PER_DEGREE + self.lat0
        lon = xy[:, 0] / scale + self.lon0
        return np.round(np.column_stack([lat, lon]), DIGITS)

    def box(
        self, bounds_lonlat: tuple[float, float, float, float], margin_m: float
    ) -> shapely.Polygon:
        """The local-frame box of (west, south, east, north) grown by ``margin_m``."""
        west, south, east, north = bounds_lonlat
        x, y = self.to_metric(np.array([west, east]), np.array([south, north]))
        return shapely.box(x[0] - margin_m, y[0] - margin_m, x[1] + margin_m, y[1] + margin_m)


def _to_frame(geoms: np.ndarray, lat0: float, lon0: float) -> np.ndarray:
    if len(geoms) == 0:
        return np.array([], dtype=object)
    scale = METRES_PER_DEGREE * math.cos(math.radians(lat0))
    return shapely.transform(
        geoms,
        lambda c: np.column_stack([(c[:, 0] - lon0) * scale, (c[:, 1] - lat0) * METRES_PER_DEGREE]),
    )


def _from_graph(plan: Plan) -> MapFeatures:
    """Streets only, from the plan's walk graph (street data that is not an OSM file)."""
    edges = plan.graph.edges
    coords = shapely.get_coordinates(edges.geometry.to_numpy())
    lon, lat = plan.graph.to_lonlat(coords[:, 0], coords[:, 1])
    counts = shapely.get_num_coordinates(edges.geometry.to_numpy())
    offsets = np.repeat(np.arange(len(counts)), counts)
    lonlat = shapely.linestrings(np.column_stack([lon, lat]), indices=offsets)
    return MapFeatures(
        streets=np.asarray(lonlat, dtype=object),
        street_names=edges["name"].fillna("").astype(str).to_numpy(dtype=object),
        street_kinds=np.array([street_kind(h) for h in edges["highway"]], dtype=object),
        buildings=np.array([], dtype=object),
        numbers=np.array([], dtype=object),
        number_texts=np.array([], dtype=object),
    )


def plan_base_map(plan: Plan) -> PlanBaseMap:
    """The base map of ``plan``: from its OSM extract (cached), else from its walk graph."""
    source = plan.request.streets
    cache_dir = plan.request.graph_cache_dir
    if str(source).lower().endswith(OSM_SUFFIXES) and Path(source).is_file():
        stat = Path(source).stat()
        features = _read(str(Path(source).resolve()), stat.st_size, stat.st_mtime_ns, cache_dir)
    else:
        features = _from_graph(plan)
    west, south, east, north = plan.stops.total_bounds if len(plan.stops) else (0, 0, 0, 0)
    return build_base_map(features, lat0=(south + north) / 2, lon0=(west + east) / 2)


def _distinct_numbers(points: np.ndarray, texts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One of each house number within 10 m (an address node inside its own building)."""
    if len(points) == 0:
        return points, texts
    pairs = cKDTree(shapely.get_coordinates(points)).query_pairs(r=10.0, output_type="ndarray")
    same = pairs[texts[pairs[:, 0]] == texts[pairs[:, 1]]]
    keep = np.ones(len(points), dtype=bool)
    keep[np.maximum(same[:, 0], same[:, 1])] = False
    return points[keep], texts[keep]


def build_base_map(features: MapFeatures, *, lat0: float, lon0: float) -> PlanBaseMap:
    """Put ``features`` in the local frame about (``lat0``, ``lon0``) and index them."""
    # Simplified once here, not per turf: a metre is below what a phone map shows. Streets are
    # lines, drawn, never joined into areas: plain Douglas-Peucker (the same lines as keeping
    # the topology on the demo's 2,049 streets, in a sixth of the time).
    streets = _simplified_lines(_to_frame(features.streets, lat0, lon0), SIMPLIFY_M)
    buildings = shapely.simplify(_to_frame(features.buildings, lat0, lon0), SIMPLIFY_M / 2)
    numbers, texts = _distinct_numbers(
        _to_frame(features.numbers, lat0, lon0), features.number_texts
    )
    return PlanBaseMap(
        lat0=float(lat0),
        lon0=float(lon0),
        streets=streets,
        names=features.street_names,
        kinds=features.street_kinds,
        buildings=buildings,
        numbers=numbers,
        number_texts=texts,
        street_tree=shapely.STRtree(streets),
        building_tree=shapely.STRtree(buildings),
        number_tree=shapely.STRtree(numbers),
    )


def _simplified_lines(lines: np.ndarray, tolerance_m: float) -> np.ndarray:
    return shapely.simplify(lines, tolerance_m, preserve_topology=False)


@lru_cache(maxsize=2)
def _read(path: str, size: int, mtime_ns: int, cache_dir: Path | None) -> MapFeatures:
    # Size and time in the key: a server that writes a plan after every edit reads the file
    # (or its disk cache entry) once, not per write.
    return read_map_features_cached(path, cache_dir)


def _flat_lines(lines: list[shapely.Geometry], base: PlanBaseMap) -> list[list[int]]:
    """Each geometry as one flat list of whole 1e-5 degrees: lat, lon, then steps (see below).

    The first point is absolute, each next one the difference from the point before: a step
    of a few metres is a number of a few digits, and a turf's base map about half the size.
    """
    if not lines:
        return []
    coords, index = shapely.get_coordinates(np.asarray(lines, dtype=object), return_index=True)
    units = np.round(base.lat_lon(coords) * 10**DIGITS).astype(np.int64)
    starts = np.r_[True, index[1:] != index[:-1]]
    steps = units.copy()
    follows = ~starts[1:]
    steps[1:][follows] = np.diff(units, axis=0)[follows]
    flat = steps.ravel().tolist()
    edges = [*(2 * np.flatnonzero(starts)).tolist(), len(flat)]
    return [flat[start:end] for start, end in itertools.pairwise(edges)]


def _labels(lines: list[shapely.LineString], name_indexes: list[int]) -> list[list[float]]:
    """Where streets' names go: points along each line with the angle the text is turned by.

    ``name_indexes`` gives each line's name; all streets at once (GEOS does the points).
    """
    shapes = np.asarray(lines, dtype=object)
    lengths = shapely.length(shapes) if len(shapes) else np.zeros(0)
    named = lengths >= LABEL_MIN_M
    shapes, lengths = shapes[named], lengths[named]
    names = np.asarray(name_indexes, dtype=np.int64)[named]
    counts = np.maximum(1, (lengths // LABEL_EVERY_M).astype(np.int64))
    # Label i of a line with ``count`` labels sits at (i + 0.5) / count of its length.
    owner = np.repeat(np.arange(len(shapes)), counts)
    first = np.repeat(np.cumsum(counts) - counts, counts)
    i = np.arange(len(owner)) - first
    length, line = lengths[owner], shapes[owner]
    at = length * (i + 0.5) / counts[owner]
    a = shapely.line_interpolate_point(line, np.maximum(at - 8.0, 0.0))
    b = shapely.line_interpolate_point(line, np.minimum(at + 8.0, length))
    point = shapely.line_interpolate_point(line, at)
    placed: list[list[float]] = []
    for name, ax, ay, bx, by, x, y in zip(
        names[owner].tolist(),
        shapely.get_x(a).tolist(),
        shapely.get_y(a).tolist(),
        shapely.get_x(b).tolist(),
        shapely.get_y(b).tolist(),
        shapely.get_x(point).tolist(),
        shapely.get_y(point).tolist(),
        strict=True,
    ):
        # Screen y points down; text is kept upright (-90..90 degrees).
        angle = -math.degrees(math.atan2(by - ay, bx - ax))
        if angle > 90:
            angle -= 180
        elif angle < -90:
            angle += 180
        placed.append([x, y, round(angle), name])
    return placed


def _streets(
    base: PlanBaseMap, hits: np.ndarray, clipped: np.ndarray
) -> tuple[dict[str, list[shapely.Geometry]], list[str], list[shapely.Geometry], list[int]]:
    """The clipped streets by kind, each street's pieces joined end to end.

    Returns the lines of each kind; the street names in order of first use; the named lines
    and the index of each one's name. Streets are taken in order of (kind, name), all joined
    in one GEOS call.
    """
    parts, owner = shapely.get_parts(clipped, return_index=True)
    keys = list(
        zip(base.kinds[hits][owner].tolist(), base.names[hits][owner].tolist(), strict=True)
    )
    streets = sorted(set(keys))
    group = {key: number for number, key in enumerate(streets)}
    part_group = np.fromiter((group[key] for key in keys), dtype=np.int64, count=len(keys))
    order = np.argsort(part_group, kind="stable")  # each street's pieces in their order
    # Pieces of one street joined end to end: fewer repeated points, longer label runs.
    merged = shapely.line_merge(shapely.multilinestrings(parts[order], indices=part_group[order]))
    lines, line_group = shapely.get_parts(merged, return_index=True)
    drawn = shapely.length(lines) > 0
    lines, line_group = lines[drawn].tolist(), line_group[drawn].tolist()
    by_kind: dict[str, list[shapely.Geometry]] = {kind: [] for kind in STREET_KINDS}
    names: list[str] = []
    name_index: dict[str, int] = {}
    named_lines: list[shapely.Geometry] = []
    line_names: list[int] = []
    for line, number in zip(lines, line_group, strict=True):
        kind, name = streets[number]
        by_kind[kind].append(line)
        if name:
            index = name_index.setdefault(name, len(names))
            if index == len(names):
                names.append(name)
            named_lines.append(line)
            line_names.append(index)
    return by_kind, names, named_lines, line_names


def base_map_data(
    base: PlanBaseMap,
    bounds_lonlat: tuple[float, float, float, float],
    *,
    margin_m: float = TURF_MARGIN_M,
    buildings: bool = True,
    simplify_m: float = SIMPLIFY_M,
) -> dict[str, Any]:
    """What a map draws under its route within ``bounds_lonlat`` (west, south, east, north).

    Returns ``bbox`` [south, west, north, east]; ``names``; ``streets`` {kind: [lines]};
    ``labels`` [lat, lon, degrees, name index]; ``buildings`` [rings, not closed] and ``numbers``
    [lat, lon, house number] (empty when ``buildings`` is false). A line or ring is a flat list
    of whole 1e-5 degrees: the first lat, lon, then each point's difference from the one before.
    """
    box = base.box(bounds_lonlat, margin_m)
    xmin, ymin, xmax, ymax = box.bounds
    hits = base.street_tree.query(box)
    clipped = shapely.clip_by_rect(base.streets[hits], xmin, ymin, xmax, ymax)
    if simplify_m > SIMPLIFY_M:
        clipped = _simplified_lines(clipped, simplify_m)
    by_kind, names, named_lines, line_names = _streets(base, hits, clipped)
    labels = _labels(named_lines, line_names)
    streets = {kind: _flat_lines(lines, base) for kind, lines in by_kind.items()}
    label_xy = np.array([label[:2] for label in labels]).reshape(-1, 2)
    corners = base.lat_lon(np.array([[xmin, ymin], [xmax, ymax]]))
    document: dict[str, Any] = {
        "bbox": corners.ravel().tolist(),
        "names": names,
        "streets": streets,
        "labels": [
            [*latlon, int(label[2]), int(label[3])]
            for latlon, label in zip(base.lat_lon(label_xy).tolist(), labels, strict=True)
        ],
        "buildings": [],
        "numbers": [],
    }
    if buildings:
        found = base.building_tree.query(box, predicate="intersects")
        outlines = base.buildings[found]
        # Rings without their closing point: the page closes them.
        document["buildings"] = [
            ring[:-2] for ring in _flat_lines(list(shapely.get_exterior_ring(outlines)), base)
        ]
        inside = base.number_tree.query(box, predicate="contains")
        xy = shapely.get_coordinates(base.numbers[inside]) if len(inside) else np.zeros((0, 2))
        document["numbers"] = [
            [lat, lon, str(text)]
            for (lat, lon), text in zip(
                base.lat_lon(xy).tolist(), base.number_texts[inside].tolist(), strict=True
            )
        ]
    return document
