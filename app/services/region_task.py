"""One region of a plan split by region: the task a Dask worker runs.

The task reads its region's voters (prepared once by the driver, ``app.services.region_plans``),
cuts its streets out of the statewide extract (``routing.clip``), runs the ordinary pipeline
and writes an ordinary plan folder whose turf ids carry the region's prefix (``CountyA-P01-02``),
so the driver can merge the folders without renaming a file. A folder made from the same
inputs (its ``key``) is kept: re-running a plan recomputes only the regions that failed or
changed.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import gc
import os
import pickle
import resource
import socket
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyarrow

from app.outputs.region_maps import has_heat_inputs, save_heat_inputs
from app.outputs.walklist_marks import PrintedQuestion
from app.outputs.writer import write_plan
from app.plan_folder import is_plan
from app.planning.budget import voter_values
from app.planning.pipeline import Plan, PreparedVoters, run_plan
from app.planning.regions import region_box
from app.planning.request import PlanRequest
from geo._errors import InputError
from geo.precincts import PrecinctLayer
from geo.voters import VoterTable
from routing._errors import SnappingError, StreetDataError
from routing.clip import clip_osm
from segments._errors import FilterError

KEY_FILE = "key"
PLAN_DIR = "plan"
INPUTS_FILE = "inputs.pickle"


@dataclass(frozen=True)
class RegionTask:
    """Everything one region's task needs; small, so it travels to the worker as it is."""

    region: str
    request: PlanRequest
    """The whole plan's request with the paper chosen (the same for every region)."""
    work: Path
    """The region's own folder (on storage every worker reaches)."""
    key: str
    """Digest of the region's inputs and options: a folder with the same key is kept."""
    margin_m: float
    public_url: str | None
    questions: tuple[PrintedQuestion, ...]

    @property
    def plan_dir(self) -> Path:
        """The region's plan folder."""
        return self.work / PLAN_DIR


@dataclass(frozen=True)
class RegionInputs:
    """A region's share of the prepared voters (pickled by the driver into its folder)."""

    voters: gpd.GeoDataFrame
    raw: pd.DataFrame
    """The voter file's rows of these voters, indexed like ``voters``."""
    layout: str
    columns: dict[str, str]
    precincts: PrecinctLayer | None


def is_done(task: RegionTask) -> bool:
    """Whether the region's folder holds a plan made from the same inputs."""
    key = task.work / KEY_FILE
    return (
        is_plan(task.plan_dir)
        and key.is_file()
        and key.read_text() == task.key
        and has_heat_inputs(task.work)  # regions planned before the merged heatmap lack them
    )


def read_inputs(task: RegionTask) -> RegionInputs:
    """The region's voters, as the driver wrote them into its folder."""
    with (task.work / INPUTS_FILE).open("rb") as handle:
        inputs: RegionInputs = pickle.load(handle)
    return inputs


def release_memory() -> None:
    """Give memory no longer used back to the system, not only to the allocators' pools.

    Voter columns are Arrow strings: pyarrow's pool (mimalloc) keeps what a freed frame held
    (~0.7 GB after a million voters), and glibc keeps freed small objects; a driver or worker
    that lives on after its voters (the regions phase, the next region) would hold both.
    """
    gc.collect()
    pyarrow.default_memory_pool().release_unused()
    with contextlib.suppress(OSError, AttributeError):  # not glibc: its pool stays as it is
        ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim(0)


DATA_ERRORS = (InputError, StreetDataError, SnappingError, FilterError)
"""The region's own data is wrong: running it again gives the same answer, so no retry."""


def run_region(task: RegionTask) -> dict[str, Any]:
    """Plan one region into ``task.plan_dir``; what it did (for the console and summary).

    A mistake in the region's data comes back as ``{"error": ...}`` (reported, not retried);
    anything else (a worker killed, a full disk) raises, and the cluster runs it again.
    """
    try:
        return _run_region(task)
    except DATA_ERRORS as exc:
        return {"region": task.region, "error": f"{type(exc).__name__}: {exc}"}


def _run_region(task: RegionTask) -> dict[str, Any]:
    started, cpu = time.perf_counter(), time.process_time()
    where = {"worker": f"{socket.gethostname()}:{os.getpid()}"}
    if is_done(task):
        return {"region": task.region, "reused": True, **where}
    (task.work / KEY_FILE).unlink(missing_ok=True)
    inputs = read_inputs(task)
    clipping = time.perf_counter()
    box = region_box(inputs.voters, margin_m=task.margin_m)
    streets = clip_osm(task.request.streets, box, task.work / "streets.osm.pbf")
    clip_s = time.perf_counter() - clipping
    table = VoterTable(
        accepted=inputs.voters,
        rejected=pd.DataFrame({"row": [], "voter_id": [], "reason": []}),
        total=len(inputs.voters),
        columns=inputs.columns,
        raw=inputs.raw,
        layout=inputs.layout,
    )
    prepared = PreparedVoters(
        table=table, voters=inputs.voters.copy(), layer=inputs.precincts, join_counts={}
    )
    request = replace(
        task.request, streets=streets, privacy=None, previous_stops=None, graph_cache_dir=None
    )
    plan = with_region_prefix(run_plan(request, prepared=prepared), task.region)
    plan.timings_s["clip_streets"] = round(clip_s, 3)
    write_plan(
        plan,
        task.plan_dir,
        force=True,
        public_url=task.public_url,
        questions=task.questions,
        workers=1,  # the cluster's workers are the parallelism
    )
    save_heat_inputs(plan, task.work, voter_values(plan.voters, task.request.value))
    (task.work / KEY_FILE).write_text(task.key)
    peak_mb = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    stops = len(plan.stops)
    del plan, inputs, prepared, table
    release_memory()  # the worker lives on to plan its next region
    return {
        "region": task.region,
        "reused": False,
        "seconds": round(time.perf_counter() - started, 3),
        # CPU seconds of this process: the work itself, whatever else the machine runs.
        "cpu_seconds": round(time.process_time() - cpu, 3),
        "stops": stops,
        # The worker process's peak so far (kB on Linux): what a worker needs for its regions.
        "worker_peak_rss_mb": peak_mb,
        **where,
    }


def with_region_prefix(plan: Plan, region: str) -> Plan:
    """``plan`` with every turf id prefixed by its region (``CountyA-P01-02``)."""
    prefix = f"{region}-"
    plan.turfs = [replace(t, turf_id=prefix + t.turf_id) for t in plan.turfs]
    for frame in (plan.stops, plan.voters):
        if "turf" in frame.columns:
            has = frame["turf"].notna() & (frame["turf"].astype(str) != "")
            frame.loc[has, "turf"] = prefix + frame.loc[has, "turf"].astype(str)
    return plan
