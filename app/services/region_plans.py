"""A plan split by region (``canvass plan --regions``), run on Dask distributed and merged.

The driver reads the voter file and the precincts once (as ``canvass plan`` does), gives each
voter a region (``app.planning.regions``), writes each region's share into the region's own
folder under ``WORK`` (``.<out>.regions/`` beside the plan), and submits one task per region
(``app.services.region_task.run_region``) to the cluster (``app.planning.cluster``). The
regions' plan folders are then merged into ``out`` (``app.outputs.region_merge``).

A region that fails after its retries is reported (``summary.json`` ``regions.failed``, the
console) and its voters are counted as rejected with the error, while the other regions are
merged; the folders of the regions that finished stay in ``WORK``, so running the same
command again recomputes only the failed ones.
"""

from __future__ import annotations

import hashlib
import json
import logging
import pickle
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from app.outputs.paper import US_LAYOUTS, on_letter_paper
from app.outputs.region_budget import apply_budget
from app.outputs.region_merge import merge_regions
from app.outputs.walklist_marks import PrintedQuestion
from app.outputs.writer import check_destination
from app.planning.budget import check_value
from app.planning.cluster import ClusterOptions, TaskOutcome, dask_client, run_tasks
from app.planning.pipeline import prepare_voters, target_mask
from app.planning.progress import Progress, Stages
from app.planning.regions import NO_REGION, RegionSpec, assign_regions
from app.planning.request import PlanRequest, request_record
from app.services.region_task import (
    INPUTS_FILE,
    RegionInputs,
    RegionTask,
    is_done,
    read_inputs,
    release_memory,
    run_region,
)
from geo._errors import InputError
from geo.voters import VoterTable, reject_rows

logger = logging.getLogger(__name__)

MARGIN_M = 1000.0
"""Streets kept around a region's voters: a route may leave the region's box to turn round."""


@dataclass(frozen=True)
class RegionRun:
    """The outcome of a plan split by region: its summary, and the regions that failed."""

    summary: dict[str, Any]
    failed: dict[str, str]
    """Region id -> error, for regions that did not finish after their retries."""

    @property
    def partial(self) -> bool:
        """Whether some region is missing from the plan."""
        return bool(self.failed)


def work_folder(out: Path) -> Path:
    """Where the regions' own folders are kept between runs (beside the plan)."""
    return out.parent / f".{out.name}.regions"


