"""``budget_skip.csv``: the doors the budget leaves out of the turfs it works only in part.

Printed walk lists mark these doors from the plan itself; the phone page's turf comes from the
database, so this file tells it which doors (by stop and unit, as the store keeps them) to mark.
A plan without such doors has no file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from app.spreadsheet import neutralise_frame

if TYPE_CHECKING:
    from app.plan_folder import PlanFolder
    from app.planning.pipeline import Plan


def write_budget_skip(plan: Plan, folder: PlanFolder) -> None:
    """Write the doors ``plan``'s budget skips (none: remove an earlier file)."""
    skipped = plan.budget.skipped if plan.budget is not None else frozenset()
    voters = plan.voters
    doors = voters.loc[voters["target"] & voters["household_id"].astype(str).isin(skipped)]
    if doors.empty:
        folder.budget_skip_path.unlink(missing_ok=True)
        return
    table = pd.DataFrame(
        {
            "turf": doors["turf"].astype(str),
            "stop_id": doors["stop_id"].astype(str),
            "unit": doors["unit"].fillna("").astype(str),
        }
    ).drop_duplicates()
    neutralise_frame(table.sort_values(["turf", "stop_id", "unit"])).to_csv(
        folder.budget_skip_path, index=False
    )
