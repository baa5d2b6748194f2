"""The address file reader (--addresses) refuses damaged and mistaken files with an InputError
naming the file: OpenAddresses CSV (plain and zipped), GeoJSON lines, a GeoPackage of points
and a TIGER/Line ADDRFEAT zip each get the seeded cases of ``tests.fuzz``."""

from __future__ import annotations

import zipfile
from pathlib import Path

import geopandas as gpd
import shapely

from geo._errors import InputError
from geo.address_sources import read_address_file
from tests.fuzz import leaks
from tests.geo.address_files import east, openaddresses_csv, openaddresses_geojson_lines, tiger_zip

SEED = 20_260_312
ROWS = [
    {"LON": east(10 * i)[0], "LAT": east(0)[1], "NUMBER": str(100 + 2 * i),
     "STREET": "NORTH HIGH STREET", "POSTCODE": "30303"}
    for i in range(12)
]  # fmt: skip


def address_files(tmp: Path) -> dict[str, bytes]:
    csv = openaddresses_csv(tmp, ROWS)
    zipped = openaddresses_csv(tmp, ROWS, zipped=True)
    lines = openaddresses_geojson_lines(tmp, ROWS)
    points = gpd.GeoDataFrame(
        {"number": [r["NUMBER"] for r in ROWS], "street": [r["STREET"] for r in ROWS]},
        geometry=[shapely.Point(r["LON"], r["LAT"]) for r in ROWS],
        crs="EPSG:4326",
    )
    points.to_file(tmp / "points.gpkg")
    edges = [
        {"line": [east(200 * i), east(200 * i + 200)], "FULLNAME": "N High St",
         "LFROMHN": str(100 * i + 101), "LTOHN": str(100 * i + 199), "PARITYL": "O",
         "ZIPL": "30303"}
        for i in range(3)
    ]  # fmt: skip
    addrfeat = tiger_zip(tmp, edges)
    assert zipfile.is_zipfile(addrfeat)
    return {
        ".csv": csv.read_bytes(),
        ".zip": zipped.read_bytes(),
        ".geojson": lines.read_bytes(),
        ".gpkg": (tmp / "points.gpkg").read_bytes(),
        "-addrfeat.zip": addrfeat.read_bytes(),
    }


def test_address_reader_refuses_bad_files_clearly(tmp_path: Path) -> None:
    files = address_files(tmp_path)
    folder = tmp_path / "cases"
    folder.mkdir()
    problems = []
    for n, (suffix, real) in enumerate(files.items()):
        (folder / f"real{suffix}").write_bytes(real)
        read_address_file(folder / f"real{suffix}")  # the undamaged file reads
        problems += leaks(
            read_address_file, folder, suffix, real, clear=(InputError,), seed=SEED + n
        )
    assert problems == []
