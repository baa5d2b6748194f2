"""A turf's walk list read back from its plan folder, to print it again for one volunteer.

The plan writer prints generic walk lists that carry no volunteer link: a link opens the
turf's voters on a phone, so it belongs to the one person the turf is given to. A walk list
for an assignment is printed on request, with that person's link in its QR code, from the
folder's own files: the turf's rows (``walklists/<turf>.csv``), its stops (``stops.csv`` with
each stop's street, house number and walk from the previous stop) and its figures
(``summary.json``: figures, printed survey), and its walk (``routes.geojson``) for the map on
page 1. It is the walk list the writer printed, stop for stop and voter for voter.
A folder written before ``stops.csv`` had the street columns prints without the blocks by
street and side.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import geopandas as gpd
import numpy as np
import pandas as pd

from app.errors import NotFoundError
from app.outputs.walklist_marks import printed_questions
from app.outputs.walklists import WalkList, walk_list
from app.planning.pipeline import Turf
from app.spreadsheet import restore_frame
from routing.turfs import TurfRoute

if TYPE_CHECKING:
    from app.plan_folder import PlanFolder
    from app.planning.pipeline import Plan

_TEXT = ("stop_id", "turf", "street", "house_number")
_NUMBERS = ("support_score", "turnout_score")


@dataclass(frozen=True)
class _Request:
    target: str | None
    privacy_notice_url: str | None = None


class _LocalMetres:
    """Lon/lat to metres around one latitude: plenty for a map of one turf on paper."""

    def __init__(self, lat: float) -> None:
        self.kx = 111_320.0 * np.cos(np.radians(lat))

    def to_metric(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return np.asarray(lon) * self.kx, np.asarray(lat) * 110_574.0


@dataclass(frozen=True)
class _Budget:
    skipped: frozenset[str]  # household ids, as ``Budget.skipped``


@dataclass(frozen=True)
class _FolderPlan:
    """What ``walk_list`` reads of a plan, taken from the plan's folder."""

    request: _Request
    stops: gpd.GeoDataFrame
    graph: _LocalMetres
    budget: _Budget


def read_walk_list(folder: PlanFolder, turf_id: str) -> WalkList:
    """The walk list of ``turf_id`` as the plan in ``folder`` printed it.

    Raises NotFoundError when the plan has no such turf or its files are missing.
    """
    summary = folder.read_summary()
    figures = _turf_figures(summary, turf_id)
    path = folder.walklist(turf_id, "csv")
    if not path.is_file() or not folder.stops_path.is_file():
        raise NotFoundError(f"{path}: missing; run the plan again to print turf {turf_id}")
    rows = restore_frame(pd.read_csv(path, dtype=str, keep_default_na=False))
    rows["sequence"] = rows["sequence"].astype(int)
    for column in _NUMBERS:
        rows[column] = pd.to_numeric(rows[column].replace("", None)).astype("Int64")
    # An age, or the age band the organiser chose to print instead (app.privacy.fields).
    rows["age"] = rows["age"].replace("", None)
    stops = restore_frame(pd.read_csv(folder.stops_path, dtype=dict.fromkeys(_TEXT, str)))
    stops = stops.loc[stops["turf"] == turf_id].sort_values("sequence").reset_index(drop=True)
    if "leg_m" not in stops:
        stops["leg_m"] = 0.0
    stops = gpd.GeoDataFrame(stops, geometry=gpd.points_from_xy(stops["lon"], stops["lat"]))
    metres = _LocalMetres(float(stops["lat"].mean()) if len(stops) else 0.0)
    line = _walk_line(folder, turf_id)
    target = (summary.get("target") or {}).get("expression")
    notice = (summary.get("privacy") or {}).get("notice_url") or None
    budget = _Budget(_skipped_households(folder, turf_id, rows))
    plan = _FolderPlan(_Request(target, notice), stops, metres, budget)
    route = TurfRoute(
        stops=list(range(len(stops))),
        legs_m=[],
        walk_m=float(figures.get("walk_m") or 0.0),
        minutes=float(figures.get("minutes") or 0.0),
        line_xy=np.column_stack(metres.to_metric(line[:, 0], line[:, 1])),
    )
    turf = Turf(turf_id=turf_id, precinct=str(figures.get("precinct") or ""), route=route)
    questions = printed_questions(
        (str(q.get("text", "")), [str(c) for c in q.get("choices") or ()])
        for q in summary.get("printed_survey") or ()
        if isinstance(q, dict)
    )
    # walk_list reads only the request's target, the stops table and its metric of a plan.
    return walk_list(cast("Plan", plan), turf, rows, questions=questions)


def _skipped_households(folder: PlanFolder, turf_id: str, rows: pd.DataFrame) -> frozenset[str]:
    """Households of the turf's rows at the doors ``budget_skip.csv`` lists (none: no file)."""
    if not folder.budget_skip_path.is_file():
        return frozenset()
    doors = restore_frame(pd.read_csv(folder.budget_skip_path, dtype=str, keep_default_na=False))
    doors = doors.loc[doors["turf"] == turf_id, ["stop_id", "unit"]]
    at = rows[["stop_id", "unit", "household_id"]].astype(str).merge(doors, on=["stop_id", "unit"])
    return frozenset(at["household_id"])


def _walk_line(folder: PlanFolder, turf_id: str) -> np.ndarray:
    """The turf's walk as lon/lat pairs from ``routes.geojson`` (none when it is missing)."""
    try:
        features = json.loads(folder.routes_path.read_text(encoding="utf-8"))["features"]
    except (OSError, ValueError, KeyError, TypeError):
        return np.empty((0, 2))
    for feature in features:
        if (feature.get("properties") or {}).get("turf") == turf_id:
            geometry = feature.get("geometry") or {}
            if geometry.get("type") == "LineString":
                return np.asarray(geometry.get("coordinates") or [], dtype=float).reshape(-1, 2)
    return np.empty((0, 2))


def _turf_figures(summary: dict[str, Any], turf_id: str) -> dict[str, Any]:
    for figures in summary.get("turfs") or []:
        if isinstance(figures, dict) and str(figures.get("turf")) == turf_id:
            return figures
    raise NotFoundError(f"the plan has no turf {turf_id!r}")
