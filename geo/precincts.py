"""Precinct polygons: read any common format and CRS, repair geometry, merge multi-part rows.

Which columns hold the ids is decided in ``geo.precinct_ids``.
"""

from __future__ import annotations

import json
import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import geopandas as gpd
import numpy as np
import shapely

from geo._errors import InputError
from geo.archives import (
    DEFAULT_ARCHIVE_LIMITS,
    ArchiveLimits,
    extract_members,
    open_zip,
    read_member,
)
from geo.precinct_ids import IdChoice, choose_id, explicit_id, id_values

logger = logging.getLogger(__name__)

_READABLE = (
    "give GeoJSON, GeoPackage or a Shapefile (with its .shx, .dbf and .prj; zipped is fine), "
    "and check the download is complete"
)


@dataclass(frozen=True)
class PrecinctLayer:
    """Precinct polygons in EPSG:4326 with a unique string ``precinct`` column."""

    polygons: gpd.GeoDataFrame
    id_column: str
    """The column(s) of the file the ids came from, as ``--precinct-id`` takes them
    (``PRECCODE``, or ``COUNTY,PRECINCT`` whose values give ids such as ``C-4``)."""
    repaired: int
    """How many invalid geometries were repaired with ``make_valid``."""
    dropped_empty: int
    """How many features had no usable polygon (null, empty, or not areal) and were left out."""
    rows: int = 0
    """How many features the file holds."""
    multipart_precincts: int = 0
    """How many precincts were stored as several rows and merged into one (multi-)polygon."""
    id_reason: str = ""
    """Why ``id_column`` was chosen, in a sentence."""


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
        The column holding precinct ids, or two separated by a comma when the numbers restart
        in each county (``COUNTY,PRECINCT``); chosen automatically when not given (see
        ``geo.precinct_ids``). Rows sharing an id are merged into one precinct.
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
    choice: IdChoice = (
        choose_id(layer, path=path)
        if id_column is None
        else explicit_id(layer, id_column, path=path)
    )
    logger.info("precinct ids of %s: %s", path.name, choice.reason)

    geometry = layer.geometry.to_numpy()
    present = ~(shapely.is_missing(geometry) | shapely.is_empty(geometry))
    invalid = present & ~shapely.is_valid(geometry)
    repaired = geometry.copy()
    # make_valid may return collections with stray lines; keep only the areal parts.
    repaired[invalid] = shapely.make_valid(geometry[invalid])
    areal = [_polygonal_part(g) if ok else None for g, ok in zip(repaired, present, strict=True)]
    polygons = gpd.GeoDataFrame(
        {"precinct": id_values(layer, choice.columns).to_numpy()},
        geometry=gpd.GeoSeries(areal, crs=layer.crs),
    )
    usable = ~(polygons.geometry.isna() | polygons.geometry.is_empty)
    polygons, multipart = _dissolve(polygons.loc[usable])
    try:
        polygons = polygons.to_crs(4326)
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
        id_column=choice.label,
        repaired=int(invalid.sum()),
        dropped_empty=int((~usable).sum()),
        rows=len(layer),
        multipart_precincts=multipart,
        id_reason=choice.reason,
    )


def _dissolve(polygons: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, int]:
    """One row per precinct id, in first-seen order: rows sharing an id become one geometry.

    Returns the merged layer and how many ids had several rows. The union is taken in the
    layer's own CRS (state plane feet stay feet until the end).
    """
    ids = polygons["precinct"]
    repeated = ids.duplicated(keep=False).to_numpy()
    if not repeated.any():
        return polygons.reset_index(drop=True), 0
    first = ~ids.duplicated().to_numpy()
    merged = {
        precinct: shapely.union_all(group.to_numpy())
        for precinct, group in polygons.geometry[repeated].groupby(ids[repeated], sort=False)
    }
    geometry = polygons.geometry.to_numpy().copy()
    keys = ids.to_numpy()
    for i in np.flatnonzero(first & repeated):
        geometry[i] = merged[keys[i]]
    result = gpd.GeoDataFrame(
        {"precinct": keys[first]}, geometry=gpd.GeoSeries(geometry[first], crs=polygons.crs)
    )
    return result, len(merged)


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


def _polygonal_part(geometry: shapely.Geometry) -> shapely.Geometry | None:
    if isinstance(geometry, shapely.Polygon | shapely.MultiPolygon):
        return geometry
    if isinstance(geometry, shapely.GeometryCollection):
        parts = [g for g in geometry.geoms if isinstance(g, shapely.Polygon | shapely.MultiPolygon)]
        if parts:
            return shapely.union_all(parts)
    return None
