"""``voter_data.csv``: every field of every target voter, for the database import only.

The walk lists hold only the voter fields the organiser chose for paper and download (issue
21), but the store needs party and scores whatever that choice (the manager dashboard's means,
a volunteer link's own fields). This file keeps them; the web app never serves it to managers
or volunteers, an erasure rewrites it with the plan and the retention sweep reduces it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.outputs.walklists import WalklistTable
from app.plan_folder import VOTER_DATA_COLUMNS
from app.spreadsheet import neutralise_frame

if TYPE_CHECKING:
    from app.plan_folder import PlanFolder
    from app.planning.pipeline import Plan


def write_voter_data(plan: Plan, folder: PlanFolder, table: WalklistTable | None = None) -> None:
    """Write ``voter_data.csv`` of ``plan`` into ``folder``: the walk-list rows, every field.

    Turfs come in the order of their walk-list files' names, so an import reads the voters
    in the same order as from the walk lists (which household a shared key goes to first).
    ``table``: the walk-list rows of every turf with every field, if the caller has them
    (``WalklistSource.everything``; a turf's rows do not depend on the other turfs).
    """
    if table is None:
        table = WalklistTable.of(plan)
    ids = table.turf_ids
    ranks = sorted(range(len(ids)), key=lambda rank: f"{ids[rank]}.csv")
    rows = table.rows.iloc[table.positions(ranks)]
    neutralise_frame(rows[list(VOTER_DATA_COLUMNS)]).to_csv(folder.voter_data_path, index=False)
