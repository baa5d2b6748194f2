"""Barrier streets: doors across an arterial are reached through an intersection."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from routing.distances import CrossingRule, stop_distances
from routing.order import order_stops, path_length_m
from routing.snap import snap_points
from routing.streets import StreetGraph, load_walk_graph
from tests.routing.osm_xml import arterial_osm, metres_to_lonlat

# Three doors on each side of the first block (x = 20, 50, 80 m), 8 m from the centre line.
DOORS = [(x, side * 8.0) for side in (1, -1) for x in (20.0, 50.0, 80.0)]
NORTH = {0, 1, 2}


def _graph(tmp_path: Path, highway: str) -> StreetGraph:
    path = tmp_path / f"{highway}.osm"
    path.write_text(arterial_osm(highway), encoding="utf-8")
    return load_walk_graph(path)


def _walk(graph: StreetGraph, rule: CrossingRule) -> tuple[list[int], float, np.ndarray]:
    lon, lat = zip(*(metres_to_lonlat(x, y) for x, y in DOORS), strict=True)
    x, y = graph.to_metric(np.array(lon), np.array(lat))
    snapped = snap_points(graph, x, y)
    distances = stop_distances(graph, snapped, crossing=rule)
    order = order_stops(distances.cost)
    return order, path_length_m(distances.metres, order), distances.crosses


def _side_changes(order: list[int]) -> int:
    return sum((a in NORTH) != (b in NORTH) for a, b in itertools.pairwise(order))


def test_an_arterial_is_worked_one_side_then_the_other(tmp_path: Path) -> None:
    graph = _graph(tmp_path, "primary")
    order, walk_m, crosses = _walk(graph, CrossingRule())
    # Doors facing each other across the primary road are flagged as a crossing pair...
    assert crosses[0, 3] and not crosses[0, 1]
    # ...so the walk does one side, crosses once at the junction, and comes back.
    assert _side_changes(order) == 1
    # 60 m along one side, 20 m to the junction at x=100 and back, 60 m along the other.
    assert walk_m == pytest.approx(160.0, abs=1.0)


def test_crossing_mid_block_is_never_the_shortcut(tmp_path: Path) -> None:
    graph = _graph(tmp_path, "primary")
    lon, lat = zip(*(metres_to_lonlat(x, y) for x, y in DOORS), strict=True)
    x, y = graph.to_metric(np.array(lon), np.array(lat))
    distances = stop_distances(graph, snap_points(graph, x, y))
    # Straight across from x=50 north to x=50 south is 0 m along the street, but the rule
    # sends the walker to the nearest junction (x=0 or x=100) and back: 2 x 50 m.
    assert distances.metres[1, 4] == pytest.approx(100.0, abs=1.0)
    assert distances.cost[1, 4] == pytest.approx(100.0 + CrossingRule().penalty_m, abs=1.0)


def test_a_quiet_street_is_zig_zagged_in_one_pass(tmp_path: Path) -> None:
    graph = _graph(tmp_path, "residential")
    order, walk_m, crosses = _walk(graph, CrossingRule())
    assert not crosses.any()
    assert _side_changes(order) >= 2  # both sides in one pass
    assert walk_m == pytest.approx(60.0, abs=1.0)


def test_doors_on_side_streets_are_on_a_side_of_the_arterial_too(tmp_path: Path) -> None:
    graph = _graph(tmp_path, "primary")
    # Side street at x=100: two doors north and two south of the junction, one far north;
    # one door on the arterial's north side.
    doors = [(100.0, 25.0), (100.0, 45.0), (100.0, -25.0), (100.0, -45.0), (100.0, 95.0),
             (60.0, 8.0)]  # fmt: skip
    lon, lat = zip(*(metres_to_lonlat(x, y) for x, y in doors), strict=True)
    x, y = graph.to_metric(np.array(lon), np.array(lat))
    crosses = stop_distances(graph, snap_points(graph, x, y)).crosses
    # North to south of the arterial crosses it, even from doors on the side streets...
    assert crosses[0, 2] and crosses[1, 3] and crosses[5, 2]
    # ...doors on one side never do, whichever street they are on...
    assert not crosses[0, 1] and not crosses[0, 5] and not crosses[2, 3]
    # ...and a door far from the arterial (95 m up the side street) is on no side of it.
    assert not crosses[4].any()
    assert np.array_equal(crosses, crosses.T)
