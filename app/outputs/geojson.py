"""GeoJSON of the plan's tables and map layers, made by GEOS and the JSON encoder.

``turfs.geojson``, ``routes.geojson`` and ``precincts.geojson`` are laid out as GDAL's GeoJSON
driver lays them out (the layer's ``name``, the CRS84 ``crs`` member, a feature per line, null
for a missing value or geometry, text columns as text), with coordinates at full precision.
GDAL through pyogrio took 0.3 s for a county's turfs and routes, these 0.05 s; geopandas'
``to_json`` builds a dictionary per feature and was a fifth of a county's heat map.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

_CRS84 = '{ "type": "name", "properties": { "name": "urn:ogc:def:crs:OGC:1.3:CRS84" } }'


def feature_texts(
    properties: Mapping[str, Sequence[Any]],
    geometry: npt.NDArray[np.object_],
    *,
    ids: bool = False,
) -> list[str]:
    """Each feature as GeoJSON text: a value of each column of ``properties``, a geometry.

    ``geometry`` is in longitude, latitude (``None`` for none); the values must be what JSON
    holds (``json_columns``). ``ids``: each feature has ``"id"`` "0", "1", ... (as
    ``GeoDataFrame.to_json`` gives them; folium looks features up by them).
    """
    names = list(properties)
    shapes = shapely.to_geojson(geometry).tolist() if len(geometry) else []
    texts = []
    rows = zip(shapes, *properties.values(), strict=True)
    for number, (shape, *values) in enumerate(rows):
        record = json.dumps(dict(zip(names, values, strict=True)), ensure_ascii=False,
                            allow_nan=False)  # fmt: skip
        head = f'"id": "{number}", ' if ids else ""
        texts.append(
            f'{{ {head}"type": "Feature", "properties": {record}, "geometry": {shape or "null"} }}'
        )
    return texts


def feature_collection(
    properties: Mapping[str, Sequence[Any]], geometry: npt.NDArray[np.object_]
) -> dict[str, Any]:
    """A FeatureCollection of ``feature_texts`` (with ids) as a dictionary, for folium."""
    text = '{"type": "FeatureCollection", "features": [' + ",".join(
        feature_texts(properties, geometry, ids=True)
    )
    collection: dict[str, Any] = json.loads(text + "]}")
    return collection


def json_columns(frame: pd.DataFrame) -> dict[str, list[Any]]:
    """Each column of ``frame`` as the values GDAL writes for it.

    Numbers and booleans as they are, a missing value (NaN, None, NA) as null, text (and any
    other object) as text.
    """
    columns: dict[str, list[Any]] = {}
    for name in frame.columns:
        column = frame[name]
        if pd.api.types.is_bool_dtype(column) and not column.hasnans:
            values: list[Any] = column.tolist()
        elif pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
            values = [None if _missing(v) else v for v in column.astype(object).tolist()]
        else:
            values = [None if _missing(v) else _text(v) for v in column.tolist()]
        columns[str(name)] = values
    return columns


def _missing(value: Any) -> bool:
    return (
        value is None
        or value is pd.NA
        or value is pd.NaT
        or (isinstance(value, float) and math.isnan(value))
    )


def _text(value: Any) -> str:
    return value.isoformat() if isinstance(value, pd.Timestamp) else str(value)


def write_geojson(frame: gpd.GeoDataFrame, path: Path) -> Path:
    """Write ``frame`` as a GeoJSON layer named after the file, as GDAL's driver writes it.

    ``frame`` may be in any CRS: it is written in longitude, latitude (CRS84).
    """
    lonlat = frame if frame.crs.equals(4326) else frame.to_crs(4326)
    values = json_columns(pd.DataFrame(lonlat.drop(columns=lonlat.geometry.name)))
    features = feature_texts(values, lonlat.geometry.to_numpy())
    name = json.dumps(path.stem, ensure_ascii=False)
    head = f'{{\n"type": "FeatureCollection",\n"name": {name},\n"crs": {_CRS84},\n"features": [\n'
    path.write_text(head + ",\n".join(features) + "\n]\n}\n", encoding="utf-8")
    return path
