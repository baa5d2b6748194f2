"""The tables of a plan: turfs with outlines, stops, route lines and their GPX."""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from app.planning.pipeline import Plan, Turf

GPX_NS = "http://www.topografix.com/GPX/1/1"
# How far around its route and stops a turf's outline reaches.
TURF_OUTLINE_BUFFER_M = 30.0


def turf_table(plan: Plan, outlines: np.ndarray | None = None) -> gpd.GeoDataFrame:
    """One row per turf with its counts, walk and an outline polygon (EPSG:4326).

    ``outlines`` is ``turf_outlines(plan)`` if the caller has it already.
    """
    records: list[dict[str, Any]] = []
    voters_per_turf = (
        plan.voters.loc[plan.voters["target"].to_numpy(dtype=bool)].groupby("turf")["turf"].size()
    )
    doors = plan.stops["doors"].to_numpy()
    outlines = turf_outlines(plan) if outlines is None else outlines
    hull_areas = shapely.area(shapely.convex_hull(outlines))
    areas = shapely.area(outlines)
    drop_lon, drop_lat = _drop_offs_lonlat(plan)
    for rank, turf in enumerate(plan.turfs):
        positions = np.asarray(turf.route.stops, dtype=np.intp)
        records.append(
            {
                "turf": turf.turf_id,
                "precinct": turf.precinct,
                "stops": len(turf.route.stops),
                "doors": int(doors[positions].sum()),
                "voters": int(voters_per_turf.get(turf.turf_id, 0)),
                "walk_m": round(turf.route.walk_m, 1),
                "minutes": round(turf.route.minutes, 1),
                "barrier_crossings": turf.route.barrier_crossings,
                "crosses_barrier_street": turf.crosses_barrier,
                "size_note": turf.size_note,
                "shared_block_faces": turf.shared_block_faces,
                "drop_off_lat": round(float(drop_lat[rank]), 7),
                "drop_off_lon": round(float(drop_lon[rank]), 7),
                # Share of its hull the outline fills: near 1 for a compact turf.
                "compactness": round(float(areas[rank] / hull_areas[rank]), 3)
                if hull_areas[rank]
                else 1.0,
            }
        )
    frame = gpd.GeoDataFrame(records, geometry=list(outlines), crs=plan.graph.crs)
    if plan.budget is not None and len(frame):
        # The budget's columns (value, priority, in_budget) travel with the turfs' files.
        budget = plan.budget.turfs.reindex(frame["turf"])
        for column in budget.columns:
            frame[column] = budget[column].to_numpy()
    return frame.to_crs(4326)


def turf_outlines(plan: Plan) -> np.ndarray:
    """Each turf's outline (metric CRS): ``TURF_OUTLINE_BUFFER_M`` around its stops and route.

    In the order of ``plan.turfs`` (``OutlineDrawing``, this thread drawing too).
    """
    with OutlineDrawing(plan, stops_metric(plan)) as drawing:
        return drawing.result()


class OutlineDrawing:
    """The turfs' outlines, drawn by threads while the caller goes on; ``result`` waits for them.

    Buffering and joining is most of the work of the turf table, and GEOS runs without Python's
    lock: threads (one per core but one) draw shares of the turfs meanwhile, and the thread that
    asks for the result draws the shares none has started. The shares take every n-th turf (big
    and small turfs alike) and are small enough that all threads finish together. Used as a
    context manager: on leaving, shares not started are dropped.
    """

    def __init__(self, plan: Plan, stops_xy: tuple[np.ndarray, np.ndarray]) -> None:
        self._turfs = list(plan.turfs)
        self._stops_xy = stops_xy
        cores = min(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1, 8)
        shares = min(len(self._turfs), 4 * cores) if cores > 1 else 1
        self._shares = [self._turfs[k::shares] for k in range(shares)]
        self._pool = (
            ThreadPoolExecutor(max_workers=cores - 1, thread_name_prefix="outline")
            if cores > 1 and shares > 1
            else None
        )
        self._drawn = (
            [self._pool.submit(outlines_of, share, *stops_xy) for share in self._shares]
            if self._pool is not None
            else []
        )

    def result(self) -> np.ndarray:
        """Each turf's outline, in the order of the plan's turfs."""
        outlines = np.empty(len(self._turfs), dtype=object)
        count = len(self._shares)
        started = []
        for k, share in enumerate(self._shares):
            drawn = self._drawn[k] if self._drawn else None
            if drawn is None or drawn.cancel():  # no thread has started it: drawn here
                outlines[k::count] = outlines_of(share, *self._stops_xy)
            else:
                started.append((k, drawn))
        for k, drawn in started:
            outlines[k::count] = drawn.result()
        return outlines

    def __enter__(self) -> OutlineDrawing:
        return self

    def __exit__(self, *error: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)


def stops_metric(plan: Plan) -> tuple[np.ndarray, np.ndarray]:
    """Every stop of ``plan`` in the metric CRS (x, y)."""
    x, y = plan.graph.to_metric(plan.stops.geometry.x.to_numpy(), plan.stops.geometry.y.to_numpy())
    return np.asarray(x, dtype=float), np.asarray(y, dtype=float)


def turf_outline(turf: Turf, stop_x: np.ndarray, stop_y: np.ndarray) -> shapely.Geometry:
    """``turf``'s outline (``outlines_of``)."""
    return outlines_of([turf], stop_x, stop_y)[0]


