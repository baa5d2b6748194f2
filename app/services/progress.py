"""How canvassing is going: a plan's stored voters and results as engagement tables.

A door is done when its latest result is final; after "Not home" or "Come back"
(`segments.door_results.REKNOCK_CODES`) it stays open for another pass: ``doors_done`` counts
the first, ``doors_reknock`` the second, and a turf whose every door is knocked but some are
open is "knock again", not "done".

The manager dashboard reads these live from the database: one row per turf (its progress)
and per precinct, and the whole plan's totals, computed by `segments.engagement` so every
rate is a ratio of counts that add up (see that module for the columns).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import pandas as pd
from sqlalchemy import select

from app.store.engine import Database, as_utc
from app.store.models import Household, Plan, Result, Stop, Turf, Voter
from segments.engagement import engagement_by_precinct, engagement_totals

# What the dashboard table shows per turf and precinct, in this order.
TABLE_COLUMNS = (
    "target_households",
    "doors_knocked",
    "doors_done",
    "doors_reknock",
    "doors_contacted",
    "doors_supporting",
    "coverage",
    "contact_rate",
    "support_rate",
)


@dataclass(frozen=True)
class PlanActivity:
    """A plan's target voters (points at their stops) and the results stored so far."""

    voters: gpd.GeoDataFrame
    """One row per voter: ``voter_id``, ``household_id`` (the stable key), ``unit``, ``stop_id``,
    ``turf``, ``precinct``, ``support_score``, ``turnout_score``, ``target`` (all True: a
    plan stores its target universe) and the stop's point (EPSG:4326)."""
    results: pd.DataFrame
    """``household_id`` (stable key), ``result``, ``timestamp``, ``turf`` (who recorded it)."""
    turfs: pd.DataFrame
    """``turf``, ``precinct``, ``doors``, ``minutes``, ``walk_m``, in turf order."""
    digest: str = ""
    """The imported plan folder's digest: changes whenever the plan is written again."""


def plan_activity(db: Database, plan: str) -> PlanActivity | None:
    """Read plan ``plan``'s voters, turfs and results; None if there is no such plan."""
    with db.reading() as session:
        found = session.execute(select(Plan.id, Plan.digest).where(Plan.name == plan)).first()
        if found is None:
            return None
        plan_id, digest = found
        voter_rows = session.execute(
            select(
                Voter.voter_code,
                Household.key,
                Household.unit,
                Stop.stop_code,
                Turf.code,
                Stop.precinct,
                Voter.support_score,
                Voter.turnout_score,
                Stop.lat,
                Stop.lon,
            )
            .join(Household, Household.id == Voter.household_id)
            .join(Stop, Stop.id == Household.stop_id)
            .join(Turf, Turf.id == Stop.turf_id)
            .where(Voter.plan_id == plan_id)
            .order_by(Voter.id)
        ).all()
        result_rows = session.execute(
            select(Household.key, Result.code, Result.recorded_at, Result.turf_code)
            .join(Household, Household.id == Result.household_id)
            .where(Result.plan_id == plan_id)
            .order_by(Result.recorded_at, Result.id)
        ).all()
        turf_rows = session.execute(
            select(Turf.code, Turf.precinct, Turf.doors, Turf.minutes, Turf.walk_m)
            .where(Turf.plan_id == plan_id)
            .order_by(Turf.code)
        ).all()
    columns = [
        "voter_id",
        "household_id",
        "unit",
        "stop_id",
        "turf",
        "precinct",
        "support_score",
        "turnout_score",
        "lat",
        "lon",
    ]
    table = pd.DataFrame([tuple(row) for row in voter_rows], columns=columns)
    for column in ("support_score", "turnout_score", "lat", "lon"):
        table[column] = pd.to_numeric(table[column], errors="coerce").astype(float)
    table["target"] = True
    voters = gpd.GeoDataFrame(
        table.drop(columns=["lat", "lon"]),
        geometry=gpd.points_from_xy(table["lon"], table["lat"]),
        crs=4326,
    )
    results = pd.DataFrame(
        [(key, code, as_utc(at).isoformat(), turf) for key, code, at, turf in result_rows],
        columns=["household_id", "result", "timestamp", "turf"],
    )
    turfs = pd.DataFrame(
        [tuple(row) for row in turf_rows],
        columns=["turf", "precinct", "doors", "minutes", "walk_m"],
    )
    return PlanActivity(voters=voters, results=results, turfs=turfs, digest=digest or "")


