"""Address files to geocode against (``canvass plan --addresses FILE``).

Three kinds, told apart by their columns:

- **Address points** with a house number and a street: OpenAddresses (``LON``, ``LAT``,
  ``NUMBER``, ``STREET``, ``UNIT``, ``CITY``, ``POSTCODE``, ... as CSV, or GeoJSON lines with
  the same properties in lower case), the National Address Database (``AddNo_Full``,
  ``StNam_Full``, ``Zip_Code``), county address layers, or any points layer (GeoPackage,
  GeoJSON, Shapefile, FlatGeobuf, Parquet or CSV with latitude/longitude columns). Polygons
  (building footprints with addresses) count by a point inside them.
- **Address ranges**: Census TIGER/Line ``ADDRFEAT`` county files (``FULLNAME``, ``LFROMHN``,
  ``LTOHN``, ``RFROMHN``, ``RTOHN``, ``PARITYL``, ``PARITYR``, ``ZIPL``, ``ZIPR``) or ``EDGES``
  files (``LFROMADD``... without parity: it is taken from the range's ends), as the zipped
  shapefiles the Census Bureau publishes, one per county.

Zips are unpacked within the archive limits (``geo.archives``), never by GDAL.
"""

from __future__ import annotations

import io
import json
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pa_json
import shapely

from geo._errors import InputError
from geo.address import number_value, parse_address
from geo.archives import (
    DEFAULT_ARCHIVE_LIMITS,
    ArchiveLimits,
    extract_members,
    open_zip,
    read_member,
)
from geo.tables import numbers, read_text_table

POINT_COLUMNS = ("street", "house_number", "unit", "zip", "city", "lon", "lat")
RANGE_COLUMNS = ("street", "zip", "from_n", "to_n", "parity", "side", "geometry")
# Column names compared without case or punctuation ("Add_Number" -> "addnumber"), in order
# of preference.
POINT_ALIASES: dict[str, tuple[str, ...]] = {
    "house_number": (
        "number", "housenumber", "addrhousenumber", "addnofull", "addnumber", "addressnumber",
        "housenum", "houseno", "hn", "stnum", "streetnumber", "streetno", "addrnum", "addnum",
    ),
    "street": (
        "street", "streetname", "addrstreet", "stnamfull", "fullname", "fullstreet",
        "fullstreetname", "stname", "road",
    ),
    "unit": ("unit", "addrunit", "unitnumber", "apt", "subaddress"),
    "zip": ("postcode", "zip", "zipcode", "zip5", "postalcode", "addrpostcode", "postal"),
    "city": ("city", "addrcity", "postcity", "municipality", "town", "place", "postcomm"),
    "address": ("address", "fulladdress", "fulladdr", "siteaddress", "siteaddr", "addr"),
    "lon": ("lon", "longitude", "lng", "long", "x"),
    "lat": ("lat", "latitude", "y"),
}  # fmt: skip
_RANGE_ENDS = {
    "ADDRFEAT": ("LFROMHN", "LTOHN", "RFROMHN", "RTOHN"),
    "EDGES": ("LFROMADD", "LTOADD", "RFROMADD", "RTOADD"),
}
_LAYER_SUFFIXES = (".shp", ".gpkg", ".fgb")
_TABLE_SUFFIXES = (".csv", ".tsv", ".txt")
_JSON_SUFFIXES = (".geojson", ".geojsonl", ".geojsons", ".json", ".ndjson")
_WHAT = (
    "give OpenAddresses (CSV or GeoJSON lines), TIGER/Line ADDRFEAT or EDGES (zipped "
    "shapefile), or a points layer with house number and street columns"
)


@dataclass(frozen=True)
class AddressSources:
    """Everything read from the ``--addresses`` files."""

    points: pd.DataFrame
    """Address points: ``street``, ``house_number``, ``unit``, ``zip``, ``city``, ``lon``,
    ``lat`` (EPSG:4326), the files' rows in the order given."""
    ranges: gpd.GeoDataFrame
    """One row per side of a street line with an address range: ``street``, ``zip``,
    ``from_n``/``to_n`` (the house numbers at the line's start and end), ``parity`` (``O``,
    ``E`` or ``B``), ``side`` (1 left, -1 right, looking along the line), EPSG:4326 lines."""
    files: tuple[dict[str, Any], ...] = field(default_factory=tuple)
    """Per file: ``path``, ``kind`` (``points`` or ``ranges``) and the ``rows`` it gave."""


