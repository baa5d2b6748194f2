"""The analysis of a plan's target universe: its size and hours, and its hot spots.

Computed once per plan (at plan time, or once per imported plan for the dashboard) and
drawn by the heatmaps; never fitted again per page or per request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd

from geo.effort import WalkModel
from segments.hot_spots import HotSpots
from segments.universe import UniverseSize, universe_size

HOTSPOT_EPS_M = 100.0
HOTSPOT_MIN_DOORS = 30


@dataclass(frozen=True)
class PlanAnalysis:
    """What the heatmaps and the summary show of a target universe."""

    universe: UniverseSize
    hot_spots: gpd.GeoDataFrame
    """Hot spot areas (DBSCAN over target doors), empty when there are no target stops."""
    scattered_doors: float
    """Target doors in no hot spot."""

    def summary(self) -> dict[str, Any]:
        """The ``segments`` section of ``summary.json``.

        The hours are estimated the way they are before turfs are cut (`segments.universe`),
        so they can be compared with the routed turfs' minutes in the same file.
        """
        return {"universe": self.universe.as_dict()}


def analyse(
    voters: gpd.GeoDataFrame, stops: gpd.GeoDataFrame, *, model: WalkModel | None = None
) -> PlanAnalysis:
    """Size and hot spots of the target universe of ``voters`` (``stops`` weighted by doors)."""
    spots = HotSpots(eps_m=HOTSPOT_EPS_M, min_samples=HOTSPOT_MIN_DOORS, model=model)
    if len(stops):
        spots.fit(stops, weight="doors")
        areas, scattered = spots.areas_, float(spots.noise_weight_)
    else:
        areas, scattered = gpd.GeoDataFrame(geometry=[], crs=stops.crs or "EPSG:4326"), 0.0
    return PlanAnalysis(
        universe=universe_size(voters, model=model), hot_spots=areas, scattered_doors=scattered
    )


def target_stops(voters: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One point per target stop (its first target voter's), with its target doors."""
    target_voters = voters.loc[voters["target"].to_numpy(dtype=bool)]
    grouped = target_voters.groupby("stop_id", sort=True)
    doors = grouped["household_id"].nunique()
    points = grouped.geometry.first()
    return gpd.GeoDataFrame(
        {"doors": doors.to_numpy()}, geometry=points.to_numpy(), crs=target_voters.crs
    )
