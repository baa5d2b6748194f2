"""A whole plan, computed and written: every pipeline stage and every writer, side by side.

Runs ``app.planning.pipeline.run_plan`` on the demo (the inputs of ``canvass demo``, the same
request as the tests' ``demo_plan``) and, with ``--county``, on a synthetic county on the Cobb
County extract in ``../shared/data/atlanta`` (skipped with a message when it is absent): about
25,000 VAN-style voters from ``bench/make_van_sample.py`` (doors every 25 m on both sides of the
named residential streets; ~21,500 placed, ~7,000 stops, ~230 turfs of 120 minutes, no target,
no precincts). Then it writes the plan's outputs one writer at a time, the way
``app.outputs.writer.write_plan`` does, and prints one table per data set: each pipeline stage
(``plan.timings_s``) and each writer with its seconds (and CPU milliseconds per turf: the
machine may be shared) and the peak RSS while it ran, the share of writing in the whole plan,
the writing/computing ratio and milliseconds per turf. The goal (issue "A county plan in
seconds"): writing costs at most 25 % of the whole plan and at most 50 ms per turf on 2 cores.

The walk lists are timed as rows, CSV, HTML and PDF, as ``app.outputs.walklist_files`` makes
them (one pass for all turfs); the contents of each list (``walk_list``) and its QR code,
shared by the HTML and the PDF, are a stage of their own.

``write_plan`` is timed end to end into other folders, with its worker processes (one per
core) and in one process, before the writers one at a time and straight after computing, as
``canvass plan`` runs (``--no-write-plan`` skips them; printed last): that is what a user
waits for, so its share of the whole plan and its milliseconds per turf are the figures the
goal is about. CPU times include the workers'; peak memory is this process's RSS plus the
workers' private memory (what they share with this process counts once). The INFO lines logged
while writing are counted (the CLI prints INFO).

    python bench/bench_plan.py [--county] [--voters 25000] [--county-50k] [--keep DIR]
        [--no-write-plan] [--cold]

Each data set is planned once before it is measured, unmeasured, to fill its cache folder as
``canvass plan`` fills the user's (the street graph, the base map's features, the fonts' cuts
and objects): the figures are those of a second plan on the same streets. ``--cold`` leaves the
cache folder empty: a first plan, which reads the OSM file for the graph and the base map.

``--county-50k`` is the county of the goal "whole plan for 50k voters in under 60 s and
3 GB": 50,000 voter rows at doors every 15 m (the extract's streets hold ~16,000 doors at
25 m), houses of 1-2 voters and 5 % blocks of flats, so ~24,000 stops.

``--keep DIR`` leaves the written folders in DIR (``DIR/<data set>/`` by the writers one at a
time, ``DIR/<data set>-<n>/<data set>/`` by each ``write_plan``) to compare outputs between two
versions of the code.
"""

from __future__ import annotations

import argparse
import inspect
import logging
import os
import resource
import shutil
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from app.outputs import walklist_page as page_module
from app.outputs import walklist_pdf as pdf_module
from app.outputs import walklists as walklists_module
from app.outputs.assets import copy_assets
from app.outputs.heatmaps import write_heatmap
from app.outputs.maps import plan_map_data, turf_map_data, write_plan_map, write_turf_map
from app.outputs.qr_codes import qr_code

try:  # a turf's stops and outline taken once per plan (older code: from the tables per turf)
    from app.outputs.maps import MapStops, MapTurfs
except ImportError:
    MapStops = MapTurfs = None  # type: ignore[assignment,misc]
try:  # GeoJSON through GEOS and the JSON encoder (older code: GDAL through pyogrio)
    from app.outputs.geojson import write_geojson
except ImportError:

    def write_geojson(frame: Any, path: Path) -> Path:
        frame.to_file(path, driver="GeoJSON")
        return path


try:  # the base maps drawn under the routes (older code has none)
    from app.outputs import basemap as base_map_module
    from app.outputs.maps import write_base_map
except ImportError:
    base_map_module = None  # type: ignore[assignment]
