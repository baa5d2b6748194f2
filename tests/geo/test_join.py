"""Joining voter points to precincts: one precinct per point, whatever the file order."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geo.join import assign_precincts, distance_outside_m, looks_swapped
from geo.precincts import read_precincts

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
def grid(tmp_path: Path) -> gpd.GeoDataFrame:
    return read_precincts(precinct_file(tmp_path / "grid.geojson", list(GRID))).polygons


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
