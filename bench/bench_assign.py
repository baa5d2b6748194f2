"""Who goes where: total travel from home to turf, ours against two ways of doing it by hand.

For the demo plan, (with ``--county``) the synthetic Cobb county plan of ``bench_plan`` and a
synthetic county of random turfs (always: no street data needed), volunteers are made with a
fixed seed: homes among the plan's voters (most) or a few km outside its area (some), and for
each data set two weekends:

- **one shift**: everyone has 3 hours, so each walks at most one turf (turfs are cut to about
  2 hours): an assignment problem, solved by the Hungarian method;
- **mixed**: hours of 1.5 to 8 or none said (one turf), one in five in a pair: several turfs
  per volunteer within their hours, solved as a 0/1 program (HiGHS).

Ways compared (all respect hours and pairs; a turf goes to at most one team):

- **ours**: `segments.assign.assign_turfs` (most turfs given, then least travel);
- **table order**: turfs in table order, each to the first volunteer on the list who still has
  the minutes (a list filled in by hand);
- **nearest first**: the nearest (volunteer, turf) pair left that fits, again and again.

Travel is the great-circle km from each member's home to the turf's first stop. Run from the
repository:

    python bench/bench_assign.py [--county] [--voters 25000]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_plan import COUNTY_VOTERS, demo_request

from app.planning.assign import turfs_to_give
from app.planning.pipeline import Plan, run_plan
from segments.assign import (
    TurfAssignment,
    assign_in_order,
    assign_nearest_first,
    assign_turfs,
    great_circle_km,
)

SEED = 18
MIXED_HOURS = np.array([1.5, 2.0, 3.0, 3.0, 4.0, 4.0, 6.0, 8.0, np.nan])


@dataclass(frozen=True)
class Weekend:
    """Turfs (``turf``, ``minutes``, ``lat``, ``lon``) and volunteers for them."""

    name: str
    turfs: pd.DataFrame
    homes: np.ndarray  # lat, lon
    minutes: np.ndarray
    pairs: list[tuple[int, int]]


def plan_turfs(plan: Plan) -> tuple[pd.DataFrame, np.ndarray]:
    """The plan's turfs to give, and its voters' points (lat, lon)."""
    turfs = pd.DataFrame(
        {"turf": [t.turf_id for t in plan.turfs], "minutes": [t.route.minutes for t in plan.turfs]}
    )
    stops = pd.DataFrame(
        {
            "turf": plan.stops["turf"],
            "sequence": plan.stops["sequence"],
            "lat": plan.stops.geometry.y,
            "lon": plan.stops.geometry.x,
        }
    )
    points = np.column_stack([plan.voters.geometry.y, plan.voters.geometry.x])
    return turfs_to_give(turfs, stops), points


def random_county(rng: np.random.Generator, turfs: int = 300) -> tuple[pd.DataFrame, np.ndarray]:
    """Turfs in towns of a 40 x 40 km county (denser in town centres), two-hour-ish each."""
    towns = rng.uniform([33.7, -84.7], [34.06, -84.27], (8, 2))
    town = rng.integers(0, len(towns), turfs)
    where = towns[town] + rng.normal(0, 0.02, (turfs, 2))
    frame = pd.DataFrame(
        {
            "turf": [f"C{i:03d}" for i in range(turfs)],
            "minutes": rng.uniform(100, 140, turfs).round(1),
            "lat": where[:, 0],
            "lon": where[:, 1],
        }
    )
    people = towns[rng.integers(0, len(towns), 20_000)] + rng.normal(0, 0.03, (20_000, 2))
    return frame, people


def volunteers(
    rng: np.random.Generator, points: np.ndarray, count: int, *, mixed: bool
) -> tuple[np.ndarray, np.ndarray, list[tuple[int, int]]]:
    """Homes (most among the voters, one in five up to ~5 km outside), minutes and pairs."""
    homes = points[rng.integers(0, len(points), count)].copy()
    away = rng.random(count) < 0.2
    homes[away] += rng.normal(0, 0.03, (int(away.sum()), 2))
    if not mixed:
        return homes, np.full(count, 180.0), []
    minutes = rng.choice(MIXED_HOURS, count) * 60
    paired = rng.permutation(count)[: (count // 5) * 2 // 2 * 2]
    return homes, minutes, [(int(a), int(b)) for a, b in paired.reshape(-1, 2)]


def weekends(name: str, turfs: pd.DataFrame, points: np.ndarray) -> list[Weekend]:
    rng = np.random.default_rng(SEED)
    found = []
    for mixed, share in ((False, 0.9), (True, 0.8)):
        count = max(2, round(len(turfs) * share))
        homes, minutes, pairs = volunteers(rng, points, count, mixed=mixed)
        label = f"{name}, {'mixed hours + pairs' if mixed else 'one shift (3 h)'}"
        found.append(Weekend(label, turfs, homes, minutes, pairs))
    return found


def run(weekend: Weekend) -> list[str]:
    t = weekend.turfs
    travel = great_circle_km(weekend.homes[:, 0], weekend.homes[:, 1], t["lat"], t["lon"])
    args = (travel, t["minutes"].to_numpy())
    kwargs = {"minutes": weekend.minutes, "pairs": weekend.pairs}
    started = time.perf_counter()
    ours = assign_turfs(*args, **kwargs)
    seconds = time.perf_counter() - started
    results: dict[str, TurfAssignment] = {
        "ours": ours,
        "table order": assign_in_order(*args, **kwargs),
        "nearest first": assign_nearest_first(*args, **kwargs),
    }
    cells = " ".join(
        f"{r.turfs_assigned:>6} {r.travel_km:>9,.1f} {r.travel_km / max(r.turfs_assigned, 1):>6.2f}"
        for r in results.values()
    )
    ratio = " ".join(
        f"{results[w].travel_km / ours.travel_km:>7.2f}" if ours.travel_km else f"{'-':>7}"
        for w in ("table order", "nearest first")
    )
    return [
        f"{weekend.name}: {len(weekend.homes)} volunteers ({len(weekend.pairs)} pairs), "
        f"{len(t)} turfs",
        f"  {cells} {ratio}   {ours.method}{'' if ours.optimal else ' (not proven best)'}, "
        f"{seconds:.2f} s",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--county", action="store_true", help="also the synthetic Cobb county")
    parser.add_argument("--voters", type=int, default=COUNTY_VOTERS, help="county voter rows")
    args = parser.parse_args()
    sets: list[Weekend] = []
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        sets += weekends("demo (Helsinki)", *plan_turfs(run_plan(demo_request(root))))
        if args.county:
            from bench_plan import county_request

            county = county_request(root, args.voters)
            if county is not None:
                sets += weekends(f"Cobb ({args.voters:,} voters)", *plan_turfs(run_plan(county)))
    sets += weekends("random county (300 turfs)", *random_county(np.random.default_rng(SEED)))
    load = os.getloadavg()[0]
    print(f"Total travel from home to turf, km (lower is better); load average {load:.1f}")
    ways = "".join(f"{w:>24}" for w in ("ours", "table order", "nearest first"))
    print(f"  {ways}  {'table/ours':>10} {'nearest/ours':>12}")
    print("  " + " ".join(f"{'turfs':>6} {'km':>9} {'km/turf':>6}" for _ in range(3)))
    for weekend in sets:
        print("\n".join(run(weekend)))


if __name__ == "__main__":
    main()
