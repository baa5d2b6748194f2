"""Joining voters to precincts: each point to exactly one precinct, deterministically.

Voters in no precinct are kept unassigned when they are a near miss, and rejected with a
reason when their coordinates look wrong (``join_precincts``).
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.precincts import PrecinctLayer
from geo.voters import VoterTable, reject_rows

# Points farther than this outside the precinct layer's extent are not a near miss but a
# wrong coordinate (another city or state): they are rejected rather than kept unassigned.
FAR_OUTSIDE_M = 10_000.0
# Without precincts the voters' own area stands in: the box of the central 80 % of them along
# each axis (robust to a tenth of wrong points on each side). A point is wrong when it lies
# beyond that box by more than FAR_OUTSIDE_M and the box's own diagonal (a statewide file's
# sparse edges are not wrong), given a few dozen voters to tell where the others are.
CORE_SHARE = 0.8
MIN_VOTERS_FOR_CORE = 50


def assign_precincts(points: gpd.GeoDataFrame, precincts: gpd.GeoDataFrame) -> pd.Series:
    """Return the precinct id of every point (NaN where a point lies in no precinct).

    Points on a shared boundary, or inside overlapping polygons, go to the precinct whose id
    sorts first, so the answer does not depend on file order. One STRtree query for all
    points; no per-point work in Python.
    """
    return _assign(points, precincts)[0]


def _assign(points: gpd.GeoDataFrame, precincts: gpd.GeoDataFrame) -> tuple[pd.Series, int]:
    """``assign_precincts``, and how many points lie inside two or more precincts.

    A point on the edge two precincts share is not counted: only one strictly inside both
    (overlapping polygons, a precinct drawn twice) is.
    """
    if points.empty:
        return pd.Series([], index=points.index, dtype=object, name="precinct"), 0
    polygons = precincts.to_crs(points.crs) if precincts.crs != points.crs else precincts
    ids = polygons["precinct"].astype(str).to_numpy(dtype=object)
    order = np.argsort(ids, kind="stable")
    rank = np.empty(len(ids), dtype=np.int64)
    rank[order] = np.arange(len(ids))
    geometry = points.geometry.to_numpy()
    point_i, polygon_i = polygons.sindex.query(geometry, predicate="intersects")
    none = len(ids)
    best = np.full(len(points), none, dtype=np.int64)
    np.minimum.at(best, point_i, rank[polygon_i])
    found = best < none
    result = np.full(len(points), np.nan, dtype=object)
    result[found] = ids[order[best[found]]]
    hits = np.bincount(point_i, minlength=len(points))
    several = hits[point_i] > 1
    inside = shapely.contains_properly(
        polygons.geometry.to_numpy()[polygon_i[several]], geometry[point_i[several]]
    )
    overlapping = int((np.bincount(point_i[several][inside], minlength=len(points)) > 1).sum())
    return pd.Series(result, index=points.index, dtype=object, name="precinct"), overlapping


def looks_swapped(points: gpd.GeoDataFrame, precincts: gpd.GeoDataFrame) -> pd.Series:
    """True for points that fall in no precinct as given but inside one with lat/lon swapped."""
    swapped = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy(points.geometry.y, points.geometry.x),
        index=points.index,
        crs=points.crs,
    )
    return assign_precincts(swapped, precincts).notna()


def distance_outside_m(points: gpd.GeoDataFrame, precincts: gpd.GeoDataFrame) -> pd.Series:
    """How far each point lies outside the bounding box of the precincts, in metres (0 inside).

    A cheap test for coordinates that are not near misses but wrong (another city or state).
    Both layers must be in EPSG:4326; the distance is equirectangular, within a few percent.
    """
    return distance_outside_box_m(points, tuple(precincts.total_bounds))


def core_box(points: gpd.GeoDataFrame, share: float = CORE_SHARE) -> tuple[float, ...]:
    """The box holding the central ``share`` of the points along each axis (EPSG:4326)."""
    tail = (1.0 - share) / 2.0
    lon, lat = points.geometry.x.to_numpy(), points.geometry.y.to_numpy()
    west, east = np.quantile(lon, [tail, 1.0 - tail])
    south, north = np.quantile(lat, [tail, 1.0 - tail])
    return float(west), float(south), float(east), float(north)


def box_diagonal_m(box: tuple[float, ...]) -> float:
    """The length of a lon/lat box's diagonal in metres (equirectangular)."""
    west, south, east, north = box
    mid = np.radians((south + north) / 2.0)
    return float(np.hypot((east - west) * np.cos(mid), north - south) * 111_195.0)


