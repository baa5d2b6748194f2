"""A turf edit on the demo plan as the server runs it: computed and written, run after run.

Writes the demo plan (the inputs of ``canvass demo``, its survey and volunteer address, the
same request as the tests' ``demo_plan``), then edits it the way the web app's turf edits do
(``app.web.routers.turf_edits``: ``request_from_plan`` of the plan's folder, ``run_plan`` with
the edit, ``write_plan`` into the folder with the plan's own address and survey), each run on a
fresh copy of the written plan, all in one process: as on the server that made the plan, the
fonts are parsed and the street graph is in memory, and the first edit still fills some caches
(the median leaves it out). For each: seconds computing and
writing, CPU seconds of this process and of the page worker, how many turfs' files were
carried over (kept as they were) and the slowest stages. The goal (issue "A county plan in
seconds"): a turf edit rewrites only the files of the turfs it touched, in under 2 s.

    python bench/bench_edit.py [--runs 5] [--edit split|merge]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import pandas as pd

from app.outputs.writer import write_plan
from app.planning.edits import TurfEdit
from app.planning.pipeline import run_plan
from app.planning.request import PlanRequest, request_from_plan
from app.services.survey import DEMO_SURVEY, printed
from app.settings import Settings
from geo.sample import write_demo_inputs

DEMO_TARGET = "support_score >= 55 and turnout_score between 20 and 85"
PUBLIC_URL = "http://127.0.0.1:8000"
GOAL_S = 2.0


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def the_edit(plan_folder: Path, kind: str) -> TurfEdit:
    """Split the largest turf, or merge the two last turfs of the first precinct."""
    turfs = pd.read_csv(plan_folder / "turfs.csv", dtype={"turf": str, "precinct": str})
    if kind == "split":
        return TurfEdit("split", (str(turfs.sort_values("stops").iloc[-1]["turf"]),))
    precinct = sorted(turfs["precinct"].dropna())[0]
    first, second = sorted(turfs.loc[turfs["precinct"] == precinct, "turf"])[-2:]
    return TurfEdit("merge", (first, second))


def edit_once(written: Path, work: Path, kind: str) -> dict[str, object]:
    folder = work / "demo"
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(written, folder)
    edit = the_edit(folder, kind)
    started, cpu, children = time.perf_counter(), time.process_time(), _children_cpu_s()
    request = request_from_plan(folder, graph_cache_dir=Settings().graph_cache_dir)
    plan = run_plan(replace(request, edit=edit))
    computed = time.perf_counter()
    document = write_plan(plan, folder, public_url=PUBLIC_URL, questions=printed(DEMO_SURVEY))
    ended = time.perf_counter()
    timings = document["timings_s"]
    slowest = sorted(
        ((k, v) for k, v in timings.items() if not k.endswith(("_total", "_work"))),
        key=lambda item: -item[1],
    )[:4]
    return {
        "compute": computed - started,
        "write": ended - computed,
        "total": ended - started,
        "cpu": time.process_time() - cpu,
        "worker_cpu": _children_cpu_s() - children,
        "carried": f"{document['turfs_carried_over']} of {len(document['turfs'])}",
        "slowest": ", ".join(f"{k} {v:.2f}" for k, v in slowest),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="edits after the first")
    parser.add_argument("--edit", choices=("split", "merge"), default="split")
    args = parser.parse_args()
    print(f"bench_edit: {os.cpu_count()} cores, Python {sys.version.split()[0]}, {args.edit}")
    root = Path(tempfile.mkdtemp(prefix="canvass-bench-edit-"))
    try:
        inputs = write_demo_inputs(root / "demo-inputs")
        request = PlanRequest(
            voters=inputs.voters,
            precincts=inputs.precincts,
            streets=inputs.streets,
            target=DEMO_TARGET,
            graph_cache_dir=Settings().graph_cache_dir,
        )
        written = root / "written" / "demo"
        write_plan(
            run_plan(request), written, public_url=PUBLIC_URL, questions=printed(DEMO_SURVEY)
        )
        rows = [edit_once(written, root / "work", args.edit) for _ in range(args.runs + 1)]
        print(f"{'run':<7}{'compute s':>10}{'write s':>9}{'total s':>9}{'CPU s':>7}"
              f"{'worker':>8}  carried   slowest stages (s)")  # fmt: skip
        for number, row in enumerate(rows):
            name = "first" if number == 0 else f"{number}"
            print(
                f"{name:<7}{row['compute']:>10.2f}{row['write']:>9.2f}{row['total']:>9.2f}"
                f"{row['cpu']:>7.2f}{row['worker_cpu']:>8.2f}  {row['carried']:<9} {row['slowest']}"
            )
        later = [float(row["total"]) for row in rows[1:]]  # type: ignore[arg-type]
        if later:
            median = statistics.median(later)
            verdict = "met" if median < GOAL_S else "NOT met"
            print(f"\nmedian of the {len(later)} edits after the first: {median:.2f} s "
                  f"(goal < {GOAL_S:.0f} s: {verdict})")  # fmt: skip
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
