"""Reading precinct polygons in any CRS and packaging, repairing what can be repaired."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import CRS, Transformer

from geo._errors import InputError
from geo.join import assign_precincts
from geo.precincts import read_precincts

# Downtown Atlanta, split at lon -84.39 into two precincts (west "A", east "B").
WEST = (-84.40, 33.74, -84.39, 33.76)
EAST = (-84.39, 33.74, -84.38, 33.76)
GEORGIA_WEST_FTUS = 2240


def projected_box(bounds: tuple[float, float, float, float], epsg: int) -> shapely.Polygon:
    """A lon/lat box, densified so its edges stay true, projected into ``epsg``."""
    to_crs = Transformer.from_crs(4326, epsg, always_xy=True)
    box = shapely.box(*bounds).segmentize(0.001)

    def project(coords: np.ndarray) -> np.ndarray:
        x, y = to_crs.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(box, project)


def shapefile_parts(
    tmp_path: Path, layer: gpd.GeoDataFrame, *, name: str = "precincts"
) -> list[Path]:
    folder = tmp_path / "shp"
    folder.mkdir(exist_ok=True)
    layer.to_file(folder / f"{name}.shp")
    return sorted(folder.glob(f"{name}.*"))


def zip_files(path: Path, files: list[Path], *, folder: str = "") -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in files:
            archive.write(file, folder + file.name)
    return path


def state_plane_layer(id_name: str = "PRECINCT") -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {id_name: ["A", "B"], "VOTERS": [812, 1290]},
        geometry=[projected_box(WEST, GEORGIA_WEST_FTUS), projected_box(EAST, GEORGIA_WEST_FTUS)],
        crs=GEORGIA_WEST_FTUS,
    )


def feature(properties: dict[str, Any], geometry: dict[str, Any] | None) -> dict[str, Any]:
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def square(bounds: tuple[float, float, float, float]) -> dict[str, Any]:
    return shapely.geometry.mapping(shapely.box(*bounds))


def write_json(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def points(*lonlat: tuple[float, float]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(geometry=[shapely.Point(x, y) for x, y in lonlat], crs="EPSG:4326")


def test_zipped_state_plane_feet_shapefile_is_reprojected(tmp_path: Path) -> None:
    layer = state_plane_layer()
    assert CRS.from_epsg(GEORGIA_WEST_FTUS).axis_info[0].unit_name == "US survey foot"
    # A wrong unit (metres for feet) would put these ~3.3x too far from the origin.
    assert 2.2e6 < layer.total_bounds[0] < 2.3e6
    path = zip_files(tmp_path / "fulton_precincts.zip", shapefile_parts(tmp_path, layer))

    result = read_precincts(path)

    polygons = result.polygons
    assert polygons.crs.to_epsg() == 4326
    assert result.id_column == "PRECINCT"
    assert polygons["precinct"].tolist() == ["A", "B"]
    west, south, east, north = polygons.total_bounds
    assert (west, south, east, north) == pytest.approx((-84.40, 33.74, -84.38, 33.76), abs=1e-6)
    voters = points((-84.395, 33.75), (-84.385, 33.755), (-84.37, 33.75))
    assert assign_precincts(voters, polygons).tolist()[:2] == ["A", "B"]
    assert assign_precincts(voters, polygons).isna().tolist() == [False, False, True]


def test_unzipped_shapefile_reads_too(tmp_path: Path) -> None:
    files = shapefile_parts(tmp_path, state_plane_layer())
    shp = next(f for f in files if f.suffix == ".shp")

    result = read_precincts(shp)

    assert result.polygons.crs.to_epsg() == 4326
    assert result.polygons.total_bounds[0] == pytest.approx(-84.40, abs=1e-6)


def test_zipped_shapefile_inside_a_folder(tmp_path: Path) -> None:
    files = shapefile_parts(tmp_path, state_plane_layer())
    path = zip_files(tmp_path / "precincts.zip", files, folder="Fulton_Precincts_2024/")

    result = read_precincts(path)

    assert result.polygons["precinct"].tolist() == ["A", "B"]


@pytest.mark.parametrize("zipped", [False, True])
def test_shapefile_without_prj_raises_mentioning_prj(tmp_path: Path, zipped: bool) -> None:
    files = shapefile_parts(tmp_path, state_plane_layer())
    prj = next(f for f in files if f.suffix == ".prj")
    prj.unlink()
    files.remove(prj)
    path = next(f for f in files if f.suffix == ".shp")
    if zipped:
        path = zip_files(tmp_path / "precincts.zip", files)

    with pytest.raises(InputError) as caught:
        read_precincts(path)

    assert ".prj" in str(caught.value)
    assert str(path) in str(caught.value)


def test_bow_tie_polygon_is_repaired_and_counted(tmp_path: Path) -> None:
    # A self-intersecting ring: two triangles meeting at (-84.39, 33.75).
    bow_tie = {
        "type": "Polygon",
        "coordinates": [
            [[-84.40, 33.74], [-84.38, 33.76], [-84.38, 33.74], [-84.40, 33.76], [-84.40, 33.74]]
        ],
    }
    assert not shapely.geometry.shape(bow_tie).is_valid
    path = write_json(
        tmp_path / "precincts.geojson",
        {
            "type": "FeatureCollection",
            "features": [
                feature({"precinct": "BOW"}, bow_tie),
                feature({"precinct": "OK"}, square((-84.38, 33.74, -84.37, 33.76))),
            ],
        },
    )

    result = read_precincts(path)

    assert result.repaired == 1
    assert result.polygons.is_valid.all()
    assert result.polygons["precinct"].tolist() == ["BOW", "OK"]
    repaired = result.polygons.geometry.iloc[0]
    assert repaired.geom_type in {"Polygon", "MultiPolygon"}
    assert repaired.area == pytest.approx(0.0002, rel=1e-6)  # two triangles of 0.02 x 0.01 / 2
    # Points inside the left and right lobes land in it; the pinched top and bottom do not.
    voters = points((-84.398, 33.75), (-84.382, 33.75), (-84.39, 33.758))
    assert assign_precincts(voters, result.polygons).tolist()[:2] == ["BOW", "BOW"]
    assert assign_precincts(voters, result.polygons).isna().tolist() == [False, False, True]


def test_bare_json_array_of_features(tmp_path: Path) -> None:
    path = write_json(
        tmp_path / "precincts.json",
        [feature({"precinct": "A"}, square(WEST)), feature({"precinct": "B"}, square(EAST))],
    )

    result = read_precincts(path)

    assert result.polygons["precinct"].tolist() == ["A", "B"]
    assert result.polygons.crs.to_epsg() == 4326
    assert assign_precincts(points((-84.385, 33.75)), result.polygons).tolist() == ["B"]


def test_null_geometries_are_dropped_and_counted(tmp_path: Path) -> None:
    path = write_json(
        tmp_path / "precincts.geojson",
        {
            "type": "FeatureCollection",
            "features": [
                feature({"precinct": "A"}, square(WEST)),
                feature({"precinct": "GHOST"}, None),
                feature({"precinct": "B"}, square(EAST)),
            ],
        },
    )

    result = read_precincts(path)

    assert result.dropped_empty == 1
    assert result.repaired == 0
    assert result.polygons["precinct"].tolist() == ["A", "B"]


def test_only_null_geometries_raises(tmp_path: Path) -> None:
    path = write_json(
        tmp_path / "precincts.geojson",
        {"type": "FeatureCollection", "features": [feature({"precinct": "A"}, None)]},
    )

    with pytest.raises(InputError, match="polygon"):
        read_precincts(path)


def test_id_column_is_chosen_automatically(tmp_path: Path) -> None:
    # "PRECINCT" repeats (ward-level names), so the unique GEOID is the id to use.
    path = write_json(
        tmp_path / "precincts.geojson",
        {
            "type": "FeatureCollection",
            "features": [
                feature({"OBJECTID": 1, "PRECINCT": "Ward 1", "GEOID": "13121001A"}, square(WEST)),
                feature({"OBJECTID": 2, "PRECINCT": "Ward 1", "GEOID": "13121001B"}, square(EAST)),
            ],
        },
    )

    result = read_precincts(path)

    assert result.id_column == "GEOID"
    assert result.polygons["precinct"].tolist() == ["13121001A", "13121001B"]


def test_id_column_falls_back_to_a_unique_text_column(tmp_path: Path) -> None:
    path = zip_files(
        tmp_path / "precincts.zip", shapefile_parts(tmp_path, state_plane_layer("PRECINCT_I"))
    )

    result = read_precincts(path)

    assert result.id_column == "PRECINCT_I"
    assert result.polygons["precinct"].tolist() == ["A", "B"]


def test_explicit_id_column(tmp_path: Path) -> None:
    path = zip_files(tmp_path / "p.zip", shapefile_parts(tmp_path, state_plane_layer("PCT_CODE")))

    result = read_precincts(path, id_column="PCT_CODE")

    assert result.id_column == "PCT_CODE"
    assert result.polygons["precinct"].tolist() == ["A", "B"]


def test_explicit_id_column_that_does_not_exist_lists_the_columns(tmp_path: Path) -> None:
    path = write_json(
        tmp_path / "precincts.geojson",
        {
            "type": "FeatureCollection",
            "features": [feature({"PREC_NAME": "A", "COUNTY": "Fulton"}, square(WEST))],
        },
    )

    with pytest.raises(InputError) as caught:
        read_precincts(path, id_column="precinct_id")

    message = str(caught.value)
    assert caught.value.column == "precinct_id"
    assert str(path) in message
    assert "PREC_NAME" in message
    assert "COUNTY" in message


def test_duplicate_explicit_ids_are_merged_with_a_note(tmp_path: Path) -> None:
    path = write_json(
        tmp_path / "precincts.geojson",
        {
            "type": "FeatureCollection",
            "features": [
                feature({"PCT": "12", "NAME": "North"}, square(WEST)),
                feature({"PCT": "12", "NAME": "South"}, square(EAST)),
            ],
        },
    )

    result = read_precincts(path, id_column="PCT")

    assert result.polygons["precinct"].tolist() == ["12"]
    assert result.multipart_precincts == 1
    assert "note: NAME differs within 1 of them (e.g. 12 in North and South)" in result.id_reason
    assert "--precinct-id PCT,NAME would keep them apart" in result.id_reason
    apart = read_precincts(path, id_column="PCT,NAME")
    assert apart.polygons["precinct"].tolist() == ["12-North", "12-South"]


def test_geopackage_in_web_mercator(tmp_path: Path) -> None:
    layer = gpd.GeoDataFrame(
        {"precinct": ["A", "B"]},
        geometry=[projected_box(WEST, 3857), projected_box(EAST, 3857)],
        crs=3857,
    )
    path = tmp_path / "precincts.gpkg"
    layer.to_file(path, driver="GPKG")

    result = read_precincts(path)

    assert result.polygons.crs.to_epsg() == 4326
    assert tuple(result.polygons.total_bounds) == pytest.approx(
        (-84.40, 33.74, -84.38, 33.76), abs=1e-6
    )


@pytest.mark.parametrize("content", [b"", b"   \n"])
def test_empty_json_raises(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "precincts.geojson"
    path.write_bytes(content)

    with pytest.raises(InputError, match="empty"):
        read_precincts(path)


def test_broken_json_array_raises(tmp_path: Path) -> None:
    path = tmp_path / "precincts.json"
    path.write_text('[{"type": "Feature", "properties": {}', encoding="utf-8")

    with pytest.raises(InputError, match="not valid JSON"):
        read_precincts(path)


# --- errors that say what to do ----------------------------------------------------------------


def two_precincts(tmp_path: Path, ids: list[Any]) -> Path:
    return write_json(
        tmp_path / "precincts.geojson",
        {
            "type": "FeatureCollection",
            "features": [
                feature({"Pct_Code": ids[0], "NAME": "West"}, square(WEST)),
                feature({"Pct_Code": ids[1], "NAME": "East"}, square(EAST)),
            ],
        },
    )


def test_explicit_id_column_is_matched_ignoring_case_and_spaces(tmp_path: Path) -> None:
    result = read_precincts(two_precincts(tmp_path, ["01", "02"]), id_column=" pct_code")

    assert result.id_column == "Pct_Code"
    assert result.polygons["precinct"].tolist() == ["01", "02"]


def test_explicit_id_column_with_blank_ids_raises(tmp_path: Path) -> None:
    path = two_precincts(tmp_path, ["01", None])

    with pytest.raises(InputError) as caught:
        read_precincts(path, id_column="Pct_Code")

    message = str(caught.value)
    assert str(path) in message and "1 of 2 precincts have no id" in message
    assert "--precinct-id" in message
    assert caught.value.column == "Pct_Code"


def test_projected_coordinates_without_a_crs_are_reported(tmp_path: Path) -> None:
    # A bare array of Features carries no CRS, so lon/lat is assumed: these are state plane feet.
    box = projected_box(WEST, GEORGIA_WEST_FTUS)
    path = write_json(
        tmp_path / "precincts.json", [feature({"PCT": "A"}, shapely.geometry.mapping(box))]
    )

    with pytest.raises(InputError) as caught:
        read_precincts(path)

    message = str(caught.value)
    assert str(path) in message
    assert "not longitude/latitude" in message and "EPSG:4326" in message


def test_empty_layer_says_what_to_do(tmp_path: Path) -> None:
    path = write_json(tmp_path / "precincts.geojson", {"type": "FeatureCollection", "features": []})

    with pytest.raises(InputError) as caught:
        read_precincts(path)

    assert str(path) in str(caught.value)
    assert "no features" in str(caught.value) and "export" in str(caught.value)


def test_unreadable_file_names_the_formats(tmp_path: Path) -> None:
    path = tmp_path / "precincts.gpkg"
    path.write_bytes(b"SQLite format 3\x00 but cut short")

    with pytest.raises(InputError) as caught:
        read_precincts(path)

    assert str(path) in str(caught.value)
    assert "GeoJSON, GeoPackage or a Shapefile" in str(caught.value)


def test_unknown_crs_is_reported(tmp_path: Path) -> None:
    layer = state_plane_layer()
    files = shapefile_parts(tmp_path, layer)
    prj = next(f for f in files if f.suffix == ".prj")
    prj.write_text('LOCAL_CS["County grid",UNIT["US survey foot",0.3048006096012192]]')

    with pytest.raises(InputError) as caught:
        read_precincts(zip_files(tmp_path / "p.zip", files))

    assert "p.zip" in str(caught.value)
    assert "CRS" in str(caught.value)