def empty_points() -> pd.DataFrame:
    """An address points frame with no rows."""
    frame = pd.DataFrame({c: pd.Series([], dtype=object) for c in POINT_COLUMNS[:-2]})
    return frame.assign(lon=pd.Series([], dtype=float), lat=pd.Series([], dtype=float))


def empty_ranges() -> gpd.GeoDataFrame:
    """An address ranges frame with no rows."""
    return gpd.GeoDataFrame(
        {
            "street": pd.Series([], dtype=object),
            "zip": pd.Series([], dtype=object),
            "from_n": pd.Series([], dtype=float),
            "to_n": pd.Series([], dtype=float),
            "parity": pd.Series([], dtype=object),
            "side": pd.Series([], dtype=np.int8),
        },
        geometry=gpd.GeoSeries([], crs="EPSG:4326"),
    )


def read_address_sources(
    paths: Sequence[str | Path], *, archive_limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS
) -> AddressSources:
    """Read every ``--addresses`` file: their points together, their ranges together."""
    points, ranges, files = [empty_points()], [empty_ranges()], []
    for path in paths:
        kind, frame = read_address_file(path, archive_limits=archive_limits)
        (points if kind == "points" else ranges).append(frame)
        files.append({"path": str(path), "kind": kind, "rows": len(frame)})
    return AddressSources(
        points=pd.concat(points, ignore_index=True),
        ranges=gpd.GeoDataFrame(pd.concat(ranges, ignore_index=True), crs="EPSG:4326"),
        files=tuple(files),
    )


def read_address_file(
    path: str | Path, *, archive_limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS
) -> tuple[str, pd.DataFrame]:
    """One address file as ``("points", points)`` or ``("ranges", ranges)``.

    Rows without a usable street, house number or place are left out.
    """
    path = Path(path)
    layer = _read_any(path, archive_limits)
    names = {_simple(c): str(c) for c in layer.columns}
    for ends in _RANGE_ENDS.values():
        if {"fullname", *(_simple(e) for e in ends)} <= names.keys():
            return "ranges", _ranges(layer, names, ends, path=path)
    return "points", _points(layer, names, path=path)


def _simple(name: object) -> str:
    return re.sub(r"[^0-9a-z]", "", str(name).lower())


def _read_any(path: Path, limits: ArchiveLimits) -> pd.DataFrame:
    """The file's table or layer (a GeoDataFrame when it has geometry)."""
    if not path.exists():
        raise InputError("file not found", path=path)
    if path.is_dir():
        raise InputError(f"is a folder, not a file; {_WHAT}", path=path)
    name = path.name.lower()
    if name.endswith(".zip"):
        return _read_zip(path, limits)
    if name.endswith(_TABLE_SUFFIXES):
        return read_text_table(path.read_bytes(), path=path)
    if name.endswith(".parquet"):
        try:
            return pd.read_parquet(path)
        except (pa.ArrowException, OSError) as exc:
            raise InputError(f"cannot be read as Parquet ({exc})", path=path) from exc
    if name.endswith(_JSON_SUFFIXES):
        with path.open("rb") as file:
            lines = _read_geojson_lines(file, shown=str(path))
        return lines if lines is not None else _read_layer(path, shown=str(path))
    if name.endswith(_LAYER_SUFFIXES):
        return _read_layer(path, shown=str(path))
    raise InputError(f"unsupported file type {path.suffix!r}; {_WHAT}", path=path)


def _read_layer(path: Path, *, shown: str) -> gpd.GeoDataFrame:
    try:
        layer = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises several error types for unreadable files
        raise InputError(f"cannot be read as a spatial layer ({exc}); {_WHAT}", path=shown) from exc
    if isinstance(layer, gpd.GeoDataFrame) and layer.crs is not None and layer.crs != 4326:
        layer = layer.to_crs(4326)
    return layer


