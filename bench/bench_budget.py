"""Value reached within the same volunteer-hours: our knapsack against simpler ways to choose.

For the demo plan and (with ``--county``) a synthetic county on the Cobb extract, the plan is
cut once; then for several budgets (a share of the hours all turfs take) each way of choosing
spends the hours and we add up the value it reaches:

- **ours**: what ``canvass plan --hours`` does (`app.planning.pipeline.run_plan` with the
  hours): each turf whole or trimmed to its doors above a value threshold, at most one way per
  turf, the set of greatest value that fits (a multiple-choice knapsack); then the plan re-cut
  so that the budget is whole turfs, kept when it reaches as much (``recut`` says how often);
- **trimmed**: `app.planning.budget.plan_budget` alone on the plan's first cut;
- **whole turfs**: `segments.knapsack.choose_turfs`, whole turfs only (the knapsack alone);
- **(a) densest first**: turfs by doors per minute, each taken when it still fits;
- **(b) best voters first**: doors by value, ignoring the walk when choosing; each door is taken
  while the real time still fits: its door and stop time plus the walk along its turf's route
  up to it (a canvasser walks the route and knocks only the chosen doors);
- **(c) value per minute**: `segments.budget.fit_to_budget` over turfs (the earlier ranking:
  best value per minute first, the list ends at the first turf that does not fit).

Time is the walk model's (walk + doors + stops, as turfs are sized), and every way pays
``--reach`` minutes (the walk model's ``minutes_per_turf``) for each turf it works any door of.
Run from the repository:

    python bench/bench_budget.py [--county] [--voters 25000] [--reach 10]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_plan import COUNTY_STREETS, COUNTY_VOTERS, demo_request

from app.planning.budget import plan_budget, voter_values
from app.planning.pipeline import Plan, run_plan
from app.planning.request import PlanRequest
from geo.effort import TurfSize, WalkModel
from segments.budget import fit_to_budget
from segments.knapsack import choose_turfs

DEMO_VALUE = "support_score * (100 - turnout_score) / 100"
COUNTY_VALUE = "support_score * (Party == D) + 20 * (Party == U)"
SHARES = (0.1, 0.25, 0.5, 0.75)


@dataclass(frozen=True)
class Turfs:
    """What the ways of choosing need: per turf and per door, values and times."""

    ids: list[str]
    value: np.ndarray
    minutes: np.ndarray
    doors: np.ndarray
    door_table: pd.DataFrame
    """One row per target door: ``turf``, ``sequence`` (of its stop), ``stop_id``, ``value``."""
    walk_to_min: dict[str, np.ndarray]
    """Per turf, minutes of walking from the start to each stop in route order (index = seq)."""
    minutes_per_door: float
    minutes_per_stop: float
    reach_min: float
    """Minutes to reach a turf, paid once for each turf worked."""
    plan: Plan
    values: pd.Series
    expression: str


def gather(plan: Plan, expression: str) -> Turfs:
    voters = plan.voters
    values = voter_values(voters, expression)
    target = voters.loc[voters["target"].to_numpy(dtype=bool) & voters["turf"].notna()]
    per_door = (
        pd.DataFrame(
            {
                "household_id": target["household_id"],
                "stop_id": target["stop_id"],
                "turf": target["turf"].astype(str),
                "sequence": target["sequence"].astype(int),
                "value": values.reindex(target.index).fillna(0.0),
            }
        )
        .groupby("household_id", sort=False)
        .agg({"stop_id": "first", "turf": "first", "sequence": "first", "value": "sum"})
    )
    ids = [t.turf_id for t in plan.turfs]
    model = plan.request.model
    walk_to = {}
    for turf in plan.turfs:
        legs = np.asarray(turf.route.legs_m, dtype=np.float64)
        walk_to[turf.turf_id] = np.concatenate([[0.0], np.cumsum(legs)]) / model.speed_mps / 60
    by_turf = per_door.groupby("turf")["value"].sum().reindex(ids).fillna(0.0)
    doors = per_door.groupby("turf").size().reindex(ids).fillna(0)
    return Turfs(
        ids=ids,
        value=by_turf.to_numpy(dtype=np.float64),
        minutes=np.array([t.route.minutes for t in plan.turfs]),
        doors=doors.to_numpy(dtype=np.float64),
        door_table=per_door,
        walk_to_min=walk_to,
        minutes_per_door=model.minutes_per_door,
        minutes_per_stop=model.minutes_per_stop,
        reach_min=model.minutes_per_turf,
        plan=plan,
        values=values,
        expression=expression,
    )


def densest_first(turfs: Turfs, budget_min: float) -> float:
    used = reached = 0.0
    minutes = turfs.minutes + turfs.reach_min
    for i in np.argsort(-turfs.doors / minutes, kind="stable"):
        if used + minutes[i] <= budget_min:
            used += minutes[i]
            reached += turfs.value[i]
    return reached


def best_voters_first(turfs: Turfs, budget_min: float) -> float:
    doors = turfs.door_table.sort_values("value", ascending=False, kind="stable")
    farthest: dict[str, int] = {}
    stops_seen: set[str] = set()
    used = reached = 0.0
    for turf, sequence, stop, value in zip(
        doors["turf"], doors["sequence"], doors["stop_id"], doors["value"], strict=True
    ):
        walk = turfs.walk_to_min[turf]
        before = farthest.get(turf, 0)
        extra_walk = max(0.0, walk[max(sequence, before)] - walk[before])
        cost = turfs.minutes_per_door + extra_walk
        cost += 0.0 if stop in stops_seen else turfs.minutes_per_stop
        cost += 0.0 if turf in farthest else turfs.reach_min
        if used + cost <= budget_min:
            used += cost
            reached += value
            farthest[turf] = max(before, sequence)
            stops_seen.add(stop)
    return reached


def value_per_minute(turfs: Turfs, budget_min: float) -> float:
    minutes = turfs.minutes + turfs.reach_min
    items = pd.DataFrame({"value": turfs.value, "minutes": minutes}, index=turfs.ids)
    return fit_to_budget(items, hours=budget_min / 60).value_kept


RECUT_USED: list[bool] = []
"""Per run of `ours`, whether the plan's budget ended on re-cut whole turfs."""


