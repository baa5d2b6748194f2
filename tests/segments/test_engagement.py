from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from segments._errors import SegmentDataError
from segments.engagement import (
    COUNT_COLUMNS,
    door_results,
    engagement_by_hex,
    engagement_by_precinct,
    engagement_totals,
)

UTM35 = 32635
X0, Y0 = 385_000.0, 6_672_000.0


def small_voters() -> gpd.GeoDataFrame:
    """8 voters in 5 doors: P1 (H1 x2, H2), P2 (H3 x2, H4), and H5 without a precinct."""
    return gpd.GeoDataFrame(
        {
            "household_id": ["H1", "H1", "H2", "H3", "H3", "H4", "H5", "H5"],
            "precinct": ["P1", "P1", "P1", "P2", "P2", "P2", "", ""],
            "target": [True, False, False, True, True, False, True, True],
            "support_score": [80, 20, np.nan, 60, 70, 10, 50, 50],
            "turnout_score": [90, 50, 40, 30, 20, 10, 60, 80],
        },
        geometry=gpd.points_from_xy(
            [X0, X0, X0 + 20, X0 + 900, X0 + 900, X0 + 950, X0 + 5000, X0 + 5000],
            [Y0, Y0, Y0, Y0, Y0, Y0 + 40, Y0, Y0],
        ),
        index=pd.Index([f"v{i}" for i in range(8)], name="voter_id"),
        crs=UTM35,
    ).to_crs(4326)


RESULT_ROWS = [
    ("H1", "v0", "Not Home", "2026-05-01T10:00:00Z"),
    ("H1", "v0", "supporter_1", "2026-05-02T10:00:00Z"),
    ("H2", None, "inaccessible", "2026-05-01T11:00Z"),
    # H3's refusal came after the supporter answer even though its row is first.
    ("H3", "v3", "refused", "2026-05-03T09:00:00Z"),
    ("H3", "v3", "SUPPORTER_2", "2026-05-01T09:00:00Z"),
    ("H5", "v6", "come-back", "2026-05-01T12:00:00Z"),
    ("H9", "v9", "moved", "2026-05-01T12:05:00Z"),
]


def small_results() -> pd.DataFrame:
    return pd.DataFrame(RESULT_ROWS, columns=["household_id", "voter_id", "result", "timestamp"])


def test_door_results_take_the_latest_answer() -> None:
    doors = door_results(small_results())
    assert doors.index.tolist() == ["H1", "H2", "H3", "H5", "H9"]
    assert doors["attempts"].tolist() == [2, 1, 2, 1, 1]
    assert doors["contacted"].tolist() == [True, False, True, False, False]
    assert doors["supporting"].tolist() == [True, False, False, False, False]
    assert doors.loc["H3", "last_result"] == "refused"
    lenient = door_results(small_results(), supporting=("supporter_1", "supporter_2", "refused"))
    assert lenient.loc["H3", "supporting"]


def test_precinct_table_counts_and_rates() -> None:
    table = engagement_by_precinct(small_voters(), small_results())
    assert table.index.tolist() == ["(no precinct)", "P1", "P2"]
    p1, p2 = table.loc["P1"], table.loc["P2"]
    assert (p1["voters"], p1["targets"], p1["households"], p1["target_households"]) == (3, 1, 2, 1)
    assert (p2["voters"], p2["targets"], p2["households"], p2["target_households"]) == (3, 2, 2, 1)
    assert p1["mean_support"] == pytest.approx(50.0)  # the missing score is left out
    assert p1["mean_turnout"] == pytest.approx(60.0)
    assert (p1["attempts"], p1["doors_knocked"], p1["doors_contacted"]) == (3, 2, 1)
    assert p1["contact_rate"] == pytest.approx(0.5)
    assert p1["support_rate"] == pytest.approx(1.0)
    assert p1["coverage"] == pytest.approx(1.0)
    assert p2["doors_supporting"] == 0 and p2["support_rate"] == 0.0
    assert np.isnan(table.loc["(no precinct)", "support_rate"])  # knocked, nobody answered
    assert table.geometry.isna().all() and np.isnan(table["area_km2"]).all()


def test_every_table_adds_up_to_the_totals() -> None:
    voters, results = small_voters(), small_results()
    totals = engagement_totals(voters, results)
    assert totals["results_unmatched"] == 1  # H9 is not in the voter file
    assert (totals["voters"], totals["targets"], totals["households"]) == (8, 5, 5)
    knocks = (totals["attempts"], totals["doors_knocked"], totals["target_doors_knocked"])
    assert knocks == (6, 4, 3)
    for table in (
        engagement_by_precinct(voters, results),
        engagement_by_hex(voters, results, hex_size_m=100),
        engagement_by_hex(voters, results, hex_size_m=10_000),
    ):
        for column in COUNT_COLUMNS:
            assert table[column].sum() == pytest.approx(totals[column]), column
        knocked, contacted = table["doors_knocked"].sum(), table["doors_contacted"].sum()
        assert totals["contact_rate"] == pytest.approx(contacted / knocked)