from app.outputs.tables import route_lines, stop_table, turf_outlines, turf_table, write_gpx
from app.outputs.turf_files import WRITE_BATCH
from app.outputs.voter_data import write_voter_data
from app.outputs.walklist_files import write_csv_lists
from app.outputs.writer import summary, write_plan
from app.plan_folder import PlanFolder
from app.planning.pipeline import Plan, run_plan
from app.planning.progress import Progress
from app.planning.request import PlanRequest
from app.spreadsheet import neutralise_frame
from geo.effort import TurfSize
from geo.sample import write_demo_inputs

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
COUNTY_STREETS = SHARED_DATA / "atlanta" / "cobb-county.filtered.osm.pbf"
DEMO_TARGET = "support_score >= 55 and turnout_score between 20 and 85"
COUNTY_VOTERS = 25_000
GOAL_SHARE = 0.25
GOAL_MS_PER_TURF = 50.0
PAGE = 4096


# ----------------------------------------------------------------------------- measuring


def _rss_mb() -> float:
    """Resident memory of this process now, in MB (Linux)."""
    with open("/proc/self/statm") as statm:  # noqa: PTH123
        return int(statm.read().split()[1]) * PAGE / 1e6


def _children_private_mb() -> float:
    """Memory the child processes (the writing workers) hold of their own, in MB (Linux).

    Forked workers share the plan with this process; only their private pages add to what
    the machine needs.
    """
    total_kb = 0
    for listing in Path("/proc/self/task").glob("*/children"):
        for pid in listing.read_text().split():
            try:
                text = Path(f"/proc/{pid}/smaps_rollup").read_text()
            except OSError:
                continue  # gone already
            total_kb += sum(
                int(line.split()[1])
                for line in text.splitlines()
                if line.startswith(("Private_Clean:", "Private_Dirty:"))
            )
    return total_kb / 1e3


class PeakMeter:
    """Samples memory every few milliseconds; ``peak()`` is the highest since ``reset()``.

    The memory is this process's RSS (every 20 ms) plus its children's private memory (every
    second). Reading a worker's ``smaps_rollup`` costs the kernel ~7 ms while the worker waits:
    read every 50 ms, as this meter first did, it slowed the writing it measured by a fifth.
    """

    CHILDREN_EVERY = 50
    """Samples between two readings of the children's private memory."""

    def __init__(self, every_s: float = 0.02) -> None:
        self._every_s = every_s
        self._children = 0.0
        self._peak = _rss_mb()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        samples = 0
        while not self._stop.wait(self._every_s):
            samples += 1
            if samples % self.CHILDREN_EVERY == 0:
                self._children = _children_private_mb()
            self._peak = max(self._peak, _rss_mb() + self._children)

    def reset(self) -> None:
        self._peak = _rss_mb()

    def peak(self) -> float:
        return max(self._peak, _rss_mb())

    def close(self) -> None:
        self._stop.set()
        self._thread.join()


def _children_cpu_s() -> float:
    """CPU seconds of the child processes that have ended (the writing workers)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@dataclass
class Row:
    name: str
    seconds: float
    peak_mb: float
    kind: str  # "compute" | "write" | "end to end"
    note: str = ""
    cpu_s: float | None = None
    """CPU seconds of this process and its workers (the machine may be shared; wall time
    is the goal)."""


@dataclass
class Report:
    name: str
    rows: list[Row] = field(default_factory=list)
    turfs: int = 0
    facts: dict[str, Any] = field(default_factory=dict)

    @contextmanager
    def stage(self, meter: PeakMeter, name: str, *, kind: str = "write") -> Iterator[Row]:
        meter.reset()
        row = Row(name, 0.0, 0.0, kind)
        started = time.perf_counter()
        cpu = time.process_time() + _children_cpu_s()
        yield row
        row.seconds = time.perf_counter() - started
        row.cpu_s = time.process_time() + _children_cpu_s() - cpu
        row.peak_mb = meter.peak()
        self.rows.append(row)


class LineCounter(logging.Handler):
    """Counts records per logger prefix (here: what fontTools logs), printing nothing."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.counts: dict[str, int] = {}

    def emit(self, record: logging.LogRecord) -> None:
        key = f"{record.name.split('.')[0]} {record.levelname}"
        self.counts[key] = self.counts.get(key, 0) + 1


# ----------------------------------------------------------------------------- data sets


