"""The turf table: each outline wraps its turf's stops and route, whichever thread drew it.
The GPX file is the document ElementTree writes, whatever the addresses hold."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from app.outputs.tables import (
    GPX_NS,
    TURF_OUTLINE_BUFFER_M,
    OutlineDrawing,
    outlines_of,
    route_lines,
    stops_metric,
    turf_outline,
    turf_table,
    write_gpx,
)
from app.planning.pipeline import Plan
from tests.app.conftest import BuiltPlan


def test_outlines_are_the_buffered_stops_and_route_of_each_turf(demo_plan: BuiltPlan) -> None:
    plan = demo_plan.plan
    table = turf_table(plan)
    assert list(table["turf"]) == [turf.turf_id for turf in plan.turfs]
    metric = table.to_crs(plan.graph.crs)
    stop_x, stop_y = plan.graph.to_metric(
        plan.stops.geometry.x.to_numpy(), plan.stops.geometry.y.to_numpy()
    )
    for rank, turf in enumerate(plan.turfs):
        stops = shapely.points(stop_x[turf.route.stops], stop_y[turf.route.stops])
        route = shapely.linestrings(turf.route.line_xy)
        expected = shapely.buffer(
            shapely.union_all(np.concatenate([stops, [route]])), TURF_OUTLINE_BUFFER_M
        )
        outline = metric.geometry.iloc[rank]
        # The same shape, up to the round trip through longitude and latitude and the round
        # ends of stops and walk drawn apart (buffered apart, then joined).
        assert shapely.hausdorff_distance(outline, expected) < 0.3
        assert shapely.symmetric_difference(outline, expected).area < 1e-4 * expected.area
        assert shapely.contains(outline.buffer(0.01), stops).all()
        compactness = outline.area / outline.convex_hull.area
        assert abs(table["compactness"].iloc[rank] - compactness) < 2e-3
        if turf.route.drop_off_xy is None:
            assert np.isnan(table["drop_off_lat"].iloc[rank])
            continue
        start_lon, start_lat = plan.graph.to_lonlat(
            turf.route.drop_off_xy[:1], turf.route.drop_off_xy[1:2]
        )
        assert table["drop_off_lat"].iloc[rank] == round(float(start_lat[0]), 7)
        assert table["drop_off_lon"].iloc[rank] == round(float(start_lon[0]), 7)


def test_a_turf_of_one_stop_is_its_circle_among_others_drawn_at_once(
    demo_plan: BuiltPlan,
) -> None:
    plan = demo_plan.plan
    x, y = stops_metric(plan)
    first, second = plan.turfs[0], plan.turfs[1]
    door = first.route.stops[0]
    # A walk of one point: no line to buffer, only the stop's circle.
    lone = replace(
        first, route=replace(first.route, stops=[door], line_xy=np.array([[x[door], y[door]]]))
    )
    outlines = outlines_of([second, lone, first], x, y)
    circle = shapely.buffer(shapely.Point(x[door], y[door]), TURF_OUTLINE_BUFFER_M)
    assert shapely.equals_exact(outlines[1], circle, 1e-6)
    # Each turf's outline is its own, wherever it sits among the turfs drawn together.
    assert shapely.equals_exact(outlines[0], turf_outline(second, x, y), 0)
    assert shapely.equals_exact(outlines[2], turf_outline(first, x, y), 0)
    assert not shapely.equals(outlines[0], outlines[2])


def test_outlines_drawn_by_threads_and_the_caller_are_in_the_turfs_order(
    demo_plan: BuiltPlan,
) -> None:
    plan = demo_plan.plan
    x, y = stops_metric(plan)
    with OutlineDrawing(plan, (x, y)) as drawing:
        # The caller's own work meanwhile (the writer's walk-list rows).
        time.sleep(0.01)
        outlines = drawing.result()
    assert len(outlines) == len(plan.turfs)
    for turf, outline in zip(plan.turfs, outlines, strict=True):
        assert shapely.equals_exact(outline, turf_outline(turf, x, y), 0), turf.turf_id


def _gpx_with_element_tree(plan: Plan, routes: gpd.GeoDataFrame, path: Path) -> None:
    """How the GPX file was written before it was written as text."""
    ET.register_namespace("", GPX_NS)
    root = ET.Element(f"{{{GPX_NS}}}gpx", version="1.1", creator="Canvass Planner")
    lat, lon = plan.stops.geometry.y.to_numpy(), plan.stops.geometry.x.to_numpy()
    addresses = plan.stops["address"].astype(str).to_numpy()
    doors = plan.stops["doors"].to_numpy()
    for turf in plan.turfs:
        for seq, i in enumerate(turf.route.stops, start=1):
            wpt = ET.SubElement(root, f"{{{GPX_NS}}}wpt", lat=f"{lat[i]:.7f}", lon=f"{lon[i]:.7f}")
            ET.SubElement(wpt, f"{{{GPX_NS}}}name").text = f"{turf.turf_id} #{seq}"
            ET.SubElement(wpt, f"{{{GPX_NS}}}desc").text = f"{addresses[i]} ({doors[i]} doors)"
    for row in routes.itertuples():
        trk = ET.SubElement(root, f"{{{GPX_NS}}}trk")
        ET.SubElement(trk, f"{{{GPX_NS}}}name").text = str(row.turf)
        segment = ET.SubElement(trk, f"{{{GPX_NS}}}trkseg")
        for x, y in shapely.get_coordinates(row.geometry):
            ET.SubElement(segment, f"{{{GPX_NS}}}trkpt", lat=f"{y:.7f}", lon=f"{x:.7f}")
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


def test_gpx_is_the_document_element_tree_writes(demo_plan: BuiltPlan, tmp_path: Path) -> None:
    stops = demo_plan.plan.stops.copy()
    first = demo_plan.plan.turfs[0].route.stops[0]
    stops.loc[stops.index[first], "address"] = "Kauppa & Co <b>\"1\"</b> 'ä' ]]>"
    plan = replace(demo_plan.plan, stops=stops)
    routes = route_lines(plan)
    write_gpx(plan, routes, tmp_path / "ours.gpx")
    _gpx_with_element_tree(plan, routes, tmp_path / "tree.gpx")
    ours = (tmp_path / "ours.gpx").read_bytes()
    assert ours == (tmp_path / "tree.gpx").read_bytes()
    assert "Kauppa &amp; Co &lt;b&gt;" in ours.decode("utf-8")
    assert len(ET.fromstring(ours).findall(f"{{{GPX_NS}}}trk")) == len(plan.turfs)
