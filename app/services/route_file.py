"""``canvass route``: order any CSV of stops along the streets of an OSM extract."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely

from geo._errors import InputError
from geo.effort import WalkModel
from geo.tables import DEFAULT_ARCHIVE_LIMITS, ArchiveLimits, read_table
from routing._errors import SnappingError
from routing.distances import leg_line, stop_distances
from routing.order import order_stops, path_length_m
from routing.snap import snap_points
from routing.streets import load_walk_graph

REQUIRED_COLUMNS = ("id", "lat", "lon")
MAX_DOORS = 100_000
"""Most doors one stop may have (a big block of flats has a few hundred)."""


def read_stops(
    path: Path, *, archive_limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS
) -> pd.DataFrame:
    """Read ``id,lat,lon`` (and optional ``doors``) rows, failing clearly on bad rows."""
    frame = read_table(path, archive_limits=archive_limits)
    by_lower = {c.strip().lower(): c for c in frame.columns}
    missing = [c for c in REQUIRED_COLUMNS if c not in by_lower]
    if missing:
        raise InputError(
            f"missing column(s) {missing}; a stops file needs id,lat,lon "
            f"(columns present: {list(frame.columns)})",
            path=path,
        )
    stops = pd.DataFrame({c: frame[by_lower[c]] for c in REQUIRED_COLUMNS})
    stops["id"] = stops["id"].astype(str).str.strip()
    stops["doors"] = (
        pd.to_numeric(frame[by_lower["doors"]], errors="coerce") if "doors" in by_lower else 1
    )
    for column, limit in (("lat", 90), ("lon", 180)):
        values = pd.to_numeric(stops[column], errors="coerce")
        bad = values.isna() | (values.abs() > limit)
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0]) + 1
            raise InputError(
                f"{column} is blank or not a valid coordinate: {stops[column].iloc[row - 1]!r}",
                path=path,
                row=row,
                column=column,
            )
        stops[column] = values.astype(float)
    if stops.empty:
        raise InputError("the stops file has no rows", path=path)
    duplicated = stops["id"].duplicated()
    if duplicated.any():
        row = int(np.flatnonzero(duplicated.to_numpy())[0]) + 1
        raise InputError(
            f"id {stops['id'].iloc[row - 1]!r} repeats", path=path, row=row, column="id"
        )
    doors = stops["doors"].fillna(1)  # blank or not a number: one door, as before
    bad = ~doors.between(0, MAX_DOORS)  # also infinite
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0]) + 1
        raise InputError(
            f"doors must be a number from 0 to {MAX_DOORS:,}: "
            f"{frame[by_lower['doors']].iloc[row - 1]!r}",
            path=path,
            row=row,
            column="doors",
        )
    stops["doors"] = doors.astype(int)
    return stops


def route_stops_file(
    streets: Path,
    stops_path: Path,
    *,
    start_latlon: tuple[float, float] | None = None,
    loop: bool = False,
    max_snap_m: float = 150.0,
    model: WalkModel | None = None,
    graph_cache_dir: Path | None = None,
    archive_limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS,
) -> dict[str, Any]:
    """Order the stops of ``stops_path``; returns the ``canvass route`` JSON document."""
    model = model or WalkModel()
    stops = read_stops(stops_path, archive_limits=archive_limits)
    graph = load_walk_graph(streets, cache_dir=graph_cache_dir)
    lon = stops["lon"].to_numpy()
    lat = stops["lat"].to_numpy()
    if start_latlon is not None:
        lat = np.append(lat, start_latlon[0])
        lon = np.append(lon, start_latlon[1])
    x, y = graph.to_metric(lon, lat)
    snapped = snap_points(graph, x, y, max_distance_m=max_snap_m)
    if snapped.too_far.any():
        far = np.flatnonzero(snapped.too_far)
        names = ["start" if i == len(stops) else stops["id"].iloc[i] for i in far[:10]]
        raise SnappingError(
            f"{stops_path}: {len(far)} point(s) are more than {max_snap_m:.0f} m from any "
            f"walkable street of {streets} (e.g. {names}); check their coordinates or use an "
            "extract that covers them"
        )
    distances = stop_distances(graph, snapped)
    start = len(stops) if start_latlon is not None else (0 if loop else None)
    order = order_stops(distances.cost, start=start, loop=loop)
    walk_order = [*order, order[0]] if loop else order
    walk_m = path_length_m(distances.metres, walk_order)
    legs = [leg_line(graph, distances, a, b) for a, b in itertools.pairwise(walk_order)]
    line = np.vstack(legs) if legs else np.empty((0, 2))
    line_lon, line_lat = graph.to_lonlat(line[:, 0], line[:, 1])
    stop_order = [i for i in order if i < len(stops)]
    geometry: dict[str, Any] = (
        shapely.geometry.mapping(shapely.linestrings(np.column_stack([line_lon, line_lat])))
        if len(line) >= 2
        else {"type": "LineString", "coordinates": []}
    )
    return {
        "order": [stops["id"].iloc[i] for i in stop_order],
        "walk_m": round(walk_m, 1),
        "minutes": round(
            model.minutes(walk_m, doors=int(stops["doors"].sum()), stops=len(stops)), 1
        ),
        "barrier_crossings": int(
            sum(bool(distances.crosses[a, b]) for a, b in itertools.pairwise(walk_order))
        ),
        "geometry": {
            "type": geometry["type"],
            "coordinates": [[round(c, 7) for c in xy] for xy in geometry["coordinates"]],
        },
    }
