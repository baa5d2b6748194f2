"""Writing a plan to disk: summary, rejected rows, turfs, routes, walk lists and maps.

Everything is written into a fresh folder beside the destination and swapped into place at
the end, so a failed run never leaves a half-written plan behind. File names come from
``app.plan_folder``.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from app.outputs.assets import copy_assets
from app.outputs.heatmaps import write_heatmap
from app.outputs.maps import plan_map_data, turf_map_data, write_plan_map, write_turf_map
from app.outputs.tables import route_lines, stop_table, turf_table, write_gpx
from app.outputs.voter_data import write_voter_data
from app.outputs.walklist_files import write_walklists
from app.outputs.walklists import DEFAULT_PUBLIC_URL, walklist_rows_by_turf
from app.plan_folder import SUMMARY, PlanFolder, is_plan
from app.planning.pipeline import Plan, Turf
from app.planning.progress import Progress, Stages
from app.planning.request import request_record
from app.privacy.fields import fields_record, minimal_rows
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


def write_plan(
    plan: Plan,
    out: str | Path,
    *,
    force: bool = False,
    progress: Progress | None = None,
    public_url: str | None = None,
) -> dict[str, Any]:
    """Write every output of ``plan`` into ``out``, replacing an earlier plan there.

    Anything else at ``out`` is refused (see ``check_destination``) unless ``force``. The files
    of a turf that is the same as in the earlier plan (same walk list, same walk) are carried
    over as they are, bytes and modification time, instead of being made again.
    ``public_url`` is where volunteers reach the server: the printed walk lists' QR codes and
    links point there (default ``http://127.0.0.1:8000``).
    """
    out = Path(out)
    check_destination(out, force=force)
    previous = PlanFolder(out) if is_plan(out) else None
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        document = _write_all(
            plan,
            PlanFolder(staging),
            name=out.name,
            previous=previous,
            progress=progress,
            public_url=public_url or DEFAULT_PUBLIC_URL,
        )
        if out.exists() or out.is_symlink():
            previous_path = out.with_name(f".{out.name}.previous")
            _remove(previous_path)
            out.rename(previous_path)
            staging.rename(out)
            _remove(previous_path)
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


TURF_FIGURES = ("precinct", "stops", "doors", "voters", "walk_m", "minutes", "barrier_crossings")
"""What must be equal for a turf's earlier files to be carried over (with its walk list)."""


def _turf_files(folder: PlanFolder, turf: str) -> list[Path]:
    return [
        folder.walklist(turf, "csv"),
        folder.walklist(turf, "html"),
        folder.walklist(turf, "pdf"),
        folder.turf_map(turf),
        folder.turf_map_data(turf),
    ]


def _earlier_figures(previous: PlanFolder | None) -> dict[str, dict[str, Any]]:
    """Each turf of the earlier plan with its figures (none when unreadable)."""
    if previous is None:
        return {}
    try:
        summary = previous.read_summary()
    except ValueError:
        return {}
    url = summary.get("public_url")
    return {
        str(t.get("turf")): {k: t.get(k) for k in TURF_FIGURES} | {"public_url": url}
        for t in summary.get("turfs") or []
        if isinstance(t, dict)
    }


class _Clock:
    """Adds up the time of each kind of file across turfs (for ``timings_s``)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)

    def time(self, name: str, started: float) -> float:
        now = time.perf_counter()
        self.seconds[name] += now - started
        return now


def _write_all(
    plan: Plan,
    folder: PlanFolder,
    *,
    name: str,
    previous: PlanFolder | None,
    progress: Progress | None,
    public_url: str,
) -> dict[str, Any]:
    stages = Stages(progress)
    with stages.stage("write_tables"):
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
        # Every field, whatever the walk lists show: what the store imports (issue 21).
        write_voter_data(plan, folder)
    earlier = _earlier_figures(previous)
    figures = {
        str(row["turf"]): {k: _plain(row[k]) for k in TURF_FIGURES} | {"public_url": public_url}
        for row in turfs.drop(columns="geometry").to_dict(orient="records")
    }
    clock = _Clock()
    with stages.stage("write_turfs", total=len(plan.turfs)) as turf_progress:
        carried = _write_turfs(plan, turfs, folder, name, previous, earlier, figures, clock,
                               turf_progress, public_url)  # fmt: skip
    with stages.stage("write_overview_map"):
        write_plan_map(plan_map_data(plan, turfs, routes), folder.overview_map_path)
    with stages.stage("write_heatmap"):
        write_heatmap(plan, turfs, folder.heatmap_path)
    timings = dict(plan.timings_s)
    timings.update(stages.timings)
    timings.update({k: round(v, 3) for k, v in clock.seconds.items()})
    timings["write_total"] = round(sum(stages.timings.values()), 3)
    document = summary(plan, turfs)
    document["timings_s"] = timings
    document["turfs_carried_over"] = carried
    document["public_url"] = public_url
    document["privacy"] = {
        **(document.get("privacy") or {}),
        "walklist_fields": fields_record(plan.request.walklist_fields),
    }
    folder.write_summary(document)
    return document


def _plain(value: Any) -> Any:
    value = value.item() if isinstance(value, np.generic) else value
    return round(value, 1) if isinstance(value, float) else value


WRITE_BATCH = 8
"""Turfs written together (one join of their rows, one progress step)."""


def _write_turfs(
    plan: Plan,
    turfs: gpd.GeoDataFrame,
    folder: PlanFolder,
    name: str,
    previous: PlanFolder | None,
    earlier: dict[str, dict[str, Any]],
    figures: dict[str, dict[str, Any]],
    clock: _Clock,
    progress: Progress,
    public_url: str,
) -> int:
    """Write every turf's walk lists and map; returns how many were carried over as they were.

    A turf whose figures and walk-list CSV are those of the earlier plan keeps its earlier
    files (bytes and modification time); the others are made, a batch at a time.
    """
    folder.walklists_dir.mkdir()
    folder.maps_dir.mkdir()
    started = time.perf_counter()
    rows = walklist_rows_by_turf(plan) if previous is not None else {}
    rows = {t: minimal_rows(r, plan.request.walklist_fields) for t, r in rows.items()}
    started = clock.time("write_walklist_rows", started)
    fresh: list[tuple[int, Turf]] = []
    carried = 0
    for index, turf in enumerate(plan.turfs):
        same = previous is not None and earlier.get(turf.turf_id) == figures[turf.turf_id]
        if same and previous is not None and _carry_over(previous, folder, turf.turf_id, rows):
            carried += 1
            progress.advance()
        else:
            fresh.append((index, turf))
    started = clock.time("carry_over_turfs", started)
    for first in range(0, len(fresh), WRITE_BATCH):
        batch = fresh[first : first + WRITE_BATCH]
        write_walklists(
            plan,
            folder,
            [turf.turf_id for _, turf in batch],
            plan_name=name,
            public_url=public_url,
        )
        started = clock.time("write_walklists", started)
        for index, turf in batch:
            data = turf_map_data(plan, turf, index, turfs)
            write_turf_map(data, folder.turf_map(turf.turf_id))
        started = clock.time("write_turf_maps", started)
        progress.advance(len(batch))
    return carried


def _carry_over(
    previous: PlanFolder, folder: PlanFolder, turf_id: str, rows: dict[str, pd.DataFrame]
) -> bool:
    """Copy a turf's earlier files when its walk list is unchanged; whether it was."""
    old = _turf_files(previous, turf_id)
    if not all(path.is_file() for path in old):
        return False
    text = neutralise_frame(rows[turf_id]).to_csv(index=False)
    if old[0].read_text(encoding="utf-8") != text:
        return False
    for source, target in zip(old, _turf_files(folder, turf_id), strict=True):
        shutil.copy2(source, target)
    return True
