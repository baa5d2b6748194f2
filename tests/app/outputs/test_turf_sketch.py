"""The map on page 1 of a walk list: every stop and the walk inside the turf's outline, on paper."""

from __future__ import annotations

import shapely

from app.outputs.tables import turf_outlines
from app.outputs.turf_sketch import MetricStops, sketch_of
from tests.app.conftest import BuiltPlan


def test_every_stop_and_the_walk_lie_inside_the_sketched_outline(demo_plan: BuiltPlan) -> None:
    plan = demo_plan.plan
    stops = MetricStops(plan)
    for turf in plan.turfs:
        sketch = sketch_of(turf, stops)
        assert [n for n, _, _ in sketch.stops] == list(range(1, len(turf.route.stops) + 1))
        rings = [shapely.Polygon(ring) for ring in sketch.outline]
        # Holes are rings too: a point inside the outline is inside an odd number of them.
        for _, x, y in sketch.stops:
            inside = sum(ring.contains(shapely.Point(x, y)) for ring in rings)
            assert inside % 2 == 1, f"stop at {x}, {y} of {turf.turf_id} outside its outline"
            assert 0 <= x <= sketch.width_mm and 0 <= y <= sketch.height_mm
        # The walk is simplified for the outline, so only its points are checked, 1 mm loose.
        area = shapely.union_all([shapely.Polygon(r) for r in sketch.outline]).buffer(1.0)
        assert all(area.contains(shapely.Point(x, y)) for x, y in sketch.route)


def test_the_sketch_of_the_turf_tables_outline_is_the_sketch_drawn_alone(
    demo_plan: BuiltPlan,
) -> None:
    # Writing a plan hands the sketches the turf table's outlines; a reprint draws its own.
    plan = demo_plan.plan
    stops = MetricStops(plan)
    for turf, outline in zip(plan.turfs, turf_outlines(plan), strict=True):
        assert sketch_of(turf, stops, outline=outline) == sketch_of(turf, stops)


def test_an_outline_too_small_to_simplify_is_drawn_as_it_is(demo_plan: BuiltPlan) -> None:
    plan = demo_plan.plan
    turf = plan.turfs[0]
    stops = MetricStops(plan)
    first = turf.route.stops[0]
    x, y = float(stops.x[first]), float(stops.y[first])
    # Narrower than the 2 m the outline is simplified by: simplifying leaves nothing.
    tiny = shapely.box(x - 0.5, y - 0.5, x + 0.5, y + 0.5)
    sketch = sketch_of(turf, stops, outline=tiny)
    assert len(sketch.outline) == 1 and len(sketch.outline[0]) == 5
    assert all(0 <= px <= sketch.width_mm and 0 <= py <= sketch.height_mm
               for px, py in sketch.outline[0])  # fmt: skip
