"""The manager dashboard's figures: progress from the database, and the live heatmap page.

Results change while canvassing goes on, so progress and the rate layers are read on each
request (a plan's targets and results are a few thousand rows: tens of milliseconds). What
does not change until the plan is written again (its outlines and the analysis of its
universe, with the DBSCAN hot spots) is computed once per plan version and kept.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd

from app.errors import NotFoundError
from app.outputs.heatmaps import heat_map
from app.outputs.page_render import render_page
from app.plan_folder import PlanFolder
from app.planning.analysis import PlanAnalysis, analyse, target_stops
from app.services.progress import PlanActivity, plan_activity
from app.store.engine import Database

PLANS_KEPT = 8
"""How many plans' analyses stay in memory."""


@dataclass(frozen=True)
class PlanShapes:
    """What the heatmap of one plan version draws that results do not change."""

    analysis: PlanAnalysis
    precincts: gpd.GeoDataFrame | None
    turfs: gpd.GeoDataFrame | None


def _outlines(path: Path, column: str) -> gpd.GeoDataFrame | None:
    """A plan folder's outlines (``precincts.geojson``/``turfs.geojson``), if it has them."""
    if not path.is_file():
        return None
    frame = gpd.read_file(path)
    if column not in frame.columns or frame.empty:
        return None
    frame[column] = frame[column].astype(str)
    return frame[[column, "geometry"]].to_crs(4326)


class AnalysisCache:
    """Per plan version (name and import digest): its analysis and outlines, made once."""

    def __init__(self) -> None:
        self._kept: OrderedDict[tuple[str, str], PlanShapes] = OrderedDict()
        self._lock = threading.Lock()
        self.computed = 0
        """How many times an analysis was made (for tests: once per plan version)."""

    def shapes(self, activity: PlanActivity, folder: PlanFolder) -> PlanShapes:
        """The analysis and outlines of the plan ``activity`` was read from."""
        key = (folder.name, activity.digest)
        with self._lock:
            if key in self._kept:
                self._kept.move_to_end(key)
                return self._kept[key]
            made = PlanShapes(
                analysis=analyse(activity.voters, target_stops(activity.voters)),
                precincts=_outlines(folder.precincts_path, "precinct"),
                turfs=_outlines(folder.turfs_path, "turf"),
            )
            self.computed += 1
            self._kept[key] = made
            while len(self._kept) > PLANS_KEPT:
                self._kept.popitem(last=False)
            return made


def activity_of(db: Database, name: str) -> PlanActivity:
    """The plan's voters and results from the database; ``NotFoundError`` if not imported."""
    activity = plan_activity(db, name)
    if activity is None:
        raise NotFoundError(f"plan {name!r} is not in the database")
    return activity


def live_heat_map_html(
    activity: PlanActivity, shapes: PlanShapes, *, assets_url: str, tile_url: str
) -> str:
    """The plan's heatmap page (targets, coverage, contact and support) from live results."""
    results = activity.results[["household_id", "result", "timestamp"]]
    fmap = heat_map(
        activity.voters,
        precincts=shapes.precincts,
        turfs=shapes.turfs,
        results=results if len(results) else None,
        analysis=shapes.analysis,
        tile_url=tile_url,
        basemap_url=f"{assets_url}../maps/index.basemap.js",
    )
    html = render_page(fmap)
    # The map's scripts load from the plan's own copy of the assets (see app.outputs.maps).
    return html.replace('"../assets/', f'"{assets_url}')
