"""The budget pays for reaching each turf, and ends on whole turfs where a re-cut pays."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from app.planning.budget import plan_budget, voter_values
from app.planning.pipeline import Plan, run_plan
from app.planning.request import PlanRequest
from geo.effort import WalkModel
from tests.app.conftest import BuiltPlan

VALUE = "support_score * (100 - turnout_score) / 100"


def _budget(plan: Plan, hours: float, model: WalkModel) -> dict:
    routes = {t.turf_id: (t.route.minutes, t.route.legs_m) for t in plan.turfs}
    values = voter_values(plan.voters, VALUE)
    budget = plan_budget(
        plan.voters, routes, hours=hours, values=values, expression=VALUE, model=model
    )
    table = budget.turfs
    worked = table.loc[table["in_budget"]]
    return {"record": budget.record, "worked": worked}


def test_each_turf_worked_pays_its_reach_and_value_grows_with_hours(demo_plan: BuiltPlan) -> None:
    plan = demo_plan.plan
    model = WalkModel(minutes_per_turf=20.0)
    reached = []
    for hours in (2.0, 5.0, 10.0, 20.0, 40.0):
        budget = _budget(plan, hours, model)
        worked, record = budget["worked"], budget["record"]
        # Every turf worked is charged its reach on top of its walk and doors ...
        assert (worked["budget_minutes"] >= 20.0).all()
        # ... and the hours hold, reach included (each figure is rounded to 0.1 min).
        assert worked["budget_minutes"].sum() <= hours * 60 + 0.05 * len(worked)
        assert record["hours_used"] <= hours and record["minutes_per_turf"] == 20.0
        reached.append(record["value"])
    assert reached == sorted(reached) and reached[0] < reached[-1]

    # The more it costs to reach a turf, the fewer turfs (and pieces of turfs) are worked.
    free = _budget(plan, 10.0, replace(model, minutes_per_turf=0.0))
    dear = _budget(plan, 10.0, replace(model, minutes_per_turf=45.0))
    assert len(dear["worked"]) < len(free["worked"])
    assert dear["record"]["turfs_trimmed"] < free["record"]["turfs_trimmed"]
    assert dear["record"]["value"] < free["record"]["value"]


def test_a_recut_ends_the_budget_on_whole_turfs_of_the_turf_size(demo_plan: BuiltPlan) -> None:
    inputs = demo_plan.inputs
    request = PlanRequest(
        voters=inputs.voters,
        precincts=inputs.precincts,
        streets=inputs.streets,
        target=demo_plan.plan.request.target,
        hours=12.0,
        value=VALUE,
        # Reaching a turf costs an hour (a rural county): pieces of turfs do not pay.
        model=WalkModel(minutes_per_turf=60.0),
    )
    plan = run_plan(request)
    assert plan.budget is not None
    record, table = plan.budget.record, plan.budget.turfs
    recut = record["recut"]
    assert recut["used"] and recut["whole_value"] >= recut["trimmed_value"]
    assert record["value"] == recut["whole_value"] and record["turfs_trimmed"] == 0
    worked = table.loc[table["in_budget"]]
    assert 4 <= len(worked) <= 8
    assert (worked["budget_minutes"].sum()) <= 12 * 60 + 0.05 * len(worked)
    turfs = {t.turf_id: t for t in plan.turfs}
    stops = plan.stops.groupby("turf").agg(doors=("doors", "sum"), stops=("stop_id", "size"))
    in_band = 0
    for turf_id, row in worked.iterrows():
        # Whole: every door of the turf, to its last stop; nothing to skip on the way.
        assert row["knock_value_min"] == 0
        assert row["budget_doors"] == stops.loc[turf_id, "doors"]
        assert row["knock_to_stop"] == stops.loc[turf_id, "stops"]
        minutes = turfs[turf_id].route.minutes
        assert row["budget_minutes"] == pytest.approx(minutes + 60.0, abs=0.05)
        # Of the turf size, or the cutter says why not (its precinct's part is too small).
        if abs(minutes / 120.0 - 1) <= 0.15:
            in_band += 1
        else:
            assert turfs[turf_id].size_note
    assert in_band >= len(worked) / 2
    # Every target door is still in some turf: the doors left out wait in turfs behind.
    target_doors = plan.voters.loc[plan.voters["target"], "household_id"].nunique()
    assert int(plan.stops["doors"].sum()) == target_doors
    assert (plan.stops["turf"] != "").all()
    # The re-cut turfs are a plan's turfs like any: ids by precinct, walked in order.
    assert len(set(turfs)) == len(turfs)
    assert all(np.all(np.diff(plan.stops.loc[plan.stops["turf"] == t, "sequence"].sort_values())
                      == 1) for t in turfs)  # fmt: skip
