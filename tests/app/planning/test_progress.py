"""A plan says how far it has come: every stage in order, with counts where it has them."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd

from app.outputs.writer import write_plan
from app.planning.pipeline import run_plan
from app.planning.progress import Progress
from app.planning.request import PlanRequest
from tests.app.conftest import BuiltPlan

PLAN_STAGES = [
    "read_voters", "check_voters", "read_precincts", "precinct_join", "households", "target",
    "street_graph", "snap", "cut_turfs", "route_turfs", "analysis",
]  # fmt: skip
WRITE_STAGES = ["write_tables", "write_turfs", "write_overview_map", "write_heatmap"]


class Recorder(Progress):
    def __init__(self) -> None:
        self.events: list[tuple[str, int | None]] = []
        self.done: dict[str, int] = {}
        self.current = ""

    def stage(self, name: str, total: int | None = None) -> None:
        self.events.append((name, total))
        self.current = name
        self.done[name] = 0

    def advance(self, count: int = 1) -> None:
        self.done[self.current] += count


def test_stages_and_counts_in_order(demo_plan: BuiltPlan, tmp_path: Path) -> None:
    voters = pd.read_csv(demo_plan.inputs.voters, dtype=str, keep_default_na=False)
    small = tmp_path / "voters.csv"
    voters.sort_values(["street", "house_number"]).head(400).to_csv(small, index=False)
    recorder = Recorder()
    request = PlanRequest(
        voters=small, precincts=demo_plan.inputs.precincts, streets=demo_plan.inputs.streets
    )

    plan = run_plan(request, progress=recorder)
    started = time.perf_counter()
    document = write_plan(plan, tmp_path / "plan", progress=recorder)
    writing = time.perf_counter() - started

    assert [name for name, _ in recorder.events] == PLAN_STAGES + WRITE_STAGES
    totals = dict(recorder.events)
    turfs = len(plan.turfs)
    assert turfs > 1
    assert totals["route_turfs"] == totals["write_turfs"] == turfs
    assert recorder.done["route_turfs"] == recorder.done["write_turfs"] == turfs
    # Rows are counted as they are checked.
    assert totals["check_voters"] == recorder.done["check_voters"] == 400
    # Cutting counts stops, group by group.
    assert totals["cut_turfs"] == recorder.done["cut_turfs"] == len(plan.stops)
    # Every stage and every writer is timed in summary.json, writing included.
    timings = document["timings_s"]
    assert set(PLAN_STAGES + WRITE_STAGES) <= set(timings)
    assert {"write_walklists", "write_turf_maps"} <= set(timings)
    # The whole of writing: its stages and the workers' ending after them.
    assert round(sum(timings[s] for s in WRITE_STAGES), 3) <= timings["write_total"] <= writing
