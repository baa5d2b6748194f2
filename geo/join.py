"""Joining voters to precincts: each point to exactly one precinct, deterministically."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd


def assign_precincts(points: gpd.GeoDataFrame, precincts: gpd.GeoDataFrame) -> pd.Series:
    """Return the precinct id of every point (NaN where a point lies in no precinct).

    Points on a shared boundary, or inside overlapping polygons, go to the precinct whose id
    sorts first, so the answer does not depend on file order. One STRtree query for all
    points; no per-point work in Python.
    """
    if points.empty:
        return pd.Series([], index=points.index, dtype=object, name="precinct")
    polygons = precincts.to_crs(points.crs) if precincts.crs != points.crs else precincts
    ids = polygons["precinct"].astype(str).to_numpy(dtype=object)
    order = np.argsort(ids, kind="stable")
    rank = np.empty(len(ids), dtype=np.int64)
    rank[order] = np.arange(len(ids))
    point_i, polygon_i = polygons.sindex.query(points.geometry.to_numpy(), predicate="intersects")
    none = len(ids)
    best = np.full(len(points), none, dtype=np.int64)
    np.minimum.at(best, point_i, rank[polygon_i])
    found = best < none
    result = np.full(len(points), np.nan, dtype=object)
    result[found] = ids[order[best[found]]]
    return pd.Series(result, index=points.index, dtype=object, name="precinct")


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
    west, south, east, north = precincts.total_bounds
    lon, lat = points.geometry.x.to_numpy(), points.geometry.y.to_numpy()
    dlon = np.maximum(np.maximum(west - lon, lon - east), 0.0)
    dlat = np.maximum(np.maximum(south - lat, lat - north), 0.0)
    metres = np.hypot(dlon * np.cos(np.radians(lat)), dlat) * 111_195.0
    return pd.Series(metres, index=points.index, name="outside_m")