def demo_request(root: Path) -> PlanRequest:
    inputs = write_demo_inputs(root / "demo-inputs")
    return PlanRequest(
        voters=inputs.voters,
        precincts=inputs.precincts,
        streets=inputs.streets,
        target=DEMO_TARGET,
        graph_cache_dir=root / "cache",
    )


def county_request(root: Path, voters: int, *, dense: bool = False) -> PlanRequest | None:
    """The synthetic county; ``dense``: doors every 15 m, mostly houses of 1-2 voters."""
    if not COUNTY_STREETS.is_file():
        print(f"county skipped: {COUNTY_STREETS} is not there")
        return None
    from make_van_sample import SEED, doors, named_streets, van_export

    streets = named_streets(COUNTY_STREETS)
    rng = np.random.default_rng(SEED)
    if dense:
        frame, _ = van_export(
            doors(streets, spacing_m=15.0), voters, rng, flat_share=0.05, most_in_house=2
        )
    else:
        frame, _ = van_export(doors(streets), voters, rng)
    path = root / "county-voters.zip"
    text = frame.to_csv(sep="\t", index=False, lineterminator="\r\n")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("ExportFile_4242.xls", text.encode("utf-16"))
    return PlanRequest(
        voters=path,
        streets=COUNTY_STREETS,
        size=TurfSize(minutes=120.0),
        graph_cache_dir=root / "cache",
    )


# ----------------------------------------------------------------------------- the run


def warm_cache(name: str, request: PlanRequest) -> None:
    """Plan once, unmeasured, so the cache folder holds what ``canvass plan`` keeps there.

    As a campaign's second plan on the same streets runs: the street graph, the base map's
    features and the fonts' cuts and objects come from the cache folder (the CLI's is the
    user's cache; ``--cold`` measures a first plan instead).
    """
    started = time.perf_counter()
    # In a new interpreter: this one stays as a new ``canvass plan`` process starts (its numba
    # kernels not yet loaded, nothing made on first use), only the folder is filled. Spawned,
    # not forked: a child forked after k-means ran here hangs in its own k-means (GNU
    # OpenMP's threads do not survive a fork), as the county's did after the demo's.
    child = get_context("spawn").Process(target=_plan_and_write, args=(name, request))
    child.start()
    child.join()
    if child.exitcode != 0:
        raise SystemExit(f"{name}: planning to fill the cache folder failed")
    print(f"{name}: cache folder filled in {time.perf_counter() - started:.1f} s (not measured)")


