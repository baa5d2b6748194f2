"""Writing a plan to disk: summary, rejected rows, turfs, routes, walk lists and maps.

Everything is written into a fresh folder beside the destination and swapped into place at
the end, so a failed run never leaves a half-written plan behind. File names come from
``app.plan_folder``.
"""

from __future__ import annotations

import functools
import os
import shutil
import tempfile
import time
from collections import defaultdict
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from app.outputs.assets import copy_assets
from app.outputs.basemap import PlanBaseMap, base_map_data, plan_base_map
from app.outputs.budget_skip import write_budget_skip
from app.outputs.geojson import write_geojson
from app.outputs.heatmaps import write_heatmap
from app.outputs.maps import plan_map_data, write_base_map, write_plan_map
from app.outputs.paper import PaperChoice, choose_paper
from app.outputs.tables import (
    OutlineDrawing,
    route_lines,
    stop_table,
    stops_metric,
    turf_table,
    write_gpx,
)
from app.outputs.turf_files import (
    BackgroundPages,
    TurfFilesJob,
    TurfFileWriter,
    background_pages,
)
from app.outputs.voter_data import write_voter_data
from app.outputs.walklist_files import WalklistSource, csv_texts
from app.outputs.walklist_marks import PrintedQuestion
from app.outputs.walklists import DEFAULT_PUBLIC_URL
from app.plan_folder import SUMMARY, PlanFolder, is_plan
from app.planning.assign import SUGGESTION_COLUMNS
from app.planning.heap import frozen_heap
from app.planning.pipeline import Plan
from app.planning.progress import Progress, Stages
from app.planning.request import request_record
from app.privacy.fields import fields_record
from app.spreadsheet import neutralise_frame
from geo._errors import InputError


def summary(plan: Plan, turfs: gpd.GeoDataFrame) -> dict[str, Any]:
    """The ``summary.json`` document: counts at every stage, per-turf figures, timings."""
    document: dict[str, Any] = dict(plan.counts)
    # Enough to make the plan again (``app.planning.request.request_from_plan``).
    document.update(request_record(plan.request))
    document["turfs"] = [
        {k: _json_value(v) for k, v in row.items()}
        for row in pd.DataFrame(turfs.drop(columns="geometry")).to_dict(orient="records")
    ]
    document["segments"] = plan.analysis.summary()
    if plan.budget is not None:
        document["budget"] = plan.budget.record
    if plan.suggestion is not None:
        document["assignments_suggested"] = plan.suggestion.record
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
    questions: tuple[PrintedQuestion, ...] = (),
    workers: int | None = None,
) -> dict[str, Any]:
    """Write every output of ``plan`` into ``out``, replacing an earlier plan there.

    Anything else at ``out`` is refused (see ``check_destination``) unless ``force``. The files
    of a turf that is the same as in the earlier plan (same walk list, same walk) are carried
    over as they are, bytes and modification time, instead of being made again.
    ``public_url`` is where volunteers reach the server: the printed walk lists' QR codes and
    links point there (default ``http://127.0.0.1:8000``). ``questions`` is the survey the
    walk lists print; their paper is ``app.outputs.paper.choose_paper(plan)``. ``workers`` is
    how many processes write the turfs' files (``None``: one per core; see
    ``app.outputs.turf_files``).
    """
    out = Path(out)
    check_destination(out, force=force)
    previous = PlanFolder(out) if is_plan(out) else None
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        with frozen_heap():
            document = _write_all(
                plan,
                PlanFolder(staging),
                name=out.name,
                previous=previous,
                progress=progress,
                public_url=public_url or DEFAULT_PUBLIC_URL,
                printing=_Printing(choose_paper(plan), questions),
                workers=workers,
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
        folder.turf_base_map(turf),
    ]


def _earlier_figures(previous: PlanFolder | None) -> dict[str, dict[str, Any]]:
    """Each turf of the earlier plan with its figures (none when unreadable)."""
    if previous is None:
        return {}
    try:
        summary = previous.read_summary()
    except ValueError:
        return {}
    printed = {
        "public_url": summary.get("public_url"),
        "paper": (summary.get("paper") or {}).get("size"),
        "printed_survey": summary.get("printed_survey") or [],
        "privacy_notice_url": (summary.get("privacy") or {}).get("notice_url"),
    }
    return {
        str(t.get("turf")): {k: t.get(k) for k in TURF_FIGURES} | printed
        for t in summary.get("turfs") or []
        if isinstance(t, dict)
    }


