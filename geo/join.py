"""Joining voters to precincts: each point to exactly one precinct, deterministically."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd


def assign_precincts(points: gpd.GeoDataFrame, precincts: gpd.GeoDataFrame) -> pd.Series:
    """Return the precinct id of every point (NaN where a point lies in no precinct).

    Points on a shared boundary, or inside overlapping polygons, go to the precinct whose id
    sorts first, so the answer does not depend on file order.
    """
    if points.empty:
        return pd.Series([], index=points.index, dtype=object, name="precinct")
    joined = gpd.sjoin(
        points[[points.geometry.name]],
        precincts[["precinct", precincts.geometry.name]].to_crs(points.crs),
        how="left",
        predicate="intersects",
    )
    first = joined.sort_values("precinct", kind="stable").groupby(level=0)["precinct"].first()
    return first.reindex(points.index).rename("precinct")


def looks_swapped(points: gpd.GeoDataFrame, precincts: gpd.GeoDataFrame) -> pd.Series:
    """True for points that fall in no precinct as given but inside one with lat/lon swapped."""
    swapped = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy(points.geometry.y, points.geometry.x),
        index=points.index,
        crs=points.crs,
    )
    return assign_precincts(swapped, precincts).notna()
