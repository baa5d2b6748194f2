"""The budget of a plan split by region (``--hours`` with ``--regions``): one choice statewide.

Volunteer-hours are one pool, so the turfs to work are chosen once over every region's turfs
after the regions finish, not region by region: splitting the hours beforehand (in proportion
to each region's value, say) would give a region of scattered doors as many hours as one of
dense blocks of the same value. The regions are planned without a budget; each keeps, beside
its plan folder, its voters' turf, stop and value (``app.outputs.region_maps``), and the
merged plan's ``stops.csv`` and ``turfs.csv`` give each turf's route, so the driver runs the
same knapsack as a single plan (``app.planning.budget.plan_budget``) over all of them and
writes its columns into the merged turf tables and ``summary.json``.

Whole turfs only: a trimmed turf (its best doors, the rest marked to skip on its walk list)
would mean writing that region's walk lists again, and the budget's re-cut onto valuable doors
would mean cutting the regions again. Over a state's thousands of turfs the choice is decided
by whole turfs; trimming only changes the last few at the edge of the hours.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from app.outputs.region_maps import HEAT_VOTERS, has_heat_inputs
from app.plan_folder import PlanFolder
from app.planning.budget import plan_budget
from geo.effort import WalkModel

BUDGET_VOTERS = ("household_id", "stop_id", "target", "turf", "sequence", "value")
"""What the budget reads of a region's voters (kept with the heat inputs)."""
SCOPE = "whole turfs chosen over every region's turfs; no turf trimmed or re-cut by region"


def apply_budget(
    out: Path,
    summary: dict[str, Any],
    parts: list[Path],
    *,
    hours: float,
    expression: str | None,
    model: WalkModel,
) -> dict[str, Any]:
    """Choose the turfs of the merged plan ``out`` to work within ``hours``; its new summary.

    ``parts`` are the regions' folders holding their voters' values. The turf tables
    (``turfs.geojson``, ``turfs.csv``) and the summary's turfs get the budget's columns
    (``value``, ``priority``, ``in_budget``, ...) and the summary its ``budget`` record.
    """
    folder = PlanFolder(out)
    found = [p for p in parts if has_heat_inputs(p)]
    frames = [pd.read_parquet(p / HEAT_VOTERS, columns=list(BUDGET_VOTERS)) for p in found]
    voters = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        {c: [] for c in BUDGET_VOTERS}
    )  # fmt: skip
    voters = voters.loc[voters["turf"].notna() & (voters["turf"].astype(str) != "")]
    turfs = pd.read_csv(folder.turfs_csv_path, dtype={"turf": str})
    stops = pd.read_csv(folder.stops_path, dtype={"turf": str}, usecols=["turf", "sequence",
                                                                           "leg_m"])  # fmt: skip
    legs = {t: g.sort_values("sequence")["leg_m"].tolist() for t, g in stops.groupby("turf")}
    routes = {
        str(t): (float(m), legs.get(str(t), []))
        for t, m in zip(turfs["turf"], turfs["minutes"], strict=True)
    }
    budget = plan_budget(
        voters,
        routes,
        hours=hours,
        values=voters["value"].astype(float),
        expression=expression,
        model=model,
        trim=False,
    )
    table = budget.turfs
    for column in table.columns:
        turfs[column] = table[column].reindex(turfs["turf"]).to_numpy()
    turfs.to_csv(folder.turfs_csv_path, index=False)
    _add_properties(folder.turfs_path, table)
    document = dict(summary)
    document["turfs"] = [
        {**record, **_json_row(table, str(record["turf"]))} for record in summary["turfs"]
    ]
    document["budget"] = {**budget.record, "scope": SCOPE}
    return document


def _json_row(table: pd.DataFrame, turf: str) -> dict[str, Any]:
    """A turf's budget columns as JSON has them (a turf outside the budget: null threshold)."""
    if turf not in table.index:
        return {}
    row = table.loc[turf]
    return {str(k): _plain(v) for k, v in row.items()}


def _plain(value: Any) -> Any:
    value = value.item() if isinstance(value, np.generic) else value
    return None if isinstance(value, float) and value != value else value


def _add_properties(path: Path, table: pd.DataFrame) -> None:
    """Add the budget's columns to each turf of a GeoJSON layer, geometry untouched."""
    layer = json.loads(path.read_text(encoding="utf-8"))
    for feature in layer["features"]:
        feature["properties"].update(_json_row(table, str(feature["properties"]["turf"])))
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(layer, ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)