class _Printing:
    """How the walk lists print: the paper and the survey questions."""

    def __init__(self, paper: PaperChoice, questions: tuple[PrintedQuestion, ...]) -> None:
        self.paper = paper
        self.questions = questions

    def record(self) -> dict[str, Any]:
        """What a turf's printed files depend on besides its walk list (compared on re-runs)."""
        survey = [{"text": q.text, "choices": list(q.choices)} for q in self.questions]
        return {"paper": self.paper.paper, "printed_survey": survey}


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
    printing: _Printing,
    workers: int | None,
) -> dict[str, Any]:
    stages = Stages(progress)
    earlier = _earlier_figures(previous)
    printed = {
        "public_url": public_url,
        "privacy_notice_url": plan.request.privacy_notice_url,
        **printing.record(),
    }
    clock = _Clock()
    started = time.perf_counter()
    # Made before any process writes into them.
    folder.walklists_dir.mkdir()
    folder.maps_dir.mkdir()
    with ExitStack() as stack:
        with stages.stage("write_tables"):
            # First what the plan-wide pages need, then what the turfs' files are made from;
            # the workers (when used) start on those files while this process writes the
            # plan-wide tables and pages. The outlines (the turf table's and the page-1
            # sketches') are GEOS's work, without Python's lock: other threads draw them
            # beside the walk-list rows (pandas's), then this one helps.
            with OutlineDrawing(plan, stops_metric(plan)) as drawing:
                routes = route_lines(plan)
                base_started = time.perf_counter()
                base = plan_base_map(plan)
                clock.time("write_base_maps", base_started)
                # Worked out once for every turf: compared with the earlier plan's, then the
                # batches of turfs made afresh take their parts (one join, one projection).
                source = WalklistSource.of(plan)
                outlines = drawing.result()
            source = source.with_outlines(plan, outlines)
            turfs = turf_table(plan, outlines)
            figures = {
                str(row["turf"]): {k: _plain(row[k]) for k in TURF_FIGURES} | printed
                for row in turfs.drop(columns="geometry").to_dict(orient="records")
            }
            carried, fresh = _carry_over_turfs(
                plan, folder, previous, earlier, figures, source, clock
            )
            job = TurfFilesJob(
                plan,
                turfs,
                routes,
                folder,
                plan_name=name,
                paper=printing.paper.paper,
                questions=printing.questions,
                base=base,
                lists=source,
            )
            writer = TurfFileWriter(job, fresh, workers=workers)  # its workers start on entering
            pool = writer.workers > 1
            # The heat map and the overview map: with turf workers, this process writes them
            # below while the workers work; with the turfs written here (a turf edit), a
            # process of their own writes them meanwhile.
            pages = stack.enter_context(
                BackgroundPages(
                    {
                        "heatmap": functools.partial(
                            write_heatmap, plan, turfs, folder.heatmap_path
                        ),
                        "overview_map": functools.partial(
                            _write_overview_map, plan, turfs, routes, base, folder
                        ),
                    },
                    background=not pool and background_pages(workers),
                )
            )
            stack.enter_context(writer)
            _write_tables(plan, folder, turfs, routes, source)
            if pool:  # written now, while the workers work; else waited for after the turfs
                for page in pages.pages:
                    pages.result(page)
        with stages.stage("write_turfs", total=len(plan.turfs)) as turf_progress:
            turf_progress.advance(carried)
            for kind, value in writer.turf_files(turf_progress).items():
                clock.seconds[kind] += value
        with stages.stage("write_overview_map"):
            clock.seconds["write_overview_map_work"] = pages.result("overview_map")
        with stages.stage("write_heatmap"):
            clock.seconds["write_heatmap_work"] = pages.result("heatmap")
    timings = dict(plan.timings_s)
    timings.update(stages.timings)
    timings.update({k: round(v, 3) for k, v in clock.seconds.items()})
    # All of it, the workers' ending too (not only the stages): what the plan's user waits for.
    timings["write_total"] = round(time.perf_counter() - started, 3)
    document = summary(plan, turfs)
    document["timings_s"] = timings
    document["turfs_carried_over"] = carried
    document["public_url"] = public_url
    document["privacy"] = {
        **(document.get("privacy") or {}),
        "walklist_fields": fields_record(plan.request.walklist_fields),
        "notice_url": plan.request.privacy_notice_url,
    }
    document["paper"] = printing.paper.record()
    document["printed_survey"] = printing.record()["printed_survey"]
    folder.write_summary(document)
    return document


