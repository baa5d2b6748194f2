"""Address files in their real formats, written by the tests: TIGER/Line ADDRFEAT and EDGES
zipped shapefiles and OpenAddresses CSV / GeoJSON lines."""

from __future__ import annotations

import json
import math
import zipfile
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import shapely

# A street running east from here: 1e-4 degrees of longitude is ~9.3 m at this latitude.
LON0, LAT0 = -84.3880, 33.7490
M_PER_DEG_LAT = 111_195.0

OA_COLUMNS = ("LON", "LAT", "NUMBER", "STREET", "UNIT", "CITY", "DISTRICT", "REGION", "POSTCODE")


def east(metres: float, north: float = 0.0) -> tuple[float, float]:
    """The point ``metres`` east and ``north`` metres north of (LON0, LAT0)."""
    return (
        LON0 + metres / (M_PER_DEG_LAT * math.cos(math.radians(LAT0))),
        LAT0 + north / M_PER_DEG_LAT,
    )


def tiger_zip(
    folder: Path,
    edges: Sequence[dict[str, object]],
    *,
    layout: str = "addrfeat",
    name: str = "tl_2023_13067",
    crs: str = "EPSG:4269",
) -> Path:
    """A zipped TIGER/Line shapefile, as the Census Bureau publishes it (one per county).

    Each edge gives ``line`` (a list of (lon, lat)), ``FULLNAME`` and the range fields
    (``LFROMHN``, ``LTOHN``, ``RFROMHN``, ``RTOHN``, ``PARITYL``, ``PARITYR``, ``ZIPL``,
    ``ZIPR`` for ADDRFEAT; ``LFROMADD``... without parity for EDGES), as text like the
    real files. Missing fields are blank.
    """
    if layout == "addrfeat":
        fields = ("LFROMHN", "LTOHN", "RFROMHN", "RTOHN", "PARITYL", "PARITYR", "ZIPL", "ZIPR")
    else:
        fields = ("LFROMADD", "LTOADD", "RFROMADD", "RTOADD", "ZIPL", "ZIPR")
    columns: dict[str, list[object]] = {"TLID": [], "FULLNAME": [], **{f: [] for f in fields}}
    lines = []
    for i, edge in enumerate(edges):
        columns["TLID"].append(100000 + i)
        columns["FULLNAME"].append(str(edge.get("FULLNAME", "")))
        for f in fields:
            columns[f].append(str(edge.get(f, "")))
        lines.append(shapely.LineString(edge["line"]))  # type: ignore[arg-type]
    layer = gpd.GeoDataFrame(columns, geometry=lines, crs="EPSG:4326").to_crs(crs)
    stem = f"{name}_{layout}"
    shapes = folder / f"{stem}-parts"
    shapes.mkdir(parents=True, exist_ok=True)
    layer.to_file(shapes / f"{stem}.shp")
    path = folder / f"{stem}.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for part in sorted(shapes.iterdir()):
            archive.write(part, part.name)
    return path


def openaddresses_csv(
    folder: Path, rows: Sequence[dict[str, object]], *, zipped: bool = False
) -> Path:
    """An OpenAddresses CSV (LON, LAT, NUMBER, STREET, UNIT, CITY, ..., POSTCODE, ID, HASH)."""
    lines = [",".join([*OA_COLUMNS, "ID", "HASH"])]
    for i, row in enumerate(rows):
        values = [str(row.get(c, "")) for c in OA_COLUMNS]
        lines.append(",".join([*values, "", f"{i:016x}"]))
    text = "\n".join(lines) + "\n"
    path = folder / "us_ga_cobb-addresses-county.csv"
    path.write_text(text, encoding="utf-8")
    if not zipped:
        return path
    archive_path = folder / "us_ga_cobb.zip"
    with zipfile.ZipFile(archive_path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(path, "us/ga/cobb.csv")
        archive.writestr("README.txt", "Data from OpenAddresses.io\n")
    return archive_path


def openaddresses_geojson_lines(folder: Path, rows: Sequence[dict[str, object]]) -> Path:
    """OpenAddresses' newer output: one GeoJSON Feature per line, properties in lower case."""
    features = []
    for i, row in enumerate(rows):
        properties = {c.lower(): str(row.get(c, "")) for c in OA_COLUMNS[2:]}
        features.append(
            json.dumps(
                {
                    "type": "Feature",
                    "properties": {**properties, "id": "", "hash": f"{i:016x}"},
                    "geometry": {"type": "Point", "coordinates": [row["LON"], row["LAT"]]},
                }
            )
        )
    path = folder / "cobb-addresses-county.geojson"
    path.write_text("\n".join(features) + "\n", encoding="utf-8")
    return path
