"""Who goes where (issue 18): the suggested assignment of a plan's turfs to its volunteers.

The volunteers come from ``canvass plan --volunteers FILE`` (``geo.volunteers``) or from the
people list (``app.services.suggest``); the solver is ``segments.assign``. A turf's drop-off
is its first stop: where its walk starts. With a budget only the turfs in it are handed out,
each for the minutes of its budgeted walk.

The suggestion's rows name volunteers and go to ``assignments_suggested.csv`` in the plan
folder (organisers only); its ``record`` (``summary.json`` ``assignments_suggested``) holds
counts and travel totals, never a name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from app.planning.request import PlanRequest
from geo.address_sources import read_address_sources
from geo.osm import address_points_or_empty
from geo.volunteers import Volunteers, read_volunteers
from segments.assign import (
    TurfAssignment,
    assign_in_order,
    assign_nearest_first,
    assign_turfs,
    great_circle_km,
)

SUGGESTION_COLUMNS = ("turf", "volunteer", "with", "travel_km", "minutes", "hours")
"""The columns of ``assignments_suggested.csv``: one row per turf someone walks."""


@dataclass(frozen=True)
class Suggestion:
    """Who walks which turf, and the summary's counts."""

    rows: pd.DataFrame
    """``SUGGESTION_COLUMNS`` plus ``person`` and ``partner`` (positions of the volunteers)."""
    record: dict[str, Any]


def turfs_to_give(turfs: pd.DataFrame, stops: pd.DataFrame) -> pd.DataFrame:
    """The turfs to hand out with their minutes and drop-off (first stop's ``lat``/``lon``).

    Parameters
    ----------
    turfs
        One row per turf: ``turf``, ``minutes`` and, when the plan has a budget,
        ``in_budget`` and ``budget_minutes`` (summary.json's turf rows have them all).
    stops
        ``turf``, ``sequence``, ``lat``, ``lon`` (the plan folder's ``stops.csv``).
    """
    frame = turfs.copy()
    frame["turf"] = frame["turf"].astype(str)
    if "in_budget" in frame and frame["in_budget"].fillna(False).astype(bool).any():
        frame = frame.loc[frame["in_budget"].fillna(False).astype(bool)]
        if "budget_minutes" in frame:
            frame["minutes"] = frame["budget_minutes"].fillna(frame["minutes"])
    first = (
        stops.assign(turf=stops["turf"].astype(str))
        .sort_values(["turf", "sequence"], kind="stable")
        .drop_duplicates("turf")
        .set_index("turf")
    )
    frame = frame.loc[frame["turf"].isin(first.index)]
    return pd.DataFrame(
        {
            "turf": frame["turf"].to_numpy(),
            "minutes": frame["minutes"].astype(float).to_numpy(),
            "lat": first.loc[frame["turf"], "lat"].astype(float).to_numpy(),
            "lon": first.loc[frame["turf"], "lon"].astype(float).to_numpy(),
        }
    )


def suggest(
    volunteers: pd.DataFrame, pairs: list[tuple[int, int]], turfs: pd.DataFrame
) -> Suggestion:
    """The best assignment of ``turfs`` (``turfs_to_give``) to ``volunteers``.

    Parameters
    ----------
    volunteers
        ``name``, ``lat``, ``lon`` and ``minutes`` (NaN: one turf of any length), in order.
    pairs
        Positions of the volunteers who walk together.
    turfs
        ``turf``, ``minutes``, ``lat``, ``lon``.
    """
    travel = great_circle_km(volunteers["lat"], volunteers["lon"], turfs["lat"], turfs["lon"])
    minutes = volunteers["minutes"].astype(float).to_numpy()
    turf_min = turfs["minutes"].to_numpy(dtype=float)
    ours = assign_turfs(travel, turf_min, minutes=minutes, pairs=pairs)
    in_order = assign_in_order(travel, turf_min, minutes=minutes, pairs=pairs)
    nearest = assign_nearest_first(travel, turf_min, minutes=minutes, pairs=pairs)
    rows = _rows(volunteers, turfs, travel, ours)
    walking = {m for team in set(ours.team_of_turf.tolist()) if team >= 0 for m in ours.teams[team]}
    record = {
        "volunteers": len(volunteers),
        "pairs": len(pairs),
        "turfs": len(turfs),
        "turfs_assigned": ours.turfs_assigned,
        "turfs_unassigned": len(turfs) - ours.turfs_assigned,
        "volunteers_without_turf": len(volunteers) - len(walking),
        "travel_km": round(ours.travel_km, 2),
        "method": ours.method,
        "optimal": ours.optimal,
        "baselines": {
            result.method: {
                "turfs_assigned": result.turfs_assigned,
                "travel_km": round(result.travel_km, 2),
            }
            for result in (in_order, nearest)
        },
    }
    return Suggestion(rows, record)


def _rows(
    volunteers: pd.DataFrame, turfs: pd.DataFrame, travel: np.ndarray, result: TurfAssignment
) -> pd.DataFrame:
    names = volunteers["name"].astype(str).tolist()
    hours = (volunteers["minutes"].astype(float) / 60).round(2).tolist()
    records = []
    for turf, team in enumerate(result.team_of_turf.tolist()):
        if team < 0:
            continue
        members = result.teams[team]
        lead, partner = members[0], members[1] if len(members) > 1 else None
        records.append(
            {
                "turf": turfs["turf"].iat[turf],
                "volunteer": names[lead],
                "with": "" if partner is None else names[partner],
                "travel_km": round(float(travel[list(members), turf].sum()), 2),
                "minutes": round(float(turfs["minutes"].to_numpy()[turf]), 1),
                # A pair has the hours of the one who has fewer.
                "hours": min((hours[m] for m in members if not np.isnan(hours[m])), default=""),
                "person": lead,
                "partner": -1 if partner is None else partner,
            }
        )
    columns = [*SUGGESTION_COLUMNS, "person", "partner"]
    return pd.DataFrame.from_records(records, columns=columns).sort_values("turf", kind="stable")


def read_plan_volunteers(request: PlanRequest) -> Volunteers | None:
    """The ``--volunteers`` file of ``request``, homes geocoded like the voters; None without."""
    if request.volunteers is None:
        return None
    return read_volunteers(
        request.volunteers,
        address_points=lambda: address_points_or_empty(request.streets),
        address_sources=(
            (lambda: read_address_sources(request.addresses, archive_limits=request.archive_limits))
            if request.addresses
            else None
        ),
        archive_limits=request.archive_limits,
    )


def suggest_for_plan(
    volunteers: Volunteers,
    turfs: pd.DataFrame,
    stops: gpd.GeoDataFrame,
    budget: pd.DataFrame | None,
) -> Suggestion:
    """The suggestion for a plan just run: its turfs (``turf``, ``minutes``), stops, budget."""
    if budget is not None:
        turfs = turfs.join(budget[["in_budget", "budget_minutes"]], on="turf")
    points = pd.DataFrame(
        {
            "turf": stops["turf"],
            "sequence": stops["sequence"],
            "lat": stops.geometry.y,
            "lon": stops.geometry.x,
        }
    )
    return suggest(volunteers.frame, volunteers.pairs, turfs_to_give(turfs, points))