def _json_value(value: Any) -> Any:
    """A table cell as JSON has it: NaN is null, which PostgreSQL's JSON accepts.

    (A turf outside the budget has no threshold of value to knock.)
    """
    value = value.item() if isinstance(value, np.generic) else value
    return None if isinstance(value, float) and value != value else value


def _plain(value: Any) -> Any:
    value = value.item() if isinstance(value, np.generic) else value
    return round(value, 1) if isinstance(value, float) else value


def _carry_over_turfs(
    plan: Plan,
    folder: PlanFolder,
    previous: PlanFolder | None,
    earlier: dict[str, dict[str, Any]],
    figures: dict[str, dict[str, Any]],
    source: WalklistSource,
    clock: _Clock,
) -> tuple[int, list[int]]:
    """Carry over the files of turfs that are as they were; how many, and the others' places.

    A turf whose figures and walk-list CSV are those of the earlier plan keeps its earlier
    files (bytes and modification time); the others are made afresh (``TurfFileWriter``).
    """
    started = time.perf_counter()
    safe = source.safe
    everyone = list(range(len(safe.turf_ids)))
    texts = dict(zip(safe.turf_ids, csv_texts(safe, everyone), strict=True)) if previous else {}
    started = clock.time("write_walklist_rows", started)
    fresh: list[int] = []
    carried = 0
    for index, turf in enumerate(plan.turfs):
        same = previous is not None and earlier.get(turf.turf_id) == figures[turf.turf_id]
        if same and previous is not None and _carry_over(previous, folder, turf.turf_id, texts):
            carried += 1
        else:
            fresh.append(index)
    clock.time("carry_over_turfs", started)
    return carried, fresh


def _write_tables(
    plan: Plan,
    folder: PlanFolder,
    turfs: gpd.GeoDataFrame,
    routes: gpd.GeoDataFrame,
    source: WalklistSource,
) -> None:
    """The plan-wide tables: rejected rows, stops, turfs, precincts, routes, GPX, voter data."""
    rejected = plan.rejected.sort_values("row", kind="stable")
    neutralise_frame(rejected).to_csv(folder.rejected_path, index=False)
    neutralise_frame(stop_table(plan)).to_csv(folder.stops_path, index=False)
    if plan.suggestion is not None:
        suggested = plan.suggestion.rows[list(SUGGESTION_COLUMNS)]
        neutralise_frame(suggested).to_csv(folder.suggestion_path, index=False)
    write_geojson(turfs, folder.turfs_path)
    figures_only = pd.DataFrame(turfs.drop(columns="geometry"))
    neutralise_frame(figures_only).to_csv(folder.turfs_csv_path, index=False)
    if plan.precincts is not None and len(plan.precincts):
        # For the manager dashboard's precinct layers (ids and outlines only).
        outlines = plan.precincts[["precinct", "geometry"]]
        write_geojson(outlines, folder.precincts_path)
    write_geojson(routes, folder.routes_path)
    write_gpx(plan, routes, folder.gpx_path)
    copy_assets(folder.assets_dir)
    # Every field, whatever the walk lists show: what the store imports (issue 21).
    write_voter_data(plan, folder, source.everything)
    write_budget_skip(plan, folder)  # the phone page marks these doors too


def _write_overview_map(
    plan: Plan,
    turfs: gpd.GeoDataFrame,
    routes: gpd.GeoDataFrame,
    base: PlanBaseMap,
    folder: PlanFolder,
) -> None:
    # The whole plan's streets and names (no buildings: it is drawn zoomed out).
    bounds = tuple(turfs.total_bounds)
    whole = base_map_data(base, bounds, buildings=False, simplify_m=3.0)
    write_base_map(whole, folder.plan_base_map)
    write_plan_map(plan_map_data(plan, turfs, routes), folder.overview_map_path)


def _carry_over(
    previous: PlanFolder, folder: PlanFolder, turf_id: str, texts: dict[str, str]
) -> bool:
    """Keep a turf's earlier files if its CSV walk list (``texts``) is unchanged; whether it was."""
    old = _turf_files(previous, turf_id)
    if not all(path.is_file() for path in old):
        return False
    if old[0].read_text(encoding="utf-8") != texts[turf_id]:
        return False
    for source, target in zip(old, _turf_files(folder, turf_id), strict=True):
        _keep(source, target)
    return True


def _keep(source: Path, target: Path) -> None:
    """``source`` at ``target`` as it is (bytes and modification time).

    A hard link, not a copy (two hundred files of a demo edit took 0.2 s to copy): the earlier
    plan's folder is the one this write replaces and is removed after it, so the file is
    never shared by two plans. Elsewhere (another file system) it is copied.
    """
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)