def test_random_voters_and_results_add_up() -> None:
    rng = np.random.default_rng(11)
    n = 3000
    households = rng.integers(0, 1100, n)
    xy = rng.uniform(0, 3000, size=(1100, 2))[households] + [X0, Y0]
    voters = gpd.GeoDataFrame(
        {
            "household_id": [f"H{h}" for h in households],
            "precinct": [f"P{int(x // 1000)}{int(y // 1000)}" for x, y in xy - [X0, Y0]],
            "target": rng.random(n) < 0.4,
            "support_score": np.where(rng.random(n) < 0.1, np.nan, rng.uniform(0, 100, n)),
        },
        geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]),
        crs=UTM35,
    )
    voters.loc[voters.index[:3], "geometry"] = None  # unplaced voters land in their own row
    results = pd.DataFrame(
        {
            "household_id": [f"H{h}" for h in rng.integers(0, 1200, 700)],
            "result": rng.choice(
                ["not_home", "refused", "supporter_1", "supporter_4", "moved"], 700
            ),
        }
    )
    totals = engagement_totals(voters, results)
    by_hex = engagement_by_hex(voters, results, hex_size_m=120)
    by_precinct = engagement_by_precinct(voters, results)
    assert "(no location)" in by_hex.index
    for table in (by_hex, by_precinct):
        for column in COUNT_COLUMNS:
            assert table[column].sum() == pytest.approx(totals[column]), column
    assert totals["turnout_n"] == 0 and totals["mean_turnout"] is None  # no turnout column


def test_hexagons_hold_their_voters_and_measure_true_area() -> None:
    voters = small_voters()
    table = engagement_by_hex(voters, hex_size_m=100)
    assert table.crs.to_epsg() == 4326
    assert table["area_km2"].tolist() == pytest.approx([0.025980762] * len(table))
    assert table["voters"].sum() == len(voters)
    for cell in table.itertuples():
        q, r = cell.q, cell.r
        assert cell.Index == f"{q}:{r}"
    # Each voter's point lies in the outline of a cell that counts it.
    outlines = table.geometry.to_numpy()
    for point in voters.geometry:
        assert shapely.intersects(outlines, point.buffer(1e-9)).any()
    # Density is per km²: 2 targets (H3 x2) in the cell of P2's first point.
    p2 = table.loc[table["targets"] == 2].iloc[0]
    assert p2["target_per_km2"] == pytest.approx(2 / 0.025980762)


def test_precinct_polygons_give_areas_and_rows_for_empty_precincts() -> None:
    square = shapely.box(X0 - 100, Y0 - 100, X0 + 900, Y0 + 900)  # 1 km²
    far = shapely.box(X0 + 20_000, Y0, X0 + 21_000, Y0 + 1000)
    precincts = gpd.GeoDataFrame(
        {"precinct": ["P1", "P9"]}, geometry=[square, far], crs=UTM35
    ).to_crs(4326)
    table = engagement_by_precinct(small_voters(), precincts=precincts)
    assert table.loc["P1", "area_km2"] == pytest.approx(1.0, rel=1e-3)
    assert table.loc["P1", "target_per_km2"] == pytest.approx(1.0, rel=1e-3)
    assert table.loc["P9", "voters"] == 0 and np.isnan(table.loc["P9", "mean_support"])
    assert table.loc["P2"].geometry is None
    assert table.loc["P9"].geometry.equals_exact(precincts.geometry.iloc[1], 1e-9)


def test_no_results_yet_and_empty_universes() -> None:
    voters = small_voters()
    empty_results = pd.DataFrame({"household_id": [], "result": [], "timestamp": []})
    for results in (None, empty_results):
        table = engagement_by_precinct(voters, results)
        assert table["doors_knocked"].sum() == 0
        assert table["coverage"].eq(0).all()
        assert table["contact_rate"].isna().all()
        totals = engagement_totals(voters, results)
        assert totals["contact_rate"] is None and totals["coverage"] == 0.0
    nobody = engagement_totals(voters.assign(target=False), small_results())
    assert nobody["targets"] == 0 and nobody["coverage"] is None
    empty = voters.iloc[:0]
    assert engagement_by_hex(empty, small_results()).empty
    assert engagement_by_precinct(empty).empty
    assert engagement_totals(empty, small_results())["results_unmatched"] == 7


def test_bad_results_are_reported_with_what_to_do() -> None:
    codes = ["not_home", "maybe", "maybe", None, "refused", "refused", "moved"]
    bad_code = small_results().assign(result=codes)
    with pytest.raises(SegmentDataError, match=r"'maybe' x2.*use one of not_home"):
        door_results(bad_code)
    bad_time = small_results().assign(timestamp="yesterday-ish")
    with pytest.raises(SegmentDataError, match="ISO 8601"):
        door_results(bad_time)
    with pytest.raises(SegmentDataError, match="'result'"):
        door_results(pd.DataFrame({"household_id": ["H1"]}))
    with pytest.raises(SegmentDataError, match="not result codes"):
        door_results(small_results(), supporting=("supporter_9",))
