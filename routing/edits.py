"""Manual turf edits an organiser makes after cutting: split, merge, draw.

Each edit takes the current assignment (turf id per stop, indexed like the stops) and
returns a new one, so every stop is always in exactly one turf; the app then routes the
turfs that changed with ``routing.turfs.route_turf``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from geo.effort import TurfSize, WalkModel
from routing._cut_points import dp_cuts
from routing.cutting import block_faces, long_walk, quiet_cells, stop_effort
from routing.distances import stop_distances
from routing.snap import Snapped
from routing.street_graph import StreetGraph


class TurfEditError(ValueError):
    """An edit that cannot be made as asked (unknown turf, empty selection, ...)."""


def _members(assignment: pd.Series, turf_id: str) -> np.ndarray:
    members = np.flatnonzero((assignment == turf_id).to_numpy())
    if len(members) == 0:
        raise TurfEditError(f"there is no turf {turf_id!r}")
    return members


def split_turf(
    assignment: pd.Series,
    turf_id: str,
    new_ids: tuple[str, str],
    *,
    graph: StreetGraph,
    snapped: Snapped,
    x: np.ndarray,
    y: np.ndarray,
    doors: np.ndarray,
    model: WalkModel | None = None,
) -> pd.Series:
    """Split one turf into two of about equal effort, along its own walk.

    ``snapped``, ``x``, ``y`` and ``doors`` describe all stops (aligned with
    ``assignment``); the halves are consecutive pieces of one walk through the turf, so
    each half stays walkable.
    """
    members = _members(assignment, turf_id)
    if len(members) < 2:
        raise TurfEditError(f"turf {turf_id!r} has one stop and cannot be split")
    model = model or WalkModel()
    distances = stop_distances(graph, snapped.subset(members))
    order = long_walk(distances.cost, x[members], y[members])
    effort, walk_in = stop_effort(
        order, distances.metres, doors[members], size=TurfSize(), model=model
    )
    half = float(effort.sum() - walk_in[0]) / 2
    # Cut between block faces where the balance allows (as the cutter does).
    cells = quiet_cells(graph, x[members], y[members])
    face = block_faces(graph, snapped.edge[members], cells)[np.asarray(order)]
    joined = np.concatenate([[False], face[1:] == face[:-1]])
    bounds = dp_cuts(effort, walk_in, half, 2, np.zeros(len(order), dtype=bool), joined)
    ordered = members[np.asarray(order)]
    result = assignment.copy()
    result.iloc[ordered[: bounds[1]]] = new_ids[0]
    result.iloc[ordered[bounds[1] :]] = new_ids[1]
    return result


def merge_turfs(assignment: pd.Series, first: str, second: str) -> pd.Series:
    """Put the stops of turf ``second`` into turf ``first``."""
    _members(assignment, first)
    members = _members(assignment, second)
    if first == second:
        raise TurfEditError("a turf cannot be merged with itself")
    result = assignment.copy()
    result.iloc[members] = first
    return result


def polygon_to_metric(graph: StreetGraph, polygon: shapely.Geometry) -> shapely.Geometry:
    """Project a polygon drawn on the map (longitude, latitude) to the graph's metric CRS."""

    def project(coords: np.ndarray) -> np.ndarray:
        x, y = graph.to_metric(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(polygon, project)


def turf_from_polygon(
    assignment: pd.Series,
    polygon: shapely.Geometry,
    new_id: str,
    *,
    x: np.ndarray,
    y: np.ndarray,
) -> pd.Series:
    """Move every stop inside ``polygon`` (metric CRS) into a new turf ``new_id``."""
    if new_id in set(assignment):
        raise TurfEditError(f"turf {new_id!r} exists already; choose a new id")
    if not isinstance(polygon, shapely.Polygon | shapely.MultiPolygon) or polygon.is_empty:
        raise TurfEditError("draw a polygon (the shape is not a polygon or is empty)")
    inside = shapely.covers(shapely.make_valid(polygon), shapely.points(x, y))
    if not inside.any():
        raise TurfEditError("the drawn polygon contains no stop of this plan")
    result = assignment.copy()
    result.iloc[np.flatnonzero(inside)] = new_id
    return result
