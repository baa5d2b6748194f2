"""Joining voter points to precincts: one precinct per point, whatever the file order."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geo.join import (
    FAR_OUTSIDE_M,
    assign_precincts,
    distance_outside_m,
    join_precincts,
    looks_swapped,
)
from geo.precincts import PrecinctLayer, read_precincts
from geo.voters import VoterTable, read_voters

# Four precincts in a 2 x 2 grid over downtown Atlanta, meeting at (-84.39, 33.75).
GRID = {
    "P-NW": (-84.40, 33.75, -84.39, 33.76),
    "P-NE": (-84.39, 33.75, -84.38, 33.76),
    "P-SW": (-84.40, 33.74, -84.39, 33.75),
    "P-SE": (-84.39, 33.74, -84.38, 33.75),
}


def points(*lonlat: tuple[float, float]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"voter_id": [f"v{i}" for i in range(len(lonlat))]},
        geometry=[shapely.Point(x, y) for x, y in lonlat],
        crs="EPSG:4326",
    )


def precinct_file(path: Path, order: list[str]) -> Path:
    features = [
        {
            "type": "Feature",
            "properties": {"precinct": name},
            "geometry": shapely.geometry.mapping(shapely.box(*GRID[name])),
        }
        for name in order
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), "utf-8")
    return path


@pytest.fixture
def grid_layer(tmp_path: Path) -> PrecinctLayer:
    return read_precincts(precinct_file(tmp_path / "grid.geojson", list(GRID)))


@pytest.fixture
def grid(grid_layer: PrecinctLayer) -> gpd.GeoDataFrame:
    return grid_layer.polygons


def voter_table(path: Path, *lonlat: tuple[float, float]) -> VoterTable:
    lines = ["voter_id,latitude,longitude"]
    lines += [f"v{i},{lat},{lon}" for i, (lon, lat) in enumerate(lonlat)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return read_voters(path)


def test_interior_points_get_their_precinct(grid: gpd.GeoDataFrame) -> None:
    voters = points((-84.395, 33.755), (-84.385, 33.755), (-84.395, 33.745), (-84.385, 33.745))

    assert assign_precincts(voters, grid).tolist() == ["P-NW", "P-NE", "P-SW", "P-SE"]


@pytest.mark.parametrize(
    "point",
    [
        (-84.39, 33.755),  # on the edge between NW and NE
        (-84.395, 33.75),  # on the edge between NW and SW
        (-84.39, 33.75),  # the corner all four share
    ],
)
def test_boundary_point_goes_to_one_precinct_whatever_the_file_order(
    tmp_path: Path, point: tuple[float, float]
) -> None:
    voters = points(point, (-84.385, 33.745))
    answers = []
    for i, order in enumerate([list(GRID), list(reversed(GRID)), ["P-SE", "P-NW", "P-SW", "P-NE"]]):
        layer = read_precincts(precinct_file(tmp_path / f"order{i}.geojson", order))
        result = assign_precincts(voters, layer.polygons)
        assert len(result) == len(voters)  # one answer per voter, never a duplicated voter
        assert result.index.equals(voters.index)
        answers.append(result.tolist())

    assert answers[0] == answers[1] == answers[2]
    assert answers[0][0] in GRID
    assert answers[0][1] == "P-SE"


def test_points_outside_every_precinct_get_nan(grid: gpd.GeoDataFrame) -> None:
    voters = points((-84.395, 33.755), (-84.30, 33.75), (-84.395, 33.80))

    result = assign_precincts(voters, grid)

    assert result.iloc[0] == "P-NW"
    assert result.iloc[1:].isna().all()


def test_result_follows_the_voters_index(grid: gpd.GeoDataFrame) -> None:
    voters = points((-84.30, 33.75), (-84.385, 33.745), (-84.395, 33.755))
    voters.index = [17, 3, 42]  # rows left after some were rejected

    result = assign_precincts(voters, grid)

    assert result.index.tolist() == [17, 3, 42]
    assert np.isnan(result.loc[17])
    assert result.loc[[3, 42]].tolist() == ["P-SE", "P-NW"]


def test_precincts_in_another_crs_are_matched(grid: gpd.GeoDataFrame) -> None:
    voters = points((-84.385, 33.755), (-84.395, 33.745))

    result = assign_precincts(voters, grid.to_crs(3857))

    assert result.tolist() == ["P-NE", "P-SW"]


def test_no_points_gives_an_empty_result(grid: gpd.GeoDataFrame) -> None:
    assert assign_precincts(points(), grid).empty


def test_looks_swapped_finds_a_point_with_lat_and_lon_exchanged(grid: gpd.GeoDataFrame) -> None:
    voters = points(
        (33.755, -84.385),  # swapped: really in P-NE
        (-84.30, 33.75),  # just outside the area, not swapped
        (-84.395, 33.745),  # fine where it is
    )

    result = looks_swapped(voters, grid)

    assert result.tolist() == [True, False, False]
    assert result.index.equals(voters.index)


def test_distance_outside_the_precincts_extent(grid: gpd.GeoDataFrame) -> None:
    voters = points(
        (-84.395, 33.755),  # inside
        (-84.37, 33.75),  # 0.01 degrees east of the grid: ~925 m
        (-84.40, 33.86),  # 0.1 degrees north: ~11.1 km
        (-81.4569, 28.5063),  # Orlando: ~640 km
    )
    voters.index = [4, 5, 6, 7]

    far_m = distance_outside_m(voters, grid)

    assert far_m.index.tolist() == [4, 5, 6, 7]
    assert far_m.iloc[0] == 0
    assert far_m.iloc[1] == pytest.approx(925, rel=0.01)
    assert far_m.iloc[2] == pytest.approx(11_120, rel=0.01)
    assert far_m.iloc[3] > 600_000


# (lon, lat) of voters v0..v4 around the grid, whose extent ends at 33.76 north.
JOIN_VOTERS = (
    (-84.395, 33.755),  # v0: inside P-NW
    (-84.37, 33.75),  # v1: ~925 m east of the grid: a near miss
    (33.755, -84.385),  # v2: swapped, really in P-NE (and far away as given)
    (-84.40, 33.86),  # v3: 0.1 degrees north: ~11.1 km beyond the grid
    (-84.40, 33.849),  # v4: ~9.9 km north: still a near miss
)


def test_join_keeps_near_misses_unassigned_and_rejects_wrong_coordinates(
    tmp_path: Path, grid_layer: PrecinctLayer
) -> None:
    table = voter_table(tmp_path / "voters.csv", *JOIN_VOTERS)

    joined, counts = join_precincts(table, grid_layer)

    accepted = joined.accepted.set_index("voter_id")["precinct"]
    assert accepted.to_dict() == {"v0": "P-NW", "v1": "", "v4": ""}
    rejected = joined.rejected.set_index("voter_id")
    assert rejected["row"].to_dict() == {"v2": 3, "v3": 4}
    assert rejected.loc["v2", "reason"] == (
        "latitude and longitude look swapped (swapped back, the point lies in a precinct)"
    )
    assert rejected.loc["v3", "reason"] == (
        "far outside the precinct file's area (11.1 km beyond it): check the coordinates, "
        "or that the precinct file covers this area"
    )
    assert len(joined.accepted) + len(joined.rejected) == joined.total == 5
    assert counts == {
        "precincts": 4,
        "matched": 1,
        "outside": 2,
        "join_rate": 0.3333,
        "rejected_swapped": 1,  # v2 is far away too, but rejected once, as swapped
        "rejected_far": 1,
        "repaired_geometries": 0,
        "dropped_empty_geometries": 0,
        "id_column": "precinct",
        "id_reason": "precinct looks like a precinct code; one row per precinct",
        "rows": 4,
        "multipart_precincts": 0,
        "overlapping_voters": 0,
    }


def test_far_means_more_than_ten_km_beyond_the_precincts(grid: gpd.GeoDataFrame) -> None:
    assert FAR_OUTSIDE_M == 10_000
    far_m = distance_outside_m(points(JOIN_VOTERS[3], JOIN_VOTERS[4]), grid)
    assert far_m.iloc[0] > FAR_OUTSIDE_M > far_m.iloc[1]


def test_join_without_precincts_keeps_every_voter_unassigned(tmp_path: Path) -> None:
    table = voter_table(tmp_path / "voters.csv", *JOIN_VOTERS)

    joined, counts = join_precincts(table, None)

    assert joined.accepted["precinct"].tolist() == [""] * 5
    assert joined.rejected.empty
    # Five voters are too few to tell where "the others" are: nobody is refused.
    assert counts == {
        "precincts": 0,
        "matched": 5,
        "outside": 0,
        "rejected_swapped": 0,
        "rejected_far": 0,
    }


def test_without_precincts_points_far_from_every_other_voter_are_refused(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    # 80 voters over ~3 x 3 km of downtown Atlanta, one 6 km out in the suburbs (kept), one with
    # latitude and longitude swapped, one in Columbus, Ohio (both refused).
    town = [(-84.40 + 0.03 * x, 33.74 + 0.027 * y) for x, y in rng.random((80, 2))]
    suburb, swapped, columbus = (-84.33, 33.75), (33.75, -84.39), (-82.99, 39.96)
    table = voter_table(tmp_path / "voters.csv", *town, suburb, swapped, columbus)

    joined, counts = join_precincts(table, None)

    assert len(joined.accepted) == 81 and joined.accepted["precinct"].eq("").all()
    reasons = joined.rejected.set_index("row")["reason"]
    assert reasons[82].startswith("latitude and longitude look swapped")
    assert reasons[83].startswith("far from every other voter (") and "km beyond" in reasons[83]
    assert (counts["rejected_swapped"], counts["rejected_far"], counts["matched"]) == (1, 1, 81)
    assert len(joined.accepted) + len(joined.rejected) == table.total


def test_join_of_a_table_where_every_voter_is_in_a_precinct(
    tmp_path: Path, grid_layer: PrecinctLayer
) -> None:
    table = voter_table(tmp_path / "voters.csv", (-84.385, 33.745), (-84.395, 33.745))

    joined, counts = join_precincts(table, grid_layer)

    assert joined.accepted["precinct"].tolist() == ["P-SE", "P-SW"]
    assert joined.rejected.empty
    assert (counts["matched"], counts["outside"], counts["join_rate"]) == (2, 0, 1.0)
    assert counts["rejected_swapped"] == counts["rejected_far"] == 0
