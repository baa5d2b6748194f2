"""Writing a plan to disk: summary, rejected rows, turfs, routes, walk lists and maps.

Everything is written into a fresh folder beside the destination and swapped into place at
the end, so a failed run never leaves a half-written plan behind.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from app.assets import copy_assets
from app.heatmaps import segments_summary, write_heatmap
from app.maps import write_maps
from app.pipeline import Plan
from app.walklist_pdf import write_walklist_pdf
from app.walklists import walklist_rows, write_walklist_html

GPX_NS = "http://www.topografix.com/GPX/1/1"
# How far around its route and stops a turf's outline reaches.
TURF_OUTLINE_BUFFER_M = 30.0


def turf_table(plan: Plan) -> gpd.GeoDataFrame:
    """One row per turf with its counts, walk and an outline polygon (EPSG:4326)."""
    records: list[dict[str, Any]] = []
    outlines = []
    for turf in plan.turfs:
        members = plan.stops.loc[turf.route.stops]
        target = plan.voters.loc[plan.voters["target"] & (plan.voters["turf"] == turf.turf_id)]
        sx, sy = plan.graph.to_metric(members.geometry.x.to_numpy(), members.geometry.y.to_numpy())
        shapes = [shapely.points(sx, sy)]
        if len(turf.route.line_xy) >= 2:
            shapes.append(np.array([shapely.linestrings(turf.route.line_xy)]))
        outline = shapely.buffer(shapely.union_all(np.concatenate(shapes)), TURF_OUTLINE_BUFFER_M)
        outlines.append(outline)
        hull_area = shapely.area(shapely.convex_hull(outline))
        drop_off = turf.route.drop_off_xy
        drop_lon, drop_lat = (
            plan.graph.to_lonlat(drop_off[:1], drop_off[1:2])
            if drop_off is not None
            else (np.array([np.nan]), np.array([np.nan]))
        )
        records.append(
            {
                "turf": turf.turf_id,
                "precinct": turf.precinct,
                "stops": len(turf.route.stops),
                "doors": int(members["doors"].sum()),
                "voters": len(target),
                "walk_m": round(turf.route.walk_m, 1),
                "minutes": round(turf.route.minutes, 1),
                "barrier_crossings": turf.route.barrier_crossings,
                "crosses_barrier_street": turf.crosses_barrier,
                "size_note": turf.size_note,
                "shared_block_faces": turf.shared_block_faces,
                "drop_off_lat": round(float(drop_lat[0]), 7),
                "drop_off_lon": round(float(drop_lon[0]), 7),
                # Share of its hull the outline fills: near 1 for a compact turf.
                "compactness": round(float(shapely.area(outline) / hull_area), 3)
                if hull_area
                else 1.0,
            }
        )
    frame = gpd.GeoDataFrame(records, geometry=outlines, crs=plan.graph.crs)
    return frame.to_crs(4326)


def stop_table(plan: Plan) -> pd.DataFrame:
    """One row per target stop: its turf, place in the walk, doors and where it is."""
    stops = plan.stops
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
    """One track per turf and a waypoint per stop, numbered in walking order."""
    ET.register_namespace("", GPX_NS)
    root = ET.Element(f"{{{GPX_NS}}}gpx", version="1.1", creator="Canvass Planner")
    for turf in plan.turfs:
        members = plan.stops.loc[turf.route.stops]
        for seq, stop in enumerate(members.itertuples(), start=1):
            wpt = ET.SubElement(
                root, f"{{{GPX_NS}}}wpt", lat=f"{stop.geometry.y:.7f}", lon=f"{stop.geometry.x:.7f}"
            )
            ET.SubElement(wpt, f"{{{GPX_NS}}}name").text = f"{turf.turf_id} #{seq}"
            ET.SubElement(wpt, f"{{{GPX_NS}}}desc").text = f"{stop.address} ({stop.doors} doors)"
    for row in routes.itertuples():
        trk = ET.SubElement(root, f"{{{GPX_NS}}}trk")
        ET.SubElement(trk, f"{{{GPX_NS}}}name").text = str(row.turf)
        segment = ET.SubElement(trk, f"{{{GPX_NS}}}trkseg")
        for lon, lat in shapely.get_coordinates(row.geometry):
            ET.SubElement(segment, f"{{{GPX_NS}}}trkpt", lat=f"{lat:.7f}", lon=f"{lon:.7f}")
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


def _absolute(path: Path | None) -> str | None:
    """``path`` made absolute (``place:NAME`` street sources stay as they are)."""
    if path is None:
        return None
    if str(path).startswith("place:"):
        return str(path)
    return str(Path(path).resolve())


def summary(plan: Plan, turfs: gpd.GeoDataFrame) -> dict[str, Any]:
    """The ``summary.json`` document: counts at every stage, per-turf figures, timings."""
    document: dict[str, Any] = dict(plan.counts)
    request = plan.request
    # Enough to make the plan again (``app.pipeline.request_from_plan``): absolute paths and
    # every option; the turf size, walk model and target are below.
    document["inputs"] = {
        "voters": _absolute(request.voters),
        "precincts": _absolute(request.precincts),
        "streets": _absolute(request.streets),
        "columns_file": _absolute(request.columns_file),
        "precinct_id_column": request.precinct_id_column,
        "start_latlon": None if request.start_latlon is None else list(request.start_latlon),
        "max_snap_m": request.max_snap_m,
    }
    size = plan.request.size
    document["turf_size"] = (
        {"minutes": size.minutes} if size.minutes is not None else {"doors": size.doors}
    )
    document["walk_model"] = {
        "speed_mps": plan.request.model.speed_mps,
        "minutes_per_door": plan.request.model.minutes_per_door,
        "minutes_per_stop": plan.request.model.minutes_per_stop,
    }
    document["turfs"] = [
        {k: (v.item() if isinstance(v, np.generic) else v) for k, v in row.items()}
        for row in pd.DataFrame(turfs.drop(columns="geometry")).to_dict(orient="records")
    ]
    document["segments"] = segments_summary(plan)
    document["timings_s"] = plan.timings_s
    return document


def write_plan(plan: Plan, out: str | Path) -> dict[str, Any]:
    """Write every output of ``plan`` into ``out`` (replacing a previous plan there)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        document = _write_all(plan, staging, name=out.name)
        if out.exists():
            previous = out.with_name(f".{out.name}.previous")
            shutil.rmtree(previous, ignore_errors=True)
            out.rename(previous)
            staging.rename(out)
            shutil.rmtree(previous, ignore_errors=True)
        else:
            staging.rename(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return document


def _write_all(plan: Plan, folder: Path, *, name: str) -> dict[str, Any]:
    turfs = turf_table(plan)
    routes = route_lines(plan)
    rejected = plan.rejected.sort_values("row", kind="stable")
    rejected.to_csv(folder / "rejected.csv", index=False)
    stop_table(plan).to_csv(folder / "stops.csv", index=False)
    turfs.to_file(folder / "turfs.geojson", driver="GeoJSON")
    if plan.precincts is not None and len(plan.precincts):
        # For the manager dashboard's precinct layers (ids and outlines only).
        outlines = plan.precincts[["precinct", "geometry"]]
        outlines.to_file(folder / "precincts.geojson", driver="GeoJSON")
    routes.to_file(folder / "routes.geojson", driver="GeoJSON")
    write_gpx(plan, routes, folder / "routes.gpx")
    copy_assets(folder / "assets")
    (folder / "walklists").mkdir()
    for turf in plan.turfs:
        rows = walklist_rows(plan, turf)
        rows.to_csv(folder / "walklists" / f"{turf.turf_id}.csv", index=False)
        write_walklist_html(
            plan, turf, rows, folder / "walklists" / f"{turf.turf_id}.html", plan_name=name
        )
        write_walklist_pdf(
            plan, turf, rows, folder / "walklists" / f"{turf.turf_id}.pdf", plan_name=name
        )
    write_maps(plan, turfs, routes, folder / "maps")
    write_heatmap(plan, turfs, folder / "maps" / "heat.html")
    document = summary(plan, turfs)
    (folder / "summary.json").write_text(
        json.dumps(document, indent=2, ensure_ascii=False), encoding="utf-8"
    )
    return document
