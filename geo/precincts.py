"""Precinct polygons: read any common format and CRS, repair geometry, pick the id column."""

from __future__ import annotations

import json
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import geopandas as gpd
import pandas as pd
import shapely

from geo._errors import InputError
from geo.archives import (
    DEFAULT_ARCHIVE_LIMITS,
    ArchiveLimits,
    extract_members,
    open_zip,
    read_member,
)

ID_COLUMN_HINTS = (
    "precinct_id",
    "precinct",
    "prec_id",
    "precinctid",
    "vtd",
    "vtdst",
    "geoid10",
    "geoid",
    "id",
    "name",
)


_READABLE = (
    "give GeoJSON, GeoPackage or a Shapefile (with its .shx, .dbf and .prj; zipped is fine), "
    "and check the download is complete"
)


@dataclass(frozen=True)
class PrecinctLayer:
    """Precinct polygons in EPSG:4326 with a unique string ``precinct`` column."""

    polygons: gpd.GeoDataFrame
    id_column: str
    """The column of the file the ids came from."""
    repaired: int
    """How many invalid geometries were repaired with ``make_valid``."""
    dropped_empty: int
    """How many features had no usable polygon (null, empty, or not areal) and were left out."""


def _read_layer(path: Path, limits: ArchiveLimits) -> gpd.GeoDataFrame:
    if not path.exists():
        raise InputError("file not found", path=path)
    if path.is_dir():
        raise InputError(f"is a folder, not a file; {_READABLE}", path=path)
    suffix = path.suffix.lower()
    if suffix in {".json", ".geojson"}:
        text = path.read_bytes()
        if not text.strip():
            raise InputError("the file is empty", path=path)
        if text.lstrip()[:1] == b"[":
            # Some newsroom files are a bare JSON array of Features, not a FeatureCollection.
            return _read_json_bytes(text, path=str(path))
    if suffix in {".zip", ".shz"}:  # GDAL would read a zipped shapefile (.shz) unchecked
        return _read_zipped_layer(path, limits)
    try:
        return gpd.read_file(path)
    except Exception as exc:  # pyogrio raises several error types for unreadable files
        raise InputError(
            f"cannot be read as a polygon layer ({exc}); {_READABLE}", path=path
        ) from exc


def _read_zipped_layer(path: Path, limits: ArchiveLimits) -> gpd.GeoDataFrame:
    with open_zip(path) as archive:
        names = [n for n in archive.namelist() if not n.endswith("/")]
        shapefiles = [n for n in names if n.lower().endswith(".shp")]
        jsons = [n for n in names if n.lower().endswith((".json", ".geojson"))]
        if jsons and not shapefiles:
            data = read_member(archive, jsons[0], path=path, limits=limits)
            return _read_json_bytes(data, path=f"{path}!{jsons[0]}")
        if not shapefiles:
            raise InputError(
                f"the zip holds no .shp, .json or .geojson layer (found {names[:5]}); zip the "
                "precinct layer itself (a shapefile with its .shx, .dbf and .prj, or GeoJSON)",
                path=path,
            )
        if len(shapefiles) > 1:
            raise InputError(f"the zip holds several shapefiles {shapefiles}; keep one", path=path)
        # County downloads often keep the shapefile in a folder inside the zip. Its parts are
        # unpacked here, counted against the limits, rather than read by GDAL from the zip.
        shapefile = PurePosixPath(shapefiles[0])
        parts = [
            n
            for n in names
            if PurePosixPath(n).parent == shapefile.parent
            and PurePosixPath(n).stem.lower() == shapefile.stem.lower()
            and PurePosixPath(n).name not in {"", ".", ".."}
        ]
        with tempfile.TemporaryDirectory(prefix="canvass-shapefile-") as folder:
            extract_members(archive, parts, Path(folder), path=path, limits=limits)
            try:
                return gpd.read_file(Path(folder) / shapefile.name)
            except Exception as exc:  # pyogrio raises several error types for unreadable files
                problem = str(exc).replace(f"{folder}/", f"{shapefile.parent}/")
                raise InputError(
                    f"cannot be read as a polygon layer ({problem}); {_READABLE}", path=path
                ) from exc


def _read_json_bytes(data: bytes, *, path: str) -> gpd.GeoDataFrame:
    try:
        parsed = json.loads(data)
    except (ValueError, RecursionError) as exc:  # also bytes that are not UTF-8/16/32 text
        raise InputError(f"is not valid JSON ({exc}); {_READABLE}", path=path) from exc
    features = parsed if isinstance(parsed, list) else None
    if isinstance(parsed, dict):
        features = parsed.get("features")
    if not isinstance(features, list):
        raise InputError("is neither a FeatureCollection nor an array of Features", path=path)
    try:
        return gpd.GeoDataFrame.from_features(features, crs="EPSG:4326")
    except Exception as exc:  # geopandas/shapely raise several error types for bad features
        raise InputError(
            f"holds features that are not GeoJSON Features ({type(exc).__name__}: {exc}); "
            f"{_READABLE}",
            path=path,
        ) from exc