def _read_zip(path: Path, limits: ArchiveLimits) -> pd.DataFrame:
    with open_zip(path) as archive:
        names = [
            n
            for n in archive.namelist()
            if not n.endswith("/") and not PurePosixPath(n).name.startswith((".", "__"))
        ]
        for suffixes in (_LAYER_SUFFIXES, _TABLE_SUFFIXES, _JSON_SUFFIXES):
            found = [n for n in names if n.lower().endswith(suffixes)]
            found = [n for n in found if not PurePosixPath(n).stem.lower().startswith("readme")]
            if len(found) > 1:
                raise InputError(f"the zip holds several layers {found[:5]}; keep one", path=path)
            if found:
                break
        else:
            raise InputError(
                f"the zip holds no address layer (found {names[:5]}); {_WHAT}", path=path
            )
        member = PurePosixPath(found[0])
        shown = f"{path}!{member}"
        if member.suffix.lower() in _TABLE_SUFFIXES:
            data = read_member(archive, str(member), path=path, limits=limits)
            return read_text_table(data, path=shown)
        if member.suffix.lower() in _JSON_SUFFIXES:
            data = read_member(archive, str(member), path=path, limits=limits)
            lines = _read_geojson_lines(io.BytesIO(data), shown=shown)
            if lines is not None:
                return lines
        # A shapefile's parts (.shx, .dbf, .prj, ...) beside it; other layers alone.
        parts = [
            n
            for n in names
            if PurePosixPath(n).parent == member.parent
            and PurePosixPath(n).stem.lower() == member.stem.lower()
        ]
        if member.suffix.lower() != ".shp":
            parts = [str(member)]
        with tempfile.TemporaryDirectory(prefix="canvass-addresses-") as folder:
            extract_members(archive, parts, Path(folder), path=path, limits=limits)
            return _read_layer(Path(folder) / member.name, shown=shown)


def _read_geojson_lines(file: io.BufferedIOBase, *, shown: str) -> pd.DataFrame | None:
    """Properties and ``lon``/``lat`` of GeoJSON lines (OpenAddresses' output), or None.

    One Feature per line, read with Arrow's multi-threaded JSON reader. None when the text is
    not one Feature per line (a FeatureCollection: GDAL reads it).
    """
    first = file.readline(1 << 20).strip()
    file.seek(0)
    try:
        feature = json.loads(first) if first.startswith(b"{") else None
    except ValueError:
        feature = None
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        return None
    try:
        table = pa_json.read_json(file)
    except (pa.ArrowException, ValueError) as exc:
        raise InputError(f"cannot be read as GeoJSON lines ({exc}); {_WHAT}", path=shown) from exc
    names = table.column_names
    if "properties" not in names or "geometry" not in names:
        raise InputError(f"GeoJSON lines without properties or geometry; {_WHAT}", path=shown)
    properties = pa.Table.from_struct_array(table.column("properties").combine_chunks())
    frame = properties.to_pandas()
    geometry = table.column("geometry").combine_chunks()
    point = pc.fill_null(pc.equal(geometry.field("type"), "Point"), False)
    coordinates = geometry.field("coordinates")
    is_point = point.to_numpy(zero_copy_only=False)
    for i, name in enumerate(("lon", "lat")):
        values = pc.list_element(coordinates, i).to_numpy(zero_copy_only=False)
        frame[f"_{name}"] = np.where(is_point, values, np.nan)
    return frame.rename(columns={"_lon": "lon", "_lat": "lat"})


def _pick(names: dict[str, str], field_name: str) -> str | None:
    for alias in POINT_ALIASES[field_name]:
        if alias in names:
            return names[alias]
    return None


def _text(frame: pd.DataFrame, column: str | None) -> pd.Series:
    if column is None:
        return pd.Series("", index=frame.index, dtype=object)
    values = frame[column]
    if pd.api.types.is_float_dtype(values.dtype):  # numbers read as floats: 12.0 -> "12"
        values = values.astype("Int64")
    return values.astype(object).where(values.notna(), "").astype(str).str.strip()