def _plan_and_write(name: str, request: PlanRequest) -> None:
    plan = run_plan(request)
    staging = Path(tempfile.mkdtemp(prefix="warm-"))
    try:
        write_plan(plan, staging / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def compute(report: Report, meter: PeakMeter, request: PlanRequest) -> Plan:
    """``run_plan`` with each stage's peak RSS (a stage ends when the next begins)."""
    marks: list[tuple[str, float]] = []

    class StagePeaks(Progress):
        def stage(self, name: str, total: int | None = None) -> None:
            if marks:
                marks[-1] = (marks[-1][0], meter.peak())
            meter.reset()
            marks.append((name, 0.0))

    meter.reset()
    started = time.perf_counter()
    plan = run_plan(request, progress=StagePeaks())
    total = time.perf_counter() - started
    if marks:
        marks[-1] = (marks[-1][0], meter.peak())
    peaks = dict(marks)
    for name, seconds in plan.timings_s.items():
        report.rows.append(Row(name, seconds, peaks.get(name, float("nan")), "compute"))
    staged = sum(plan.timings_s.values())
    report.rows.append(Row("(between stages)", total - staged, meter.peak(), "compute"))
    report.turfs = len(plan.turfs)
    report.facts.update(
        voters=len(plan.voters),
        target_voters=int(plan.voters["target"].sum()),
        stops=len(plan.stops),
        turfs=len(plan.turfs),
    )
    return plan


def write_each(report: Report, meter: PeakMeter, plan: Plan, folder: PlanFolder) -> None:
    """Every writer of ``app.outputs.writer._write_all``, one at a time, into ``folder``."""
    name = folder.name
    stage: Callable[[str], Any] = lambda title: report.stage(meter, title)  # noqa: E731
    folder.path.mkdir(parents=True)
    with stage("turf table"):
        outlines = turf_outlines(plan)  # as the writer: also the page-1 sketches' outlines
        turfs = turf_table(plan, outlines)
    with stage("route lines"):
        routes = route_lines(plan)
    with stage("stops + rejected CSV"):
        rejected = plan.rejected.sort_values("row", kind="stable")
        neutralise_frame(rejected).to_csv(folder.rejected_path, index=False)
        neutralise_frame(stop_table(plan)).to_csv(folder.stops_path, index=False)
    with stage("GeoJSON (turfs, precincts, routes)"):
        write_geojson(turfs, folder.turfs_path)
        if plan.precincts is not None and len(plan.precincts):
            write_geojson(plan.precincts[["precinct", "geometry"]], folder.precincts_path)
        write_geojson(routes, folder.routes_path)
    with stage("GPX"):
        write_gpx(plan, routes, folder.gpx_path)
    with stage("assets"):
        copy_assets(folder.assets_dir)
    with stage("voter data CSV"):
        write_voter_data(plan, folder)
    folder.walklists_dir.mkdir()
    write_walklists_in_stages(stage, plan, folder, name, outlines)
    folder.maps_dir.mkdir(parents=True, exist_ok=True)
    with stage("overview map"):
        write_plan_map(plan_map_data(plan, turfs, routes), folder.overview_map_path)
    with stage("turf maps"):
        taken = () if MapStops is None else (MapTurfs.of(turfs), MapStops.of(plan.stops))
        for index, turf in enumerate(plan.turfs):
            data = turf_map_data(plan, turf, index, *taken or (turfs,))
            write_turf_map(data, folder.turf_map(turf.turf_id))
    if base_map_module is not None:
        with stage("base map: read the extract (disk cache)") as row:
            base = base_map_module.plan_base_map(plan)
            row.note = "once per plan; cached by the file's bytes"
        with stage("base maps of the turfs + the plan"):
            for turf in plan.turfs:
                bounds = turfs.loc[turfs["turf"] == turf.turf_id].geometry.iloc[0].bounds
                write_base_map(
                    base_map_module.base_map_data(base, bounds), folder.turf_base_map(turf.turf_id)
                )
            whole = base_map_module.base_map_data(
                base, tuple(turfs.total_bounds), buildings=False, simplify_m=3.0
            )
            write_base_map(whole, folder.plan_base_map)
    with stage("heatmap"):
        write_heatmap(plan, turfs, folder.heatmap_path)
    with stage("summary"):
        folder.write_summary(summary(plan, turfs))


def write_walklists_in_stages(
    stage: Callable[[str], Any],
    plan: Plan,
    folder: PlanFolder,
    name: str,
    outlines: Sequence[Any],
) -> None:
    """What ``app.outputs.walklist_files.write_walklists`` does, one kind of file at a time.

    In batches of ``turf_files.WRITE_BATCH`` turfs where the writer works by batch (the CSV
    files); ``outlines`` are the turf table's (``tables.turf_outlines``).
    """
    from dataclasses import replace

    table_of = walklists_module.WalklistTable.of
    with stage("walk-list rows") as row:
        table = table_of(plan)
        row.note = "WalklistTable: one join and sort"
    with stage("walk-list CSV") as row:
        safe = replace(table, rows=neutralise_frame(table.rows))
        ranks = list(range(len(plan.turfs)))
        for start in range(0, len(ranks), WRITE_BATCH):
            write_csv_lists(safe, ranks[start : start + WRITE_BATCH], folder)
        row.note = f"one to_csv per {WRITE_BATCH} turfs, as the writer"
    with stage("walk-list contents + QR codes") as row:
        listings, urls, codes = {}, {}, {}
        source = walklists_module.ListSource.of(plan, table, outlines)
        made = walklists_module.walk_lists(
            plan, list(plan.turfs), table, source=source, **_survey()
        )
        for turf, listing in zip(plan.turfs, made, strict=True):
            listings[turf.turf_id] = listing
            # As a print for an assignment: a volunteer link in the QR code.
            urls[turf.turf_id] = url = f"https://canvass.example.org/t/{turf.turf_id}-token"
            codes[turf.turf_id] = qr_code(url)
        row.note = "shared by HTML and PDF"
    with stage("walk-list HTML"):
        for turf in plan.turfs:
            t = turf.turf_id
            html = page_module.walklist_html(listings[t], map_url=urls[t], qr=codes[t])
            folder.walklist(t, "html").write_text(html, encoding="utf-8")
    with stage("walk-list PDF"):
        for turf in plan.turfs:
            t = turf.turf_id
            document = pdf_module.walklist_pdf(
                listings[t], map_url=urls[t], plan_name=name, qr=codes[t]
            )
            folder.walklist(t, "pdf").write_bytes(document)


def _survey() -> dict[str, Any]:
    """The demo's survey questions for ``walk_lists``, when the code prints a survey."""
    if "questions" not in inspect.signature(walklists_module.walk_lists).parameters:
        return {}
    from app.services.survey import DEMO_SURVEY, printed

    return {"questions": printed(DEMO_SURVEY)}


def run(name: str, request: PlanRequest, root: Path, *, end_to_end: bool) -> Report:
    report = Report(name)
    meter = PeakMeter()
    counter = LineCounter()
    root_logger = logging.getLogger()
    old_level = root_logger.level
    try:
        plan = compute(report, meter, request)
        # As the CLI does: INFO and up reach the root logger's handlers.
        root_logger.setLevel(logging.INFO)
        root_logger.addHandler(counter)
        # write_plan first, straight after computing, as ``canvass plan`` runs it: after the
        # writers one at a time, the tables this process writes beside the forked workers
        # took twice as long as in the CLI (7.0 s, not 3.3 s; why was not pinned down).
        if end_to_end:
            for title, options in end_to_end_variants():
                with report.stage(meter, title, kind="end to end") as row:
                    # The same plan name each time: the QR codes point to it.
                    target = root / f"{name}-{len(report.rows)}" / name
                    document = write_plan(plan, target, **options)
                row.note = ", ".join(
                    f"{key} {value:.2f}"
                    for key, value in document["timings_s"].items()
                    if key.startswith(("write_", "carry_")) and key != "write_total"
                )
            report.facts["log lines in write_plan"] = dict(counter.counts)
            counter.counts = {}
        write_each(report, meter, plan, PlanFolder(root / name))
        report.facts["log lines while writing"] = dict(counter.counts)
    finally:
        root_logger.removeHandler(counter)
        root_logger.setLevel(old_level)
        meter.close()
    return report


def end_to_end_variants() -> list[tuple[str, dict[str, Any]]]:
    """``write_plan`` in one process and with its workers, side by side (older code: as is)."""
    if "workers" not in inspect.signature(write_plan).parameters:
        return [("write_plan (end to end)", {})]
    return [
        ("write_plan (workers: one per core)", {}),
        ("write_plan (1 process)", {"workers": 1}),
    ]


# ----------------------------------------------------------------------------- printing


def print_report(report: Report) -> None:
    compute_s = sum(r.seconds for r in report.rows if r.kind == "compute")
    write_s = sum(r.seconds for r in report.rows if r.kind == "write")
    turfs = max(report.turfs, 1)
    facts = ", ".join(f"{k} {v:,}" for k, v in report.facts.items() if isinstance(v, int))
    print(f"\n## {report.name}: {facts}\n")
    print("| stage | kind | seconds | ms per turf | CPU ms per turf | peak RSS MB | note |")
    print("| --- | --- | ---: | ---: | ---: | ---: | --- |")
    order = {"compute": 0, "write": 1, "end to end": 2}
    for row in sorted(report.rows, key=lambda r: order[r.kind]):
        per_turf = f"{1000 * row.seconds / turfs:.1f}" if row.kind != "compute" else ""
        cpu = f"{1000 * row.cpu_s / turfs:.1f}" if row.cpu_s is not None else ""
        print(
            f"| {row.name} | {row.kind} | {row.seconds:.3f} | {per_turf} | {cpu} "
            f"| {row.peak_mb:,.0f} | {row.note} |"
        )
    write_cpu = sum(r.cpu_s or 0.0 for r in report.rows if r.kind == "write")
    print(f"| **computing (run_plan)** | | **{compute_s:.3f}** | | | | |")
    print(
        f"| **writing (sum of writers)** | | **{write_s:.3f}** | **{1000 * write_s / turfs:.1f}**"
        f" | **{1000 * write_cpu / turfs:.1f}** | | |"
    )
    share = write_s / (compute_s + write_s) if compute_s + write_s else float("nan")
    ratio = write_s / compute_s if compute_s else float("nan")
    ms = 1000 * write_s / turfs
    print(
        f"\nwriting / computing {ratio:.2f}x; writing is {100 * share:.0f} % of the whole plan "
        f"(goal <= {100 * GOAL_SHARE:.0f} %: {'met' if share <= GOAL_SHARE else 'NOT met'}); "
        f"{ms:.1f} ms per turf (goal <= {GOAL_MS_PER_TURF:.0f}: "
        f"{'met' if ms <= GOAL_MS_PER_TURF else 'NOT met'})"
    )
    lists = [r for r in report.rows if r.name.startswith("walk-list")]
    lists_s = sum(r.seconds for r in lists)
    lists_cpu = sum(r.cpu_s or 0.0 for r in lists)
    print(
        "walk lists (rows + CSV + HTML + PDF): "
        f"{lists_s:.3f} s, {1000 * lists_s / turfs:.1f} ms per turf "
        f"({1000 * lists_cpu / turfs:.1f} ms CPU)"
    )
    for row in (r for r in report.rows if r.kind == "end to end"):
        share = row.seconds / (compute_s + row.seconds)
        ms = 1000 * row.seconds / turfs
        print(
            f"{row.name}: {row.seconds:.3f} s = {ms:.1f} ms per turf "
            f"({1000 * (row.cpu_s or 0.0) / turfs:.1f} ms CPU), {row.seconds / compute_s:.2f}x "
            f"computing, {100 * share:.0f} % of the whole plan; peak {row.peak_mb:,.0f} MB "
            f"(goals: <= {GOAL_MS_PER_TURF:.0f} ms per turf "
            f"{'met' if ms <= GOAL_MS_PER_TURF else 'NOT met'}, <= {100 * GOAL_SHARE:.0f} % "
            f"{'met' if share <= GOAL_SHARE else 'NOT met'})"
        )
    for key in ("log lines while writing", "log lines in write_plan"):
        if key in report.facts:
            print(f"{key}: {report.facts[key] or 'none'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--county", action="store_true", help="also the synthetic Cobb county")
    parser.add_argument("--voters", type=int, default=COUNTY_VOTERS, help="county voter rows")
    parser.add_argument(
        "--county-50k",
        action="store_true",
        help="also the 50k-voter county: doors every 15 m, ~2 voters a door (~24k stops)",
    )
    parser.add_argument("--keep", type=Path, help="leave the written plan folders here")
    parser.add_argument("--no-write-plan", action="store_true", help="skip write_plan end to end")
    parser.add_argument(
        "--cold",
        action="store_true",
        help="an empty cache folder: the street graph and base map read from the OSM file",
    )
    args = parser.parse_args()
    print(f"bench_plan: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    root = Path(tempfile.mkdtemp(prefix="canvass-bench-plan-"))
    try:
        sets: list[tuple[str, Callable[[], PlanRequest | None]]] = [
            ("demo", lambda: demo_request(root))
        ]
        if args.county:
            sets.append(("county", lambda: county_request(root, args.voters)))
        if args.county_50k:
            sets.append(("county-50k", lambda: county_request(root, 50_000, dense=True)))
        for name, make in sets:
            request = make()
            if request is None:
                continue
            if not args.cold:
                warm_cache(name, request)
            report = run(name, request, root / "plans", end_to_end=not args.no_write_plan)
            print_report(report)
            if args.keep:
                # The writers' folder and each write_plan's (``<name>-<n>/<name>``).
                for written in sorted((root / "plans").iterdir()):
                    number = written.name.removeprefix(f"{name}-")
                    if written.name == name or (number != written.name and number.isdigit()):
                        target = args.keep / written.name
                        shutil.rmtree(target, ignore_errors=True)
                        shutil.copytree(written, target)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1000
        child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1000
        print(f"\npeak RSS of the whole run: {peak:,.0f} MB (largest worker: {child:,.0f} MB)")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