def plan_by_region(
    request: PlanRequest,
    out: Path,
    spec: RegionSpec,
    *,
    cluster: ClusterOptions,
    force: bool = False,
    public_url: str | None = None,
    questions: tuple[PrintedQuestion, ...] = (),
    on_region: Callable[[TaskOutcome], None] | None = None,
    task: Callable[[RegionTask], dict[str, Any]] = run_region,
    progress: Progress | None = None,
) -> RegionRun:
    """Plan ``request`` region by region on ``cluster`` and merge the regions into ``out``.

    ``on_region`` hears of each region as it finishes or fails. ``task`` is what runs a
    region (tests wrap it to kill a worker on the way). ``progress`` hears the driver's
    stages and, in stage ``regions``, one step per region planned or failed.
    """
    # The hours are one pool: the regions are planned without them, and the turfs to work
    # are chosen once over all regions' turfs after they finish (app.outputs.region_budget).
    hours, request = request.hours, replace(request, hours=None)
    check_value(request.value if hours is not None else None)
    check_destination(out, force=force)
    stages = Stages(progress)
    prepared = prepare_voters(request, stages)
    layer, join_counts, privacy = prepared.layer, prepared.join_counts, prepared.privacy
    # The voters with their households stand for the table's accepted rows (a copy of them
    # without households): the driver's peak at a million voters is ~0.3 GB lower.
    table, voters = replace(prepared.table, accepted=prepared.voters), prepared.voters
    del prepared
    release_memory()
    with stages.stage("split_regions"):
        voters["region"] = assign_regions(
            voters, table.raw, spec, precincts=request.precincts, layer=layer
        ).to_numpy()
        outside = voters["region"] == NO_REGION
        table = reject_rows(table, outside, f"in no region of --regions {spec.text}")
        voters = table.accepted
        if not len(voters):
            raise InputError(f"--regions {spec.text}: no voter lies in any region")
        request = replace(request, paper=request.paper or _paper(voters, table.layout))
        # A region without target voters has nothing to plan (and a mistake in the target
        # stops the run here, before the cluster starts).
        idle = _without_target(voters, request)
        tasks = _write_region_inputs(request, out, voters, set(idle), table, layer, public_url,
                                     questions)  # fmt: skip
        sizes = voters["region"].value_counts()
        # Each region's voters are in its folder now: the driver keeps the counts and the
        # rows it refused, not a state's voters through the whole run.
        table = replace(table, accepted=_none_of(table.accepted), raw=_none_of(table.raw))
        del voters
        release_memory()
    # Biggest first: the last region to start decides when the run ends.
    order = sorted(tasks, key=lambda r: (-int(sizes[r]), r))
    todo = {r: (tasks[r],) for r in order if not is_done(tasks[r])}
    outcomes = {
        r: TaskOutcome(r, result={"region": r, "reused": True}) for r in order if r not in todo
    }
    with stages.stage("regions", total=len(todo)) as bar:

        def done(outcome: TaskOutcome) -> None:
            bar.advance()
            if on_region is not None:
                on_region(outcome)

        if todo:
            with dask_client(cluster) as client:
                outcomes |= run_tasks(
                    client,
                    task,
                    todo,
                    retries=cluster.retries,
                    token=uuid.uuid4().hex[:8],
                    on_done=done,
                    no_workers_timeout_s=cluster.no_workers_timeout_s,
                )
    failed = {r: str(o.error) for r, o in outcomes.items() if not o.ok}
    for region, error in sorted(failed.items()):
        table = _reject_region(
            table,
            tasks[region],
            f"region {region} could not be planned ({error}); run the command again to retry it",
        )
    document = _driver_document(replace(request, hours=hours), table, join_counts, privacy)
    document["regions"] = {
        "spec": spec.text,
        "runner": cluster.describe(),
        "count": len(tasks) + len(idle),
        "failed": sorted(failed),
        "partial": bool(failed),
        "list": sorted(
            [_record(r, outcomes[r], int(sizes[r])) for r in tasks] + list(idle.values()),
            key=lambda record: str(record["region"]),
        ),
    }
    merge_started = time.perf_counter()
    document["timings_s"] = dict(stages.timings)
    with stages.stage("merge"):
        summary = merge_regions(
            out,
            {r: tasks[r].plan_dir for r in sorted(tasks) if r not in failed},
            document=document,
            rejected=table.rejected,
            precincts=None if layer is None else layer.polygons,
        )
        if hours is not None:
            planned = [tasks[r].work for r in sorted(tasks) if r not in failed]
            summary = apply_budget(
                out, summary, planned, hours=hours, expression=request.value, model=request.model
            )
    summary["timings_s"]["merge"] = round(time.perf_counter() - merge_started, 3)
    (out / "summary.json").write_text(json.dumps(summary, indent=1), encoding="utf-8")
    return RegionRun(summary=summary, failed=failed)


def _none_of(frame: pd.DataFrame) -> pd.DataFrame:
    """No rows of ``frame``, its columns kept; a copy, so the rows' memory is let go."""
    return frame.iloc[:0].copy()


def _reject_region(table: VoterTable, task: RegionTask, reason: str) -> VoterTable:
    """``table`` with the voters of ``task``'s region (read back from its folder) rejected."""
    inputs = read_inputs(task)
    region = replace(table, accepted=inputs.voters, raw=inputs.raw)
    rejected = reject_rows(region, pd.Series(True, index=inputs.voters.index), reason)
    return replace(table, rejected=rejected.rejected)


def _without_target(voters: pd.DataFrame, request: PlanRequest) -> dict[str, dict[str, Any]]:
    """Regions none of whose voters is a target, with the counts the summary adds up.

    Not known before the plan runs for a next pass (``--results`` closes doors first).
    """
    if request.results is not None:
        return {}
    targeted = set(voters.loc[target_mask(voters, request.target).to_numpy(), "region"])
    idle = {}
    for region, part in voters.loc[~voters["region"].isin(targeted)].groupby("region"):
        idle[str(region)] = {
            "region": str(region),
            "status": "no target voters",
            "voters": len(part),
            "voters_accepted": len(part),
            "households": int(part["household_id"].nunique()),
            "stops": int(part["stop_id"].nunique()),
            "source": {str(k): int(v) for k, v in part["source"].value_counts().items()},
            "turfs": 0,
        }
    return idle


