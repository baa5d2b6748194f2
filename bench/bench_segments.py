"""Speed of segments/ on a synthetic city, against the goals of issue 6, side by side.

- filter + aggregates for 1M voters (goal: under 5 s): the target filter (with a household
  ``any()``), the universe size with its walk estimate, engagement per precinct (1,000
  precincts) and per 150 m hexagon with 200k door results, and the totals;
- clustering 100k households (goal: under 30 s): household profiles from their voters,
  `MicroSegments` with k chosen by silhouette in 2..8 (fitted on a 20k sample, then once on all),
  and `HotSpots` (DBSCAN, eps 150 m, 15 doors) on those households' target stops.

Voters are synthetic and drawn from one seed: households of 1-4 voters in buildings of 1-12
doors spread over a 30 x 30 km city, in lon/lat like the pipeline's voters. Data generation is
not timed. Run from the repo root:

    python bench/bench_segments.py [--voters 1000000] [--households 100000]
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections.abc import Callable
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from segments.engagement import engagement_by_hex, engagement_by_precinct, engagement_totals
from segments.filter import select
from segments.hot_spots import HotSpots
from segments.micro_segments import MicroSegments, household_profiles
from segments.universe import universe_size

SEED = 20260601
UTM35 = 32635
TARGET = (
    "party in (DEM, UNA) and age >= 25 and turnout_score between 20 and 85 "
    "and any(support_score >= 55)"
)
PARTIES = np.array(["DEM", "REP", "UNA", "LIB", "GRE"])
CODES = np.array(["not_home", "not_home", "refused", "supporter_1", "supporter_2", "supporter_3",
                  "supporter_5", "come_back", "moved", "inaccessible"])  # fmt: skip


def synthetic_voters(voters: int, seed: int = SEED) -> gpd.GeoDataFrame:
    """About `voters` voters: ~2 per household, ~3 households per stop, 1,000 precincts."""
    rng = np.random.default_rng(seed)
    households = voters // 2
    stops = households // 3
    # Buildings cluster around 400 neighbourhood centres, like a real city.
    centres = rng.uniform(0, 30_000, size=(400, 2))
    stop_xy = centres[rng.integers(0, 400, stops)] + rng.normal(0, 600, size=(stops, 2))
    household_stop = np.sort(rng.integers(0, stops, households))
    voter_household = np.sort(rng.integers(0, households, voters))
    stop = household_stop[voter_household]
    xy = stop_xy[stop] + [385_000.0, 6_660_000.0]
    precinct = (np.clip(xy[:, 0] - 385_000, 0, 29_999) // 950).astype(int) * 32 + (
        np.clip(xy[:, 1] - 6_660_000, 0, 29_999) // 950
    ).astype(int)
    lean = rng.normal(0, 0.8, stops)[stop]
    age = rng.integers(18, 95, voters)
    frame = pd.DataFrame(
        {
            "voter_id": pd.RangeIndex(voters).astype(str),
            "household_id": pd.Series(voter_household).astype(str).radd("H").to_numpy(),
            "stop_id": pd.Series(stop).astype(str).radd("S").to_numpy(),
            "precinct": pd.Series(precinct).astype(str).str.zfill(4).radd("P").to_numpy(),
            "party": PARTIES[rng.integers(0, 5, voters)],
            "age": age,
            "support_score": np.clip(rng.normal(50 + 18 * lean, 22), 0, 100).round(),
            "turnout_score": np.clip(rng.normal(25 + 0.6 * age, 18), 0, 100).round(),
            "General20": np.where(rng.random(voters) < 0.6, "Y", ""),
            "Primary22": np.where(rng.random(voters) < 0.3, "A", ""),
        }
    )
    points = gpd.GeoSeries.from_xy(xy[:, 0], xy[:, 1], crs=UTM35).to_crs(4326)
    return gpd.GeoDataFrame(frame, geometry=points.to_numpy(), crs=4326)


def synthetic_results(voters: gpd.GeoDataFrame, rows: int, seed: int = SEED) -> pd.DataFrame:
    rng = np.random.default_rng(seed + 1)
    doors = voters["household_id"].to_numpy()[rng.integers(0, len(voters), rows)]
    start = np.datetime64("2026-05-01T09:00:00")
    return pd.DataFrame(
        {
            "household_id": doors,
            "result": CODES[rng.integers(0, len(CODES), rows)],
            "timestamp": start + rng.integers(0, 30 * 24 * 3600, rows).astype("timedelta64[s]"),
        }
    )


def timed(name: str, work: Callable[[], Any], rows: list[tuple[str, float, str]]) -> Any:
    started = time.perf_counter()
    result = work()
    seconds = time.perf_counter() - started
    rows.append((name, seconds, ""))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--voters", type=int, default=1_000_000)
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--results", type=int, default=200_000)
    args = parser.parse_args()

    print(f"# segments benchmark · {platform.processor() or platform.machine()} · "
          f"{os.cpu_count()} cores · seed {SEED}")  # fmt: skip
    made = time.perf_counter()
    voters = synthetic_voters(args.voters)
    results = synthetic_results(voters, args.results)
    made_s = time.perf_counter() - made
    print(f"data: {len(voters):,} voters, {voters['household_id'].nunique():,} households, "
          f"{voters['stop_id'].nunique():,} stops, {voters['precinct'].nunique():,} precincts, "
          f"{len(results):,} results (made in {made_s:.1f} s, not timed)")  # fmt: skip

    # ---- filter + aggregates, 1M voters
    filter_rows: list[tuple[str, float, str]] = []
    mask = timed("filter (select, with any())", lambda: select(voters, TARGET), filter_rows)
    voters["target"] = mask.to_numpy()
    size = timed("universe size + walk estimate", lambda: universe_size(voters), filter_rows)
    by_precinct = timed(
        "engagement per precinct",
        lambda: engagement_by_precinct(voters, results),
        filter_rows,
    )
    by_hex = timed(
        "engagement per 150 m hexagon",
        lambda: engagement_by_hex(voters, results, hex_size_m=150),
        filter_rows,
    )
    totals = timed("engagement totals", lambda: engagement_totals(voters, results), filter_rows)
    assert by_precinct["doors_knocked"].sum() == totals["doors_knocked"]
    assert by_hex["targets"].sum() == totals["targets"] == size.voters

    # ---- clustering, 100k households
    cluster_rows: list[tuple[str, float, str]] = []
    wanted = voters["household_id"].drop_duplicates().iloc[: args.households]
    subset = voters.loc[voters["household_id"].isin(set(wanted))]
    profiles = timed(
        "household profiles (from voters)", lambda: household_profiles(subset), cluster_rows
    )
    segments = timed(
        "MicroSegments k=2..8 (silhouette on 3,000)",
        lambda: MicroSegments(random_state=0).fit(profiles),
        cluster_rows,
    )
    stops = (
        subset.loc[subset["target"]]
        .groupby("stop_id")
        .agg(doors=("household_id", "nunique"), geometry=("geometry", "first"))
    )
    stops = gpd.GeoDataFrame(stops, geometry="geometry", crs=4326)
    spots = timed(
        f"HotSpots DBSCAN on {len(stops):,} target stops",
        lambda: HotSpots(eps_m=150, min_samples=15).fit(stops, weight="doors"),
        cluster_rows,
    )

    def report(title: str, rows: list[tuple[str, float, str]], goal_s: float) -> None:
        total = sum(seconds for _, seconds, _ in rows)
        print(f"\n{title}")
        print(f"  {'stage':<46} {'seconds':>8}")
        for name, seconds, _ in rows:
            print(f"  {name:<46} {seconds:8.2f}")
        verdict = "within goal" if total < goal_s else "OVER GOAL"
        print(f"  {'total':<46} {total:8.2f}   goal < {goal_s:.0f} s · "
              f"{total / goal_s:.2f}x of goal · {verdict}")  # fmt: skip

    report(f"filter + aggregates, {len(voters):,} voters", filter_rows, 5.0)
    report(f"clustering, {len(profiles):,} households", cluster_rows, 30.0)
    print(f"\nuniverse: {size.voters:,} voters, {size.households:,} doors, {size.stops:,} stops, "
          f"~{size.hours:,.0f} h; {len(by_hex):,} hexagons; "
          f"{segments.n_clusters_} segments (silhouette {segments.silhouette_}); "
          f"{len(spots.areas_)} hot spots, {spots.noise_:,} stops left out")  # fmt: skip
    for line in segments.explain(unit="households"):
        print(f"  {line}")


if __name__ == "__main__":
    main()
