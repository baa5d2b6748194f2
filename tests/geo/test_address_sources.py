"""Address files (--addresses): TIGER/Line ranges, OpenAddresses and other points layers."""

from __future__ import annotations

import zipfile
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from geo._errors import InputError
from geo.address_sources import read_address_file, read_address_sources
from geo.archives import ArchiveLimits
from tests.geo.address_files import (
    east,
    openaddresses_csv,
    openaddresses_geojson_lines,
    tiger_zip,
)

HIGH_ST = {
    "line": [east(0), east(200)],
    "FULLNAME": "N High St",
    "LFROMHN": "101",
    "LTOHN": "199",
    "RFROMHN": "100",
    "RTOHN": "198",
    "PARITYL": "O",
    "PARITYR": "E",
    "ZIPL": "30303",
    "ZIPR": "30303",
}


def test_addrfeat_zip_gives_one_range_per_side(tmp_path: Path) -> None:
    no_right = {**HIGH_ST, "line": [east(200), east(400)], "LFROMHN": "201", "LTOHN": "299",
                "RFROMHN": "", "RTOHN": ""}  # fmt: skip
    unnamed = {**HIGH_ST, "FULLNAME": ""}
    path = tiger_zip(tmp_path, [HIGH_ST, no_right, unnamed])

    kind, ranges = read_address_file(path)

    assert kind == "ranges"
    assert isinstance(ranges, gpd.GeoDataFrame) and ranges.crs == "EPSG:4326"  # from NAD83
    assert ranges[["from_n", "to_n", "parity", "side"]].values.tolist() == [
        [101, 199, "O", 1],
        [201, 299, "O", 1],
        [100, 198, "E", -1],
    ]
    assert set(ranges["street"]) == {"N High St"} and set(ranges["zip"]) == {"30303"}
    start = shapely.get_coordinates(ranges.geometry.iloc[0])[0]
    assert tuple(start) == pytest.approx(east(0), abs=1e-7)


def test_edges_file_takes_parity_from_the_range_ends(tmp_path: Path) -> None:
    edge = {"line": [east(0), east(200)], "FULLNAME": "Oak Ave", "LFROMADD": "1", "LTOADD": "99",
            "RFROMADD": "2", "RTOADD": "97", "ZIPL": "30060", "ZIPR": "30060"}  # fmt: skip
    path = tiger_zip(tmp_path, [edge], layout="edges")

    kind, ranges = read_address_file(path)

    assert kind == "ranges"
    assert ranges["parity"].tolist() == ["O", "B"]  # 2..97 holds both


OA_ROWS = [
    {"LON": -84.388, "LAT": 33.749, "NUMBER": "1204", "STREET": "NORTH HIGH STREET",
     "UNIT": "", "CITY": "ATLANTA", "REGION": "GA", "POSTCODE": "30303"},
    {"LON": -84.387, "LAT": 33.749, "NUMBER": "12", "STREET": "FIFTH AVENUE", "UNIT": "3",
     "POSTCODE": "30303"},
    {"LON": "", "LAT": "", "NUMBER": "14", "STREET": "FIFTH AVENUE"},  # no place
    {"LON": -84.386, "LAT": 33.749, "NUMBER": "", "STREET": "FIFTH AVENUE"},  # no number
]  # fmt: skip


@pytest.mark.parametrize("zipped", [False, True])
def test_openaddresses_csv(tmp_path: Path, zipped: bool) -> None:
    path = openaddresses_csv(tmp_path, OA_ROWS, zipped=zipped)

    kind, points = read_address_file(path)

    assert kind == "points"
    assert points[["house_number", "street", "unit", "zip", "city"]].values.tolist() == [
        ["1204", "NORTH HIGH STREET", "", "30303", "ATLANTA"],
        ["12", "FIFTH AVENUE", "3", "30303", ""],
    ]
    assert points["lon"].tolist() == [-84.388, -84.387]