def _choose_id_column(frame: pd.DataFrame, *, path: Path) -> str:
    candidates = [c for c in frame.columns if c != frame.geometry.name]
    lowered = {re.sub(r"[\s_]+", "_", str(c).strip().lower()): c for c in candidates}
    for hint in ID_COLUMN_HINTS:
        column = lowered.get(hint)
        if column is not None and frame[column].notna().all() and frame[column].is_unique:
            return str(column)
    for column in candidates:
        values = frame[column]
        textual = pd.api.types.is_string_dtype(values) or values.dtype == object
        if values.notna().all() and values.is_unique and textual:
            return str(column)
    raise InputError(
        f"no column with a unique id per precinct found among {candidates}; "
        "name one with --precinct-id",
        path=path,
    )


def read_precincts(
    path: str | Path,
    *,
    id_column: str | None = None,
    archive_limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS,
) -> PrecinctLayer:
    """Read precinct polygons, reproject to EPSG:4326 and repair invalid geometries.

    Parameters
    ----------
    path
        GeoJSON (also a bare array of Features), GeoPackage or Shapefile (also zipped).
    id_column
        The column holding precinct ids; chosen automatically when not given.
    archive_limits
        How much a zipped layer may unpack to.
    """
    path = Path(path)
    layer = _read_layer(path, archive_limits)
    if layer.empty:
        raise InputError(
            "the layer has no features; export the precinct polygons again (or pick the file "
            "that holds them)",
            path=path,
        )
    _check_crs(layer, path=path)
    if id_column is None:
        id_column = _choose_id_column(layer, path=path)
    else:
        id_column = _explicit_id_column(layer, id_column, path=path)

    geometry = layer.geometry.to_numpy()
    present = ~(shapely.is_missing(geometry) | shapely.is_empty(geometry))
    invalid = present & ~shapely.is_valid(geometry)
    repaired = geometry.copy()
    # make_valid may return collections with stray lines; keep only the areal parts.
    repaired[invalid] = shapely.make_valid(geometry[invalid])
    areal = [_polygonal_part(g) if ok else None for g, ok in zip(repaired, present, strict=True)]
    polygons = gpd.GeoDataFrame(
        {"precinct": layer[id_column].astype(str).str.strip().to_numpy()},
        geometry=gpd.GeoSeries(areal, crs=layer.crs),
    )
    usable = ~(polygons.geometry.isna() | polygons.geometry.is_empty)
    try:
        polygons = polygons.loc[usable].to_crs(4326).reset_index(drop=True)
    except Exception as exc:  # pyproj raises several error types for unusable CRSs
        raise InputError(
            f"cannot be converted from its CRS ({layer.crs.name}) to longitude/latitude "
            f"({exc}); save the layer in EPSG:4326 or a standard projected CRS",
            path=path,
        ) from exc
    if polygons.empty:
        raise InputError("no feature has a polygon geometry", path=path)
    return PrecinctLayer(
        polygons=polygons,
        id_column=id_column,
        repaired=int(invalid.sum()),
        dropped_empty=int((~usable).sum()),
    )


def _check_crs(layer: gpd.GeoDataFrame, *, path: Path) -> None:
    """Raise unless the layer has a CRS that its coordinates plausibly are in."""
    if layer.crs is None:
        raise InputError(
            "the layer has no CRS (a shapefile without its .prj?); add the .prj or save it as "
            "GeoJSON in EPSG:4326",
            path=path,
        )
    if layer.crs.is_geographic:
        west, south, east, north = layer.total_bounds
        if min(west, south) < -180.5 or max(east, north) > 180.5 or max(abs(south), north) > 90.5:
            raise InputError(
                f"the coordinates (x {west:,.0f} to {east:,.0f}, y {south:,.0f} to {north:,.0f}) "
                "are not longitude/latitude although the file says they are; the layer is "
                "projected (e.g. state plane feet) but does not say in which CRS. Save it with "
                "its CRS (a .prj, or a GeoPackage) or reproject it to EPSG:4326",
                path=path,
            )


def _explicit_id_column(layer: gpd.GeoDataFrame, id_column: str, *, path: Path) -> str:
    """The column named by the user (trimmed, any case), checked to hold one id per precinct."""
    columns = [c for c in layer.columns if c != layer.geometry.name]
    found = next((c for c in columns if str(c) == id_column), None)
    if found is None:
        loose = [c for c in columns if str(c).strip().lower() == id_column.strip().lower()]
        found = loose[0] if len(loose) == 1 else None
    if found is None:
        raise InputError(
            f"precinct id column not found; columns present: {columns} (use one of them with "
            "--precinct-id)",
            path=path,
            column=id_column,
        )
    values = layer[found]
    blank = values.isna() | (values.astype(str).str.strip() == "")
    if blank.any():
        raise InputError(
            f"{int(blank.sum())} of {len(values)} precincts have no id in this column; fill "
            "them in or choose another column with --precinct-id",
            path=path,
            column=str(found),
        )
    ids = values.astype(str).str.strip()
    if not ids.is_unique:
        dupes = ids[ids.duplicated()].unique()[:5]
        raise InputError(
            f"precinct ids repeat (e.g. {list(dupes)}); choose a column with one id per "
            "precinct with --precinct-id, or merge the repeated polygons",
            path=path,
            column=str(found),
        )
    return str(found)


def _polygonal_part(geometry: shapely.Geometry) -> shapely.Geometry | None:
    if isinstance(geometry, shapely.Polygon | shapely.MultiPolygon):
        return geometry
    if isinstance(geometry, shapely.GeometryCollection):
        parts = [g for g in geometry.geoms if isinstance(g, shapely.Polygon | shapely.MultiPolygon)]
        if parts:
            return shapely.union_all(parts)
    return None