def distance_outside_box_m(points: gpd.GeoDataFrame, box: tuple[float, ...]) -> pd.Series:
    """How far each point (EPSG:4326) lies outside a lon/lat box, in metres (0 inside)."""
    west, south, east, north = box
    lon, lat = points.geometry.x.to_numpy(), points.geometry.y.to_numpy()
    dlon = np.maximum(np.maximum(west - lon, lon - east), 0.0)
    dlat = np.maximum(np.maximum(south - lat, lat - north), 0.0)
    metres = np.hypot(dlon * np.cos(np.radians(lat)), dlat) * 111_195.0
    return pd.Series(metres, index=points.index, name="outside_m")


def _reject_far_from_the_others(table: VoterTable) -> tuple[VoterTable, dict[str, Any]]:
    """Without precincts: keep every voter but those far from where the others are."""
    voters = table.accepted
    voters["precinct"] = ""
    counts: dict[str, Any] = {"precincts": 0, "rejected_swapped": 0, "rejected_far": 0}
    if len(voters) >= MIN_VOTERS_FOR_CORE:
        box = core_box(voters)
        limit = max(FAR_OUTSIDE_M, box_diagonal_m(box))
        far_m = distance_outside_box_m(voters, box)
        far = far_m > limit
        swapped_points = gpd.GeoDataFrame(
            geometry=gpd.points_from_xy(voters.geometry.y, voters.geometry.x), crs=voters.crs
        )
        swapped = far & (distance_outside_box_m(swapped_points, box).to_numpy() <= limit)
        reason = pd.Series("", index=voters.index, dtype=object)
        reason.loc[swapped] = (
            "latitude and longitude look swapped (swapped back, the point lies among the "
            "other voters)"
        )
        wrong = far & ~swapped
        reason.loc[wrong] = (
            "far from every other voter ("
            + (far_m[wrong] / 1000).round(1).astype(str)
            + " km beyond where most of them are): check the coordinates"
        )
        table = reject_rows(table, reason != "", reason)
        counts.update(rejected_swapped=int(swapped.sum()), rejected_far=int(wrong.sum()))
    counts.update(matched=len(table.accepted), outside=0)
    return table, counts


def join_precincts(
    table: VoterTable, layer: PrecinctLayer | None
) -> tuple[VoterTable, dict[str, Any]]:
    """Assign precincts; voters in none are kept with precinct ``''`` unless they look wrong.

    A voter outside every precinct is rejected when its latitude and longitude look swapped
    (swapped back, the point lies in a precinct) or when it lies more than ``FAR_OUTSIDE_M``
    beyond the layer's extent; otherwise it is a near miss and kept, unassigned. Without a
    layer every voter is kept with precinct ``''``, but for those far from where the other
    voters are (swapped, or in another city). ``table.accepted`` gets the ``precinct`` column.

    Returns
    -------
    The table with those voters moved to the rejected rows, and the join's counts:
    ``precincts``, ``matched``, ``outside`` (kept unassigned) and, with a layer, ``join_rate``,
    ``rejected_swapped``, ``rejected_far``, ``repaired_geometries``,
    ``dropped_empty_geometries``, ``id_column`` and ``id_reason`` (which column(s) hold the
    ids, and why), ``rows`` (features in the file), ``multipart_precincts`` (precincts stored
    as several rows, merged) and ``overlapping_voters`` (voters strictly inside two or more
    precincts; each went to the id that sorts first).
    """
    if layer is None:
        return _reject_far_from_the_others(table)
    precinct, overlapping = _assign(table.accepted, layer.polygons)
    outside = precinct.isna()
    table.accepted["precinct"] = precinct.fillna("")
    reason = pd.Series("", index=table.accepted.index, dtype=object)
    swapped = looks_swapped(table.accepted.loc[outside], layer.polygons)
    reason.loc[swapped.index[swapped]] = (
        "latitude and longitude look swapped (swapped back, the point lies in a precinct)"
    )
    far_m = distance_outside_m(table.accepted.loc[outside & (reason == "")], layer.polygons)
    far = far_m.index[far_m > FAR_OUTSIDE_M]
    reason.loc[far] = (
        "far outside the precinct file's area ("
        + (far_m[far] / 1000).round(1).astype(str)
        + " km beyond it): check the coordinates, or that the precinct file covers this area"
    )
    joined = reject_rows(table, reason != "", reason)
    matched = int((~outside).sum())
    kept_outside = int((outside & (reason == "")).sum())
    return joined, {
        "precincts": len(layer.polygons),
        "matched": matched,
        "outside": kept_outside,
        "join_rate": round(matched / (matched + kept_outside), 4)
        if matched + kept_outside
        else None,
        "rejected_swapped": int(swapped.sum()),
        "rejected_far": len(far),
        "repaired_geometries": layer.repaired,
        "dropped_empty_geometries": layer.dropped_empty,
        "id_column": layer.id_column,
        "id_reason": layer.id_reason,
        "rows": layer.rows,
        "multipart_precincts": layer.multipart_precincts,
        "overlapping_voters": overlapping,
    }