def ours(turfs: Turfs, budget_min: float) -> float:
    request = replace(turfs.plan.request, hours=budget_min / 60, value=turfs.expression)
    record = run_plan(request).budget.record  # type: ignore[union-attr]
    assert record["hours_used"] <= budget_min / 60 + 0.005
    RECUT_USED.append(bool(record["recut"]["used"] and record["recut"]["cuts_tried"]))
    return float(record["value"])


def trimmed(turfs: Turfs, budget_min: float) -> float:
    plan = turfs.plan
    routes = {t.turf_id: (t.route.minutes, t.route.legs_m) for t in plan.turfs}
    budget = plan_budget(
        plan.voters,
        routes,
        hours=budget_min / 60,
        values=turfs.values,
        expression=None,
        model=plan.request.model,
    )
    assert budget.record["hours_used"] <= budget_min / 60 + 0.005
    return float(budget.record["value"])


def whole_turfs(turfs: Turfs, budget_min: float) -> float:
    return choose_turfs(turfs.value, turfs.minutes + turfs.reach_min, hours=budget_min / 60).value


WAYS = {
    "ours": ours,
    "trimmed": trimmed,
    "whole turfs": whole_turfs,
    "(a) densest": densest_first,
    "(b) best voters": best_voters_first,
    "(c) value/min": value_per_minute,
}


def table(name: str, turfs: Turfs, shares: tuple[float, ...]) -> list[str]:
    total_h = (turfs.minutes.sum() + turfs.reach_min * len(turfs.ids)) / 60
    lines = [
        f"\n{name}: {len(turfs.ids)} turfs, {total_h:.1f} h to work them all "
        f"(reaching each turf {turfs.reach_min:g} min), value {turfs.value.sum():,.0f} in all",
        f"{'hours':>8} " + " ".join(f"{way:>16}" for way in WAYS) + f" {'ours/a':>7} {'ours/b':>7}",
    ]
    for share in shares:
        budget_min = total_h * 60 * share
        reached = {}
        seconds = {}
        for way, choose in WAYS.items():
            started = time.perf_counter()
            reached[way] = choose(turfs, budget_min)
            seconds[way] = time.perf_counter() - started
        a, b = reached["(a) densest"], reached["(b) best voters"]
        lines.append(
            f"{budget_min / 60:>8.1f} "
            + " ".join(f"{reached[way]:>16,.0f}" for way in WAYS)
            + f" {reached['ours'] / a if a else float('inf'):>7.3f}"
            + f" {reached['ours'] / b if b else float('inf'):>7.3f}"
            + f"   (ours {seconds['ours']:.1f} s, "
            + ("whole turfs: re-cut" if RECUT_USED[-1] else "some turfs trimmed")
            + ")"
        )
    return lines


def county_request(root: Path, voters: int) -> PlanRequest | None:
    """The bench_plan county with a support score that varies by neighbourhood."""
    if not COUNTY_STREETS.is_file():
        print(f"county skipped: {COUNTY_STREETS} is not there")
        return None
    from make_van_sample import SEED, doors, named_streets, van_export

    rng = np.random.default_rng(SEED)
    frame, truth = van_export(doors(named_streets(COUNTY_STREETS)), voters, rng)
    lat = pd.to_numeric(truth["VAddressLatitude"], errors="coerce").to_numpy()
    lon = pd.to_numeric(truth["VAddressLongitude"], errors="coerce").to_numpy()
    # Support leans by neighbourhood (waves a few km across) plus each voter's own noise.
    lean = np.sin(lat * 180) * np.cos(lon * 150)
    score = np.clip(50 + 30 * lean + rng.normal(0, 12, len(lat)), 0, 100).round()
    frame["support_score"] = np.append(score, score[7]).astype(int).astype(str)
    path = root / "county-voters.zip"
    text = frame.to_csv(sep="\t", index=False, lineterminator="\r\n")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("ExportFile_4242.xls", text.encode("utf-16"))
    return PlanRequest(voters=path, streets=COUNTY_STREETS, size=TurfSize(minutes=120.0))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--county", action="store_true", help="also the synthetic Cobb county")
    parser.add_argument("--voters", type=int, default=COUNTY_VOTERS, help="county voter rows")
    parser.add_argument(
        "--reach", type=float, default=WalkModel().minutes_per_turf, help="minutes to reach a turf"
    )
    parser.add_argument("--shares", default=",".join(map(str, SHARES)), help="budget shares")
    args = parser.parse_args()
    shares = tuple(float(x) for x in args.shares.split(","))
    model = WalkModel(minutes_per_turf=args.reach)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        sets = [("demo (Helsinki)", demo_request(root), DEMO_VALUE)]
        if args.county:
            county = county_request(root, args.voters)
            if county is not None:
                sets.append((f"county (Cobb, {args.voters:,} voters)", county, COUNTY_VALUE))
        print("Value reached within the same hours (higher is better)")
        for name, request, expression in sets:
            plan = run_plan(replace(request, hours=None, model=model))
            turfs = gather(plan, expression)
            print("\n".join(table(f"{name}, value = {expression}", turfs, shares)))


if __name__ == "__main__":
    main()
