"""A plan keeps the objects alive before it (the libraries') out of the full collections."""

from __future__ import annotations

import gc
from pathlib import Path

import pandas as pd

from app.planning.pipeline import run_plan
from app.planning.progress import Progress
from app.planning.request import PlanRequest
from tests.app.conftest import BuiltPlan


class FreezeWatcher(Progress):
    """How many objects were frozen when each stage began."""

    def __init__(self) -> None:
        self.frozen: dict[str, int] = {}

    def stage(self, name: str, total: int | None = None) -> None:
        self.frozen[name] = gc.get_freeze_count()


def _small_request(demo_plan: BuiltPlan, tmp_path: Path) -> PlanRequest:
    voters = pd.read_csv(demo_plan.inputs.voters, dtype=str, keep_default_na=False)
    small = tmp_path / "voters.csv"
    voters.sort_values(["street", "house_number"]).head(300).to_csv(small, index=False)
    return PlanRequest(
        voters=small, precincts=demo_plan.inputs.precincts, streets=demo_plan.inputs.streets
    )


def test_a_plan_runs_on_a_frozen_heap_and_thaws_it_after(
    demo_plan: BuiltPlan, tmp_path: Path, thawed: None
) -> None:
    # As the CLI and the benchmarks: nothing frozen before, nothing after.
    watcher = FreezeWatcher()
    plan = run_plan(_small_request(demo_plan, tmp_path), progress=watcher)
    assert plan.turfs
    assert gc.get_freeze_count() == 0
    assert {"read_voters", "cut_turfs", "route_turfs"} <= set(watcher.frozen)
    # The modules imported by then (tens of thousands of objects) are out of the way.
    assert min(watcher.frozen.values()) > 10_000


def test_a_heap_frozen_for_good_stays_frozen_through_a_plan(
    demo_plan: BuiltPlan, tmp_path: Path, thawed: None
) -> None:
    # As the web server, which froze what it started with.
    gc.freeze()
    frozen = gc.get_freeze_count()
    run_plan(_small_request(demo_plan, tmp_path))
    assert gc.get_freeze_count() > 0.99 * frozen