def _points(layer: pd.DataFrame, names: dict[str, str], *, path: Path) -> pd.DataFrame:
    """Address points of a table or layer: house number, street, place; the rest optional."""
    columns = {f: _pick(names, f) for f in POINT_ALIASES}
    number, street = _text(layer, columns["house_number"]), _text(layer, columns["street"])
    if columns["street"] is None and columns["address"] is not None:
        parsed = parse_address(_text(layer, columns["address"]))
        number, street = parsed["house_number"].astype(object), parsed["street"].astype(object)
    elif columns["street"] is None or columns["house_number"] is None:
        raise InputError(
            "no house number and street columns found (looked for "
            f"{', '.join(POINT_ALIASES['house_number'][:4])}...; "
            f"{', '.join(POINT_ALIASES['street'][:4])}...; or a one-string address: "
            f"{', '.join(POINT_ALIASES['address'][:3])}...); {_WHAT}",
            path=path,
        )
    if isinstance(layer, gpd.GeoDataFrame) and layer.geometry.name in layer:
        geometry = layer.geometry.to_numpy()
        usable = ~(shapely.is_missing(geometry) | shapely.is_empty(geometry))
        inside = shapely.point_on_surface(np.where(usable, geometry, None))
        lon, lat = shapely.get_x(inside), shapely.get_y(inside)
    elif columns["lon"] is not None and columns["lat"] is not None:
        lon = numbers(layer[columns["lon"]]).to_numpy(dtype=float)
        lat = numbers(layer[columns["lat"]]).to_numpy(dtype=float)
    else:
        raise InputError(
            "no point geometry and no longitude/latitude columns (looked for "
            f"{', '.join(POINT_ALIASES['lon'])}; {', '.join(POINT_ALIASES['lat'])})",
            path=path,
        )
    frame = pd.DataFrame(
        {
            "street": street,
            "house_number": number,
            "unit": _text(layer, columns["unit"]),
            "zip": _text(layer, columns["zip"]),
            "city": _text(layer, columns["city"]),
            "lon": np.asarray(lon, dtype=float),
            "lat": np.asarray(lat, dtype=float),
        },
        index=layer.index,
    )
    placed = (
        np.isfinite(frame["lon"])
        & np.isfinite(frame["lat"])
        & (frame["lat"].abs() <= 90)
        & (frame["lon"].abs() <= 180)
        & ~((frame["lon"] == 0) & (frame["lat"] == 0))
    )
    keep = placed & (frame["street"] != "") & (frame["house_number"] != "")
    return frame.loc[keep].reset_index(drop=True)


def _ranges(
    layer: pd.DataFrame, names: dict[str, str], ends: tuple[str, ...], *, path: Path
) -> gpd.GeoDataFrame:
    """One row per side with a numeric address range, on a single line (EPSG:4326)."""
    if not isinstance(layer, gpd.GeoDataFrame):
        raise InputError("address ranges without line geometry; give the shapefile", path=path)
    lines = shapely.line_merge(layer.geometry.to_numpy())
    single = shapely.get_type_id(lines) == 1
    street = _text(layer, names["fullname"])
    sides = []
    for side, (low, high, parity, zip_name) in (
        (1, (ends[0], ends[1], "parityl", "zipl")),
        (-1, (ends[2], ends[3], "parityr", "zipr")),
    ):
        start = number_value(_text(layer, names[_simple(low)]))
        end = number_value(_text(layer, names[_simple(high)]))
        given = _text(layer, names.get(parity)).str.upper().to_numpy(dtype=object)
        odd, even = (start % 2 == 1) & (end % 2 == 1), (start % 2 == 0) & (end % 2 == 0)
        inferred = np.where(odd, "O", np.where(even, "E", "B"))
        sides.append(
            pd.DataFrame(
                {
                    "street": street,
                    "zip": _text(layer, names.get(zip_name)),
                    "from_n": start,
                    "to_n": end,
                    "parity": np.where(np.isin(given, ["O", "E", "B"]), given, inferred),
                    "side": np.int8(side),
                    "geometry": lines,
                },
                index=layer.index,
            ).loc[single & (street != "").to_numpy() & np.isfinite(start) & np.isfinite(end)]
        )
    frame = pd.concat(sides, ignore_index=True)
    return gpd.GeoDataFrame(frame, geometry="geometry", crs="EPSG:4326")
