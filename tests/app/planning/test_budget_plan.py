"""A plan with volunteer-hours: the turfs of greatest value that fit, not the densest ones."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from app.cli import main
from app.planning.pipeline import run_plan
from app.planning.request import PlanRequest
from geo.effort import TurfSize
from tests.app.conftest import BuiltPlan

HOURS = 2.0
VALUE = "age < 30"  # young voters: scattered, not where the doors are densest


def _voters(demo_plan: BuiltPlan, folder: Path, rows: int = 600) -> Path:
    voters = pd.read_csv(demo_plan.inputs.voters, dtype=str, keep_default_na=False)
    path = folder / "voters.csv"
    voters.sort_values(["street", "house_number"]).head(rows).to_csv(path, index=False)
    return path


def _best_value(values: np.ndarray, minutes: np.ndarray, budget_min: float) -> float:
    best = 0.0
    for size in range(len(values) + 1):
        for subset in itertools.combinations(range(len(values)), size):
            if minutes[list(subset)].sum() <= budget_min:
                best = max(best, float(values[list(subset)].sum()))
    return best


def _densest_first(doors: np.ndarray, values: np.ndarray, minutes: np.ndarray) -> float:
    used = reached = 0.0
    for i in np.argsort(-doors / minutes, kind="stable"):
        if used + minutes[i] <= HOURS * 60:
            used += minutes[i]
            reached += values[i]
    return reached


def test_hours_pick_the_best_value_turfs_not_the_densest(
    demo_plan: BuiltPlan, tmp_path: Path
) -> None:
    plan = run_plan(
        PlanRequest(
            voters=_voters(demo_plan, tmp_path),
            streets=demo_plan.inputs.streets,
            size=TurfSize(minutes=None, doors=20),
            hours=HOURS,
            value=VALUE,
        )
    )
    assert plan.budget is not None
    table = plan.budget.turfs
    minutes = np.array([t.route.minutes for t in plan.turfs])
    ids = [t.turf_id for t in plan.turfs]
    values = table.loc[ids, "value"].to_numpy()
    chosen = table.loc[ids, "in_budget"].to_numpy(dtype=bool)
    # A turf's value is the number of its target voters under 30.
    young = plan.voters.loc[plan.voters["target"] & (plan.voters["age"].astype(int) < 30)]
    assert (
        dict(zip(ids, values, strict=True))
        == young.groupby("turf").size().reindex(ids, fill_value=0).astype(float).to_dict()
    )
    assert 12 <= len(ids) <= 20  # small enough for brute force
    budget_min = table.loc[ids, "budget_minutes"].to_numpy()
    assert budget_min[chosen].sum() <= HOURS * 60
    reached = table.loc[ids, "budget_value"].to_numpy()[chosen].sum()
    # Each turf worked pays the time to reach it. At least the best any set of whole turfs
    # reaches (brute force), and more than taking the densest turfs first: trimming a turf to
    # its young voters' doors buys more of them.
    reach = plan.request.model.minutes_per_turf
    assert reach > 0
    assert reached >= _best_value(values, minutes + reach, HOURS * 60 - 0.2)
    doors = plan.stops.groupby("turf")["doors"].sum().reindex(ids).to_numpy(dtype=float)
    assert reached > _densest_first(doors, values, minutes + reach)
    # A trimmed turf knocks its doors worth at least the threshold, walking its route to the
    # last of them: the minutes are the walk model's for that walk.
    model = plan.request.model
    door_values = (
        young.groupby("household_id").agg(turf=("turf", "first"), sequence=("sequence", "first"),
                                          stop_id=("stop_id", "first"), value=("age", "size"))
    )  # fmt: skip
    for turf in np.array(ids)[chosen]:
        row = table.loc[turf]
        mine = door_values.loc[door_values["turf"] == turf]
        if row["knock_value_min"] == 0:
            whole = minutes[ids.index(turf)] + reach
            assert row["budget_minutes"] == pytest.approx(whole, abs=0.05)
            continue
        kept = mine.loc[
            (mine["value"] >= row["knock_value_min"]) & (mine["sequence"] <= row["knock_to_stop"])
        ]
        last = int(kept["sequence"].max())
        assert last == row["knock_to_stop"]
        legs = plan.stops.loc[plan.stops["turf"] == turf]
        walk_m = legs.loc[legs["sequence"] <= last, "leg_m"].sum()
        expected = model.minutes(walk_m, doors=len(kept), stops=kept["stop_id"].nunique())
        expected += reach
        assert row["budget_doors"] == len(kept)
        assert row["budget_value"] == kept["value"].sum()
        assert row["budget_minutes"] == pytest.approx(expected, abs=0.2)
    record = plan.budget.record
    assert record["value"] == pytest.approx(reached)
    assert record["turfs"] == chosen.sum() and record["hours"] == HOURS
    assert sorted(table["priority"]) == list(range(1, len(ids) + 1))
    assert set(record["order"][: chosen.sum()]) == set(np.array(ids)[chosen])


def test_plan_command_writes_the_budget_and_names_a_bad_value_position(
    demo_plan: BuiltPlan, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    voters = _voters(demo_plan, tmp_path, rows=300)
    out = tmp_path / "plan"
    common = ["plan", "--voters", str(voters), "--streets", str(demo_plan.inputs.streets),
              "--turf-doors", "20", "--hours", "1.5", "--out", str(out)]  # fmt: skip
    assert main([*common, "--value", "support_score * (100 - turnout_scor) / 100"]) == 2
    err = capsys.readouterr().err
    assert "unknown field 'turnout_scor' at position 23" in err and "turnout_score" in err
    assert not out.exists()

    assert main([*common, "--value", "support_score * (100 - turnout_score) / 100"]) == 0
    assert "Budget:" in capsys.readouterr().err
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"), parse_constant=_strict)
    budget = summary["budget"]
    # Turfs outside the budget have no threshold: null, not NaN (PostgreSQL's JSON refuses NaN).
    assert any(t["knock_value_min"] is None for t in summary["turfs"] if not t["in_budget"])
    assert budget["hours"] == 1.5 and budget["hours_used"] <= 1.5
    curve = [point["value"] for point in budget["curve"]]
    assert curve == sorted(curve) and curve[-1] == pytest.approx(budget["value_total"], abs=0.1)
    turfs = gpd.read_file(out / "turfs.geojson")
    table = pd.read_csv(out / "turfs.csv")
    for frame in (turfs, table):
        assert {"priority", "in_budget", "value"} <= set(frame.columns)
        assert int(frame["in_budget"].astype(bool).sum()) == budget["turfs"]
    assert summary["plan_budget"] == {
        "hours": 1.5,
        "value": "support_score * (100 - turnout_score) / 100",
        "results": None,
    }


def _strict(name: str) -> float:
    raise AssertionError(f"summary.json holds {name}, which is not JSON")
