"""The turf table: each outline wraps its turf's stops and route, whichever thread drew it."""

from __future__ import annotations

import numpy as np
import shapely

from app.outputs.tables import TURF_OUTLINE_BUFFER_M, turf_table
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
        # The same shape, up to the round trip through longitude and latitude.
        assert shapely.symmetric_difference(outline, expected).area < 1e-6 * expected.area
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