@pytest.mark.parametrize("zipped", [False, True])
def test_openaddresses_geojson_lines(tmp_path: Path, zipped: bool) -> None:
    path = openaddresses_geojson_lines(tmp_path, [r for r in OA_ROWS if r["LON"] != ""])
    if zipped:
        with zipfile.ZipFile(tmp_path / "cobb.zip", "w") as archive:
            archive.write(path, f"us/ga/{path.name}")
        path = tmp_path / "cobb.zip"

    kind, points = read_address_file(path)

    assert kind == "points"
    assert points["street"].tolist() == ["NORTH HIGH STREET", "FIFTH AVENUE"]
    assert points["lat"].tolist() == [33.749, 33.749]


def test_a_geojson_feature_collection(tmp_path: Path) -> None:
    layer = gpd.GeoDataFrame(
        {"NUMBER": ["12"], "STREET": ["Fifth Avenue"]},
        geometry=[shapely.Point(-84.387, 33.749)],
        crs="EPSG:4326",
    )
    path = tmp_path / "addresses.geojson"
    layer.to_file(path, driver="GeoJSON")

    kind, points = read_address_file(path)

    assert kind == "points"
    assert points[["house_number", "street", "lon"]].values.tolist() == [
        ["12", "Fifth Avenue", -84.387]
    ]


def test_any_points_layer_with_a_number_and_a_street(tmp_path: Path) -> None:
    # A county layer: OSM-style names, a ZIP column, building footprints instead of points.
    building = shapely.box(-84.3881, 33.7489, -84.3879, 33.7491)
    layer = gpd.GeoDataFrame(
        {"addr:housenumber": [1204, 7], "addr:street": ["N High St", "Elm St"],
         "Zip_Code": ["30303", ""]},
        geometry=[building, shapely.Point(-84.39, 33.75)],
        crs="EPSG:4326",
    ).to_crs(3857)  # fmt: skip
    path = tmp_path / "county_addresses.gpkg"
    layer.to_file(path)

    kind, points = read_address_file(path)

    assert kind == "points"
    assert points["house_number"].tolist() == ["1204", "7"]
    assert points["zip"].tolist() == ["30303", ""]
    assert building.contains(shapely.Point(points["lon"].iloc[0], points["lat"].iloc[0]))


def test_points_with_one_string_addresses(tmp_path: Path) -> None:
    path = tmp_path / "sites.csv"
    path.write_text(
        "SiteAddress,Latitude,Longitude\n1204 N HIGH ST APT 3,33.749,-84.388\n", encoding="utf-8"
    )

    _, points = read_address_file(path)

    assert points[["house_number", "street"]].values.tolist() == [["1204", "N HIGH ST"]]


def test_several_files_read_together(tmp_path: Path) -> None:
    files = [tiger_zip(tmp_path, [HIGH_ST]), openaddresses_csv(tmp_path, OA_ROWS)]

    sources = read_address_sources(files)

    assert len(sources.points) == 2 and len(sources.ranges) == 2
    assert [(f["kind"], f["rows"]) for f in sources.files] == [("ranges", 2), ("points", 2)]


def test_unusable_files_say_what_is_wrong(tmp_path: Path) -> None:
    no_columns = tmp_path / "people.csv"
    no_columns.write_text("name,lat,lon\nAnna,33.7,-84.3\n", encoding="utf-8")
    with pytest.raises(InputError, match="no house number and street columns"):
        read_address_file(no_columns)

    two = tmp_path / "two.zip"
    with zipfile.ZipFile(two, "w") as archive:
        archive.writestr("a.csv", "NUMBER,STREET,LAT,LON\n")
        archive.writestr("b.csv", "NUMBER,STREET,LAT,LON\n")
    with pytest.raises(InputError, match="several layers"):
        read_address_file(two)

    sheet = tmp_path / "addresses.xlsx"
    sheet.write_bytes(b"PK")
    with pytest.raises(InputError, match="unsupported file type"):
        read_address_file(sheet)

    big = tiger_zip(tmp_path, [HIGH_ST])
    with pytest.raises(InputError, match="over the limit"):
        read_address_file(big, archive_limits=ArchiveLimits(max_bytes=100))