def outlines_of(turfs: Sequence[Turf], stop_x: np.ndarray, stop_y: np.ndarray) -> np.ndarray:
    """``TURF_OUTLINE_BUFFER_M`` around each turf's stops and its walk (metric CRS).

    ``stop_x``, ``stop_y`` are every stop of the plan in the metric CRS. Each stop's circle and
    each walk are buffered apart, then each turf's are joined in one union: a quarter of the
    work of buffering the stops and the walk together, and the same outline within 0.25 m (the
    round ends are drawn apart). A few GEOS calls for all the turfs, each without Python's
    lock from start to end (so other threads run meanwhile).
    """
    positions = [np.asarray(turf.route.stops, dtype=np.intp) for turf in turfs]
    counts = np.array([len(p) for p in positions], dtype=np.intp)
    stops = np.concatenate(positions) if positions else np.zeros(0, dtype=np.intp)
    circles = shapely.buffer(shapely.points(stop_x[stops], stop_y[stops]), TURF_OUTLINE_BUFFER_M)
    walks = np.array(
        [
            shapely.linestrings(turf.route.line_xy) if len(turf.route.line_xy) >= 2 else None
            for turf in turfs
        ],
        dtype=object,
    )
    # Each turf's circles and buffered walk as one collection (a ragged table), then joined.
    owner = np.concatenate([np.repeat(np.arange(len(turfs)), counts), np.arange(len(turfs))])
    order = np.argsort(owner, kind="stable")
    parts = np.concatenate([circles, shapely.buffer(walks, TURF_OUTLINE_BUFFER_M)])[order]
    each = np.empty(len(turfs), dtype=object)
    shapely.geometrycollections(parts, indices=owner[order], out=each)
    return np.asarray(shapely.union_all(each[:, np.newaxis], axis=1), dtype=object)


def _drop_offs_lonlat(plan: Plan) -> tuple[np.ndarray, np.ndarray]:
    """Each turf's drop-off point as longitude, latitude (NaN for a turf without one)."""
    xy = np.full((len(plan.turfs), 2), np.nan)
    for rank, turf in enumerate(plan.turfs):
        if turf.route.drop_off_xy is not None:
            xy[rank] = turf.route.drop_off_xy[:2]
    lon, lat = np.full(len(xy), np.nan), np.full(len(xy), np.nan)
    known = ~np.isnan(xy).any(axis=1)
    if known.any():
        lon[known], lat[known] = plan.graph.to_lonlat(xy[known, 0], xy[known, 1])
    return lon, lat


def stop_table(plan: Plan) -> pd.DataFrame:
    """One row per target stop: its turf, place in the walk, doors and where it is.

    ``street``, ``house_number`` and ``leg_m`` (the walk from the previous stop) are what a
    walk list printed later from the folder needs (``app.outputs.walklist_reprint``).
    """
    stops = plan.stops
    extra = {c: stops[c] for c in ("street", "house_number", "leg_m") if c in stops}
    return pd.DataFrame(
        {
            "stop_id": stops["stop_id"],
            "turf": stops["turf"],
            "sequence": stops["sequence"],
            "address": stops["address"],
            "precinct": stops["precinct"],
            "doors": stops["doors"],
            "voters": stops["voters"],
            "lat": stops.geometry.y.round(7),
            "lon": stops.geometry.x.round(7),
            **extra,
        }
    ).sort_values(["turf", "sequence"], kind="stable")


def route_lines(plan: Plan) -> gpd.GeoDataFrame:
    """The walk of each turf as a LineString along the streets (EPSG:4326)."""
    lines = [
        shapely.linestrings(t.route.line_xy)
        if len(t.route.line_xy) >= 2
        else shapely.points(t.route.line_xy[0])
        for t in plan.turfs
    ]
    frame = gpd.GeoDataFrame(
        {
            "turf": [t.turf_id for t in plan.turfs],
            "walk_m": [round(t.route.walk_m, 1) for t in plan.turfs],
            "minutes": [round(t.route.minutes, 1) for t in plan.turfs],
            "stops": [len(t.route.stops) for t in plan.turfs],
        },
        geometry=lines,
        crs=plan.graph.crs,
    )
    return frame.to_crs(4326)


def write_gpx(plan: Plan, routes: gpd.GeoDataFrame, path: Path) -> None:
    """One track per turf and a waypoint per stop, numbered in walking order.

    Written as text, as ``xml.etree.ElementTree`` writes the same document (the tests compare
    the two): building a tree of a county's ~100,000 elements first costs several times more.
    """
    lat = plan.stops.geometry.y.to_numpy()
    lon = plan.stops.geometry.x.to_numpy()
    addresses = plan.stops["address"].astype(str).to_numpy()
    doors = plan.stops["doors"].to_numpy()
    parts = [
        "<?xml version='1.0' encoding='utf-8'?>\n"
        f'<gpx xmlns="{GPX_NS}" version="1.1" creator="Canvass Planner">'
    ]
    for turf in plan.turfs:
        turf_id = escape(str(turf.turf_id))
        for seq, i in enumerate(turf.route.stops, start=1):
            parts.append(
                f'<wpt lat="{lat[i]:.7f}" lon="{lon[i]:.7f}"><name>{turf_id} #{seq}</name>'
                f"<desc>{escape(f'{addresses[i]} ({doors[i]} doors)')}</desc></wpt>"
            )
    for turf, geometry in zip(routes["turf"], routes.geometry, strict=True):
        points = "".join(
            f'<trkpt lat="{lat:.7f}" lon="{lon:.7f}" />'
            for lon, lat in shapely.get_coordinates(geometry).tolist()
        )
        segment = f"<trkseg>{points}</trkseg>" if points else "<trkseg />"
        parts.append(f"<trk><name>{escape(str(turf))}</name>{segment}</trk>")
    parts.append("</gpx>")
    with path.open("w", encoding="utf-8", newline="") as file:
        file.write("".join(parts))
