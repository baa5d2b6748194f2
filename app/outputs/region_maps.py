"""The plan-wide maps of a plan merged from regions: its heatmap page and the streets under it.

A region's task writes an ordinary plan folder, whose overview streets
(``maps/index.basemap.js``) and heatmap cover that region only, so the merge
(``app.outputs.region_merge``) makes the whole plan's from the regions' parts: the streets
under the overview (and under the dashboard's live heatmap) are the regions' overview streets
together, and the heatmap page is drawn from every region's voters and target stops, which
each task keeps beside its plan folder (``save_heat_inputs``) so the merge reads no voter
file again.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd

from app.outputs.heatmaps import heat_map
from app.outputs.maps import read_data_file, save_page
from app.planning.analysis import analyse
from geo.effort import WalkModel
from geo.map_features import STREET_KINDS

if TYPE_CHECKING:
    from app.planning.pipeline import Plan

HEAT_VOTERS = "heat_voters.parquet"
HEAT_STOPS = "heat_stops.parquet"
VOTER_COLUMNS = ("household_id", "stop_id", "precinct", "target", "support_score",
                 "turnout_score")  # fmt: skip
"""What the heatmap reads of a voter (``app.outputs.heatmaps.heat_map``)."""


def save_heat_inputs(plan: Plan, folder: Path, values: pd.Series) -> None:
    """Keep what the merged heatmap needs of a region's plan in ``folder`` (two Parquet files).

    The voters' ``turf``, ``sequence`` and ``values`` (``app.planning.budget.voter_values``)
    go with them, for a budget chosen over every region (``app.outputs.region_budget``).
    """
    columns = [c for c in (*VOTER_COLUMNS, "turf", "sequence") if c in plan.voters.columns]
    voters = plan.voters[[*columns, "geometry"]].copy()
    voters["value"] = values.reindex(voters.index).fillna(0.0).to_numpy(dtype=float)
    if "turf" in voters.columns:  # blank or missing outside turfs: stored as text either way
        voters["turf"] = voters["turf"].astype("string")
    voters.to_crs(4326).to_parquet(folder / HEAT_VOTERS)
    plan.stops[["doors", "geometry"]].to_crs(4326).to_parquet(folder / HEAT_STOPS)


def has_heat_inputs(folder: Path) -> bool:
    """Whether ``folder`` holds a region's heat inputs."""
    return (folder / HEAT_VOTERS).is_file() and (folder / HEAT_STOPS).is_file()


def merged_base_map(parts: list[Path]) -> dict[str, Any]:
    """One overview base map from the regions' ``index.basemap.js`` files.

    Street lines are kept as they are (each is self-contained); labels point into the joined
    name list; the box covers every region's. Streets in the margin two regions share are
    drawn by both (the same line twice, which the page cannot tell apart).
    """
    index: dict[str, int] = {}  # a name's place in the joined list (shared names once)
    streets: dict[str, list[Any]] = {kind: [] for kind in STREET_KINDS}
    labels: list[list[Any]] = []
    boxes: list[list[float]] = []
    for path in parts:
        data = read_data_file(path)
        if not data or not data.get("bbox"):
            continue
        boxes.append([float(v) for v in data["bbox"]])
        for kind, lines in (data.get("streets") or {}).items():
            streets.setdefault(kind, []).extend(lines)
        own = [index.setdefault(name, len(index)) for name in data.get("names") or []]
        for lat, lon, degrees, name in data.get("labels") or []:
            labels.append([lat, lon, degrees, own[int(name)]])
    names = sorted(index, key=index.__getitem__)
    south, west, north, east = (
        [min(b[0] for b in boxes), min(b[1] for b in boxes),
         max(b[2] for b in boxes), max(b[3] for b in boxes)]
        if boxes else [0.0, 0.0, 0.0, 0.0]
    )  # fmt: skip
    return {"bbox": [south, west, north, east], "names": names, "streets": streets,
            "labels": labels, "buildings": [], "numbers": []}  # fmt: skip


def write_merged_heatmap(
    path: Path,
    parts: list[Path],
    *,
    precincts: gpd.GeoDataFrame | None,
    turfs: gpd.GeoDataFrame,
    model: WalkModel,
) -> Path:
    """The heatmap page of the whole plan from the regions' heat inputs (folders ``parts``)."""
    found = [p for p in parts if has_heat_inputs(p)]
    voters = _concat([gpd.read_parquet(p / HEAT_VOTERS) for p in found])
    stops = _concat([gpd.read_parquet(p / HEAT_STOPS) for p in found])
    outlines = None
    if precincts is not None and len(precincts):
        outlines = precincts[["precinct", "geometry"]].to_crs(4326)
        outlines["precinct"] = outlines["precinct"].astype(str)
    fmap = heat_map(
        voters,
        precincts=outlines,
        stops=stops,
        turfs=turfs[["turf", "geometry"]] if "turf" in turfs.columns else None,
        analysis=analyse(voters, stops, model=model),
    )
    save_page(fmap, path)
    return path


def _concat(frames: list[gpd.GeoDataFrame]) -> gpd.GeoDataFrame:
    if not frames:
        return gpd.GeoDataFrame(
            {c: [] for c in (*VOTER_COLUMNS, "doors")}, geometry=[], crs="EPSG:4326"
        )
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs="EPSG:4326")
