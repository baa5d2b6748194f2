"""Writing a plan to disk: summary, rejected rows, turfs, routes, walk lists and maps.

Everything is written into a fresh folder beside the destination and swapped into place at
the end, so a failed run never leaves a half-written plan behind. File names come from
``app.plan_folder``.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from app.outputs.assets import copy_assets
from app.outputs.heatmaps import write_heatmap
from app.outputs.maps import write_maps
from app.outputs.tables import route_lines, stop_table, turf_table, write_gpx
from app.outputs.walklist_pdf import write_walklist_pdf
from app.outputs.walklists import walklist_rows, write_walklist_html
from app.plan_folder import SUMMARY, PlanFolder, is_plan
from app.planning.pipeline import Plan
from app.planning.request import request_record
from app.spreadsheet import neutralise_frame
from geo._errors import InputError


def summary(plan: Plan, turfs: gpd.GeoDataFrame) -> dict[str, Any]:
    """The ``summary.json`` document: counts at every stage, per-turf figures, timings."""
    document: dict[str, Any] = dict(plan.counts)
    # Enough to make the plan again (``app.planning.request.request_from_plan``).
    document.update(request_record(plan.request))
    document["turfs"] = [
        {k: (v.item() if isinstance(v, np.generic) else v) for k, v in row.items()}
        for row in pd.DataFrame(turfs.drop(columns="geometry")).to_dict(orient="records")
    ]
    document["segments"] = plan.analysis.summary()
    document["timings_s"] = plan.timings_s
    return document


def check_destination(out: Path, *, force: bool = False) -> None:
    """Refuse to write a plan over anything but an earlier plan, unless ``force``.

    ``out`` may be missing (it is made) or hold a plan (its ``summary.json``): that is replaced
    whole. A file, or a folder that is not a plan, is someone's data: ``InputError``.
    """
    if force or (not out.exists() and not out.is_symlink()):
        return
    if out.is_symlink() or not out.is_dir():
        raise InputError(
            f"{out} is a file, not a plan folder: choose another --out, or add --force to "
            "replace it"
        )
    if not is_plan(out) and any(out.iterdir()):
        raise InputError(
            f"{out} is a folder that holds no plan (no {SUMMARY}): its files would be deleted; "
            "choose another --out, or add --force to replace it"
        )


def write_plan(plan: Plan, out: str | Path, *, force: bool = False) -> dict[str, Any]:
    """Write every output of ``plan`` into ``out``, replacing an earlier plan there.

    Anything else at ``out`` is refused (see ``check_destination``) unless ``force``.
    """
    out = Path(out)
    check_destination(out, force=force)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        document = _write_all(plan, PlanFolder(staging), name=out.name)
        if out.exists() or out.is_symlink():
            previous = out.with_name(f".{out.name}.previous")
            _remove(previous)
            out.rename(previous)
            staging.rename(out)
            _remove(previous)
        else:
            staging.rename(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return document


def _remove(path: Path) -> None:
    """Delete a file, a link or a folder tree (what is gone is gone quietly)."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _write_all(plan: Plan, folder: PlanFolder, *, name: str) -> dict[str, Any]:
    turfs = turf_table(plan)
    routes = route_lines(plan)
    rejected = plan.rejected.sort_values("row", kind="stable")
    neutralise_frame(rejected).to_csv(folder.rejected_path, index=False)
    neutralise_frame(stop_table(plan)).to_csv(folder.stops_path, index=False)
    turfs.to_file(folder.turfs_path, driver="GeoJSON")
    if plan.precincts is not None and len(plan.precincts):
        # For the manager dashboard's precinct layers (ids and outlines only).
        outlines = plan.precincts[["precinct", "geometry"]]
        outlines.to_file(folder.precincts_path, driver="GeoJSON")
    routes.to_file(folder.routes_path, driver="GeoJSON")
    write_gpx(plan, routes, folder.gpx_path)
    copy_assets(folder.assets_dir)
    folder.walklists_dir.mkdir()
    for turf in plan.turfs:
        rows = walklist_rows(plan, turf)
        neutralise_frame(rows).to_csv(folder.walklist(turf.turf_id, "csv"), index=False)
        write_walklist_html(plan, turf, rows, folder.walklist(turf.turf_id, "html"), plan_name=name)
        write_walklist_pdf(plan, turf, rows, folder.walklist(turf.turf_id, "pdf"), plan_name=name)
    write_maps(plan, turfs, routes, folder)
    write_heatmap(plan, turfs, folder.heatmap_path)
    document = summary(plan, turfs)
    folder.write_summary(document)
    return document
