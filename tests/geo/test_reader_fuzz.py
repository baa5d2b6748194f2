"""Every geo/ file reader refuses damaged and mistaken files with an InputError naming the file.

Voter tables (CSV, TSV, UTF-16 text, ncvoter, zipped CSV, Parquet, GeoJSON, GeoPackage),
precinct layers (GeoJSON, a bare array of Features, GeoPackage, zipped shapefile, zipped
GeoJSON) and column mapping files each get the seeded cases of ``tests.fuzz``.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from geo._errors import InputError
from geo.layouts import read_column_mapping
from geo.precincts import read_precincts
from geo.voters import read_voters
from tests.fuzz import leaks
from tests.geo.test_layouts import ncvoter_file

SEED = 20_251_203


def _no_points() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {c: pd.Series(dtype=object) for c in ("street", "house_number", "postcode", "city")},
        geometry=gpd.GeoSeries([], crs="EPSG:4326"),
    )


def _voters() -> pd.DataFrame:
    rows = [
        {
            "voter_id": f"V{i:03d}",
            "first_name": "Ana" if i % 2 else "Élodie",
            "street": "Mannerheimintie",
            "house_number": str(10 + i),
            "zip": "00100",
            "latitude": "" if i % 5 == 0 else f"{60.17 + i / 1000:.5f}",
            "longitude": "" if i % 5 == 0 else f"{24.94 + i / 1000:.5f}",
        }
        for i in range(12)
    ]
    return pd.DataFrame(rows)


def _zipped(name: str, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, data)
    return buffer.getvalue()


def _layer_bytes(frame: gpd.GeoDataFrame, tmp: Path, name: str) -> bytes:
    frame.to_file(tmp / name)
    return (tmp / name).read_bytes()


def voter_files(tmp: Path) -> dict[str, bytes]:
    frame = _voters()
    csv = frame.to_csv(index=False).encode("utf-8")
    points = gpd.GeoDataFrame(
        frame.drop(columns=["latitude", "longitude"]).iloc[1:],
        geometry=gpd.points_from_xy(
            pd.to_numeric(frame["longitude"].iloc[1:]), pd.to_numeric(frame["latitude"].iloc[1:])
        ),
        crs="EPSG:4326",
    )
    frame.to_parquet(tmp / "v.parquet")
    ncvoter = ncvoter_file(tmp / "nc.txt", [("12 MAIN ST", "RALEIGH", "27601")] * 3)
    return {
        ".csv": csv,
        ".tsv": frame.to_csv(index=False, sep="\t").encode("utf-8"),
        ".txt": frame.to_csv(index=False, sep="\t").encode("utf-16"),
        "-ncvoter.txt": ncvoter.read_bytes(),
        ".zip": _zipped("voters.csv", csv),
        ".parquet": (tmp / "v.parquet").read_bytes(),
        ".geojson": _layer_bytes(points, tmp, "v.geojson"),
        ".gpkg": _layer_bytes(points, tmp, "v.gpkg"),
    }


def precinct_files(tmp: Path) -> dict[str, bytes]:
    boxes = [shapely.box(24.93 + i / 100, 60.16, 24.94 + i / 100, 60.17) for i in range(3)]
    layer = gpd.GeoDataFrame({"pid": ["P1", "P2", "P3"]}, geometry=boxes, crs=4326)
    geojson = _layer_bytes(layer, tmp, "p.geojson")
    layer.to_file(tmp / "p.shp")
    shapefile = io.BytesIO()
    with zipfile.ZipFile(shapefile, "w", zipfile.ZIP_DEFLATED) as archive:
        for ext in ("shp", "shx", "dbf", "prj"):
            archive.write(tmp / f"p.{ext}", f"county/p.{ext}")
    return {
        ".geojson": geojson,
        ".json": json.dumps(json.loads(geojson)["features"]).encode(),
        ".gpkg": _layer_bytes(layer, tmp, "p.gpkg"),
        "-shapefile.zip": shapefile.getvalue(),
        "-geojson.zip": _zipped("precincts.geojson", geojson),
    }


MAPPING = {"voter_id": "Registrant", "latitude": "Y", "longitude": "X"}
MAPPING_FILES = {
    ".toml": ("[columns]\n" + "".join(f'{k} = "{v}"\n' for k, v in MAPPING.items())).encode(),
    ".json": json.dumps({"columns": MAPPING}).encode(),
}


def _check(
    read: Callable[[Path], object], files: dict[str, bytes], folder: Path, seed: int
) -> None:
    problems = []
    for n, (suffix, real) in enumerate(files.items()):
        (folder / f"real{suffix}").write_bytes(real)
        read(folder / f"real{suffix}")  # the undamaged file reads
        problems += leaks(read, folder, suffix, real, clear=(InputError,), seed=seed + n)
    assert problems == []


def test_voter_readers_refuse_bad_files_clearly(tmp_path: Path) -> None:
    files = voter_files(tmp_path)
    _check(lambda p: read_voters(p, address_points=_no_points), files, tmp_path, SEED)


def test_precinct_readers_refuse_bad_files_clearly(tmp_path: Path) -> None:
    files = precinct_files(tmp_path)
    _check(read_precincts, files, tmp_path, SEED + 100)


@pytest.mark.parametrize("suffix", sorted(MAPPING_FILES))
def test_column_mapping_reader_refuses_bad_files_clearly(tmp_path: Path, suffix: str) -> None:
    _check(read_column_mapping, {suffix: MAPPING_FILES[suffix]}, tmp_path, SEED + 200)