def _paper(voters: pd.DataFrame, layout: str) -> str:
    """One paper for every region (``app.outputs.paper``'s rule, over all the voters)."""
    if layout in US_LAYOUTS:
        return "Letter"
    lon = float(np.median(voters.geometry.x.to_numpy()))
    lat = float(np.median(voters.geometry.y.to_numpy()))
    return "Letter" if on_letter_paper(lon, lat) else "A4"


def _write_region_inputs(
    request: PlanRequest,
    out: Path,
    voters: Any,
    skip: set[str],
    table: Any,
    layer: Any,
    public_url: str | None,
    questions: tuple[PrintedQuestion, ...],
) -> dict[str, RegionTask]:
    """Each region's voters but ``skip``'s into its folder; the tasks, keyed by region."""
    work = work_folder(out)
    options = json.dumps(
        {**request_record(request), "paper": request.paper, "target": request.target,
         "fields": request.walklist_fields, "public_url": public_url,
         "questions": [[q.text, list(q.choices)] for q in questions],
         "streets": _file_stamp(request.streets), "margin_m": MARGIN_M},
        sort_keys=True, default=str,
    )  # fmt: skip
    tasks = {}
    for region, part in voters.groupby("region", sort=True):
        if region in skip:
            continue
        folder = work / str(region)
        folder.mkdir(parents=True, exist_ok=True)
        precincts = None
        if layer is not None:
            used = layer.polygons["precinct"].isin(part["precinct"].dropna().unique())
            precincts = replace(layer, polygons=layer.polygons.loc[used].reset_index(drop=True))
        inputs = RegionInputs(
            voters=part.drop(columns="region"),
            raw=table.raw.iloc[part["row"].to_numpy() - 1].set_axis(part.index),
            layout=table.layout,
            columns=table.columns,
            precincts=precincts,
        )
        data = pickle.dumps(inputs, protocol=pickle.HIGHEST_PROTOCOL)
        key = hashlib.sha256(data + options.encode()).hexdigest()
        path = folder / INPUTS_FILE
        if not path.is_file() or path.read_bytes() != data:
            tmp = path.with_name(f".{INPUTS_FILE}.tmp")
            tmp.write_bytes(data)
            tmp.replace(path)
        tasks[str(region)] = RegionTask(
            region=str(region),
            request=request,
            work=folder,
            key=key,
            margin_m=MARGIN_M,
            public_url=public_url,
            questions=questions,
        )
    return tasks


def _file_stamp(path: Path) -> list[Any]:
    stat = Path(path).stat()
    return [str(Path(path).resolve()), stat.st_size, stat.st_mtime_ns]


def _driver_document(
    request: PlanRequest, table: Any, join_counts: dict[str, Any], privacy: dict[str, Any]
) -> dict[str, Any]:
    """What only the driver knows: the whole voter file's counts and how the plan was made."""
    return {
        "voters": {
            "total": table.total,
            "layout": table.layout,
            "columns": table.columns,
        },
        "geocoding": table.geocoding,
        "precinct_join": join_counts,
        "target_expression": request.target or "",
        "privacy": privacy,
        **request_record(request),
        "paper": {"size": request.paper, "requested": None,
                  "reason": "one paper for every region, chosen from all the voters"},
    }  # fmt: skip


def _record(region: str, outcome: TaskOutcome, voters: int) -> dict[str, Any]:
    result = outcome.result or {}
    status = "failed" if not outcome.ok else "kept" if result.get("reused") else "planned"
    return {
        "region": region,
        "status": status,
        "voters": voters,
        "error": outcome.error,
        "worker": result.get("worker"),
        "seconds": result.get("seconds"),
        "cpu_seconds": result.get("cpu_seconds"),
        "worker_peak_rss_mb": result.get("worker_peak_rss_mb"),
    }
