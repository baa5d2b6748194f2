"""The plan's GeoJSON layers read back as GDAL's own GeoJSON of the same table reads back:
the same columns and types, the same values (missing ones missing), the same geometries (to
the last bit of the table's longitudes and latitudes, where GDAL keeps 15 digits), in
longitude and latitude whatever the table's CRS."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from app.outputs.geojson import write_geojson
from app.outputs.tables import route_lines, turf_table
from tests.app.conftest import BuiltPlan


def _messy_table() -> gpd.GeoDataFrame:
    square = shapely.box(-84.39, 33.75, -84.38, 33.76)
    holed = shapely.Polygon(
        square.exterior.coords, [shapely.box(-84.387, 33.753, -84.383, 33.757).exterior.coords]
    )
    return gpd.GeoDataFrame(
        {
            # Ids from an organiser's file: quotes, markup, a line break, accents.
            "turf": ['P"1</script>', "Åbo\nKatu", "=SUM(A1)", "plain"],
            "stops": np.array([3, 0, 12, 7], dtype=np.int64),
            "walk_m": [463.3, np.nan, 0.1 + 0.2, 1e-7],
            "crosses": [True, False, False, True],
            "threshold": pd.array([1, None, 3, 4], dtype="Int64"),
            "note": ["", None, "two words", "x"],
            # A column of mixed objects is text, as GDAL types it.
            "mixed": pd.Series([np.int64(3), None, "q", 2.5], dtype=object),
        },
        geometry=[
            holed,
            shapely.MultiPolygon([square, shapely.box(-84.37, 33.75, -84.36, 33.76)]),
            None,
            shapely.LineString([(-84.3912345678901, 33.7512345678901), (-84.38, 33.77)]),
        ],
        crs=4326,
    )


def _same_as_gdal(frame: gpd.GeoDataFrame, tmp_path: Path, name: str) -> gpd.GeoDataFrame:
    ours = write_geojson(frame, tmp_path / f"{name}.geojson")
    gdal_dir = tmp_path / "gdal"
    gdal_dir.mkdir(exist_ok=True)
    theirs = gdal_dir / f"{name}.geojson"
    frame.to_crs(4326).to_file(theirs, driver="GeoJSON")
    mine, gdal = gpd.read_file(ours), gpd.read_file(theirs)
    assert list(mine.columns) == list(gdal.columns)
    assert mine.dtypes.to_dict() == gdal.dtypes.to_dict()
    pd.testing.assert_frame_equal(
        pd.DataFrame(mine.drop(columns="geometry")), pd.DataFrame(gdal.drop(columns="geometry"))
    )
    assert mine.crs == gdal.crs
    assert list(mine.geometry.isna()) == list(gdal.geometry.isna())
    present = gdal.geometry.notna().to_numpy()
    drawn = mine.geometry.to_numpy()[present]
    assert shapely.equals_exact(drawn, gdal.geometry.to_numpy()[present], tolerance=1e-12).all()
    lonlat = frame.to_crs(4326).geometry.to_numpy()[present]
    assert shapely.equals_exact(drawn, lonlat, tolerance=0).all()
    document = json.loads(ours.read_text(encoding="utf-8"))
    assert document["name"] == name
    assert document["crs"]["properties"]["name"] == "urn:ogc:def:crs:OGC:1.3:CRS84"
    return mine


def test_a_messy_table_reads_back_as_gdal_writes_it(tmp_path: Path) -> None:
    table = _messy_table()
    mine = _same_as_gdal(table, tmp_path, "turfs")
    assert mine["turf"].tolist() == table["turf"].tolist()  # text as it was, not escaped twice
    assert mine["walk_m"].isna().tolist() == [False, True, False, False]
    assert pd.isna(mine["note"].iloc[1])


def test_a_feet_based_table_is_written_in_longitude_and_latitude(tmp_path: Path) -> None:
    # Georgia West, US survey feet: what a county's precinct file comes in.
    feet = _messy_table().to_crs(2240)
    mine = _same_as_gdal(feet, tmp_path, "precincts")
    expected = _messy_table().geometry
    present = expected.notna().to_numpy()
    assert (
        shapely.hausdorff_distance(mine.geometry.to_numpy()[present], expected[present]) < 1e-9
    ).all()


@pytest.mark.parametrize("layer", ["turfs", "routes"])
def test_the_plan_layers_read_back_as_gdal_writes_them(
    demo_plan: BuiltPlan, tmp_path: Path, layer: str
) -> None:
    plan = demo_plan.plan
    table = turf_table(plan) if layer == "turfs" else route_lines(plan)
    mine = _same_as_gdal(table, tmp_path, layer)
    assert len(mine) == len(plan.turfs)


def test_an_empty_table_is_an_empty_layer(tmp_path: Path) -> None:
    empty = _messy_table().iloc[:0]
    path = write_geojson(empty, tmp_path / "routes.geojson")
    assert json.loads(path.read_text(encoding="utf-8"))["features"] == []
    assert len(gpd.read_file(path)) == 0
