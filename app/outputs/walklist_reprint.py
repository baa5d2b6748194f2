"""A turf's walk list read back from its plan folder, to print it again for one volunteer.

The plan writer prints generic walk lists that carry no volunteer link: a link opens the
turf's voters on a phone, so it belongs to the one person the turf is given to. A walk list
for an assignment is printed on request, with that person's link in its QR code, from the
folder's own files: the turf's rows (``walklists/<turf>.csv``), its stops (``stops.csv`` with
each stop's street, house number and walk from the previous stop) and its figures
(``summary.json``). It is the walk list the writer printed, stop for stop and voter for voter.
A folder written before ``stops.csv`` had the street columns prints without the blocks by
street and side.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

from app.errors import NotFoundError
from app.outputs.walklists import WalkList, walk_list
from app.planning.pipeline import Turf
from app.spreadsheet import restore_frame
from routing.turfs import TurfRoute

if TYPE_CHECKING:
    from app.plan_folder import PlanFolder
    from app.planning.pipeline import Plan

_TEXT = ("stop_id", "turf", "street", "house_number")
_NUMBERS = ("age", "support_score", "turnout_score")


@dataclass(frozen=True)
class _Request:
    target: str | None


@dataclass(frozen=True)
class _FolderPlan:
    """What ``walk_list`` reads of a plan, taken from the plan's folder."""

    request: _Request
    stops: pd.DataFrame


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
    stops = restore_frame(pd.read_csv(folder.stops_path, dtype=dict.fromkeys(_TEXT, str)))
    stops = stops.loc[stops["turf"] == turf_id].copy()
    if "leg_m" not in stops:
        stops["leg_m"] = 0.0
    target = (summary.get("target") or {}).get("expression")
    plan = _FolderPlan(_Request(target), stops)
    route = TurfRoute(
        stops=[],
        legs_m=[],
        walk_m=float(figures.get("walk_m") or 0.0),
        minutes=float(figures.get("minutes") or 0.0),
        line_xy=np.empty((0, 2)),
    )
    turf = Turf(turf_id=turf_id, precinct=str(figures.get("precinct") or ""), route=route)
    # walk_list reads only the request's target and the stops table of a plan.
    return walk_list(cast("Plan", plan), turf, rows)


def _turf_figures(summary: dict[str, Any], turf_id: str) -> dict[str, Any]:
    for figures in summary.get("turfs") or []:
        if isinstance(figures, dict) and str(figures.get("turf")) == turf_id:
            return figures
    raise NotFoundError(f"the plan has no turf {turf_id!r}")