def _plain(value: Any) -> Any:
    """JSON-safe: NaN becomes None, numpy numbers become Python numbers."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


TURF_STATUSES = ("not started", "in progress", "knock again", "done")
"""A turf's status: no door knocked; some not knocked yet; every door knocked but some open
for another pass (not home, come back); every door has a final result."""


def turf_status(*, doors: int, knocked: int, reknock: int) -> str:
    """The status (one of `TURF_STATUSES`) of a turf with ``doors`` doors.

    Examples
    --------
    >>> turf_status(doors=40, knocked=40, reknock=6)
    'knock again'
    """
    if not knocked:
        return "not started"
    if knocked < doors:
        return "in progress"
    return "knock again" if reknock else "done"


def _open_skips(
    activity: PlanActivity, skipped: Mapping[str, frozenset[tuple[str, str]]]
) -> dict[str, int]:
    """Per turf, doors the budget skips that nobody has knocked (knocked ones count as work)."""
    if not skipped:
        return {}
    doors = activity.voters.drop_duplicates("household_id")
    knocked = set(activity.results["household_id"])
    counts: dict[str, int] = {}
    for turf, household, stop, unit in zip(
        doors["turf"], doors["household_id"], doors["stop_id"], doors["unit"], strict=True
    ):
        if (str(stop), str(unit or "")) in skipped.get(str(turf), ()) and household not in knocked:
            counts[str(turf)] = counts.get(str(turf), 0) + 1
    return counts


def _with_done(table: pd.DataFrame) -> pd.DataFrame:
    """``doors_done``: knocked doors whose latest result is final."""
    return table.assign(doors_done=table["doors_knocked"] - table["doors_reknock"])


def _rows(table: pd.DataFrame, key: str) -> list[dict[str, Any]]:
    table = _with_done(table)
    return [
        {key: str(index), **{column: _plain(row[column]) for column in TABLE_COLUMNS}}
        for index, row in table.iterrows()
    ]


def progress_report(
    activity: PlanActivity, skipped: Mapping[str, frozenset[tuple[str, str]]] | None = None
) -> dict[str, Any]:
    """Per turf, per precinct and in all: target doors, knocked, contacted, supporting, rates.

    Results count for the turf the door is in now (a re-cut moves them with the door).
    ``skipped``: per turf, (stop id, unit) of the doors its budget leaves for a later pass
    (``app.services.budget_skip``); those not knocked are each turf's ``doors_skipped``, and a
    turf is done once its other doors are.
    """
    open_skips = _open_skips(activity, skipped or {})
    results = activity.results if len(activity.results) else None
    by_turf = engagement_by_precinct(activity.voters, results, precinct_column="turf")
    by_precinct = engagement_by_precinct(activity.voters, results, precinct_column="precinct")
    turfs = _rows(by_turf, "turf")
    planned = activity.turfs.set_index("turf")
    for row in turfs:
        if row["turf"] in planned.index:
            facts = planned.loc[row["turf"]]
            row["precinct"] = str(facts["precinct"])
            row["minutes"] = round(float(facts["minutes"]), 1)
            row["walk_m"] = round(float(facts["walk_m"]), 0)
        row["doors_skipped"] = open_skips.get(row["turf"], 0)
        row["status"] = turf_status(
            doors=row["target_households"] - row["doors_skipped"],
            knocked=row["doors_knocked"],
            reknock=row["doors_reknock"],
        )
    last = activity.results["timestamp"].max() if len(activity.results) else None
    totals = engagement_totals(activity.voters, results)
    totals["doors_done"] = totals["doors_knocked"] - totals["doors_reknock"]
    return {
        "totals": {key: _plain(value) for key, value in totals.items()},
        "turfs": turfs,
        "precincts": _rows(by_precinct, "precinct"),
        "results": len(activity.results),
        "last_result_at": last,
    }
