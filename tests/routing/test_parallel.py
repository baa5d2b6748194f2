"""Cutting and routing in several processes give the very same plan as in one."""

from __future__ import annotations

import gc
from pathlib import Path

import numpy as np
import pytest
import shapely
from shapely.ops import substring

from geo.effort import TurfSize, WalkModel
from geo.osm import read_address_points
from routing._fork import can_fork, fork_map
from routing.cutting import cut_turfs
from routing.distances import along_line
from routing.snap import snap_points
from routing.streets import StreetGraph
from routing.turfs import route_turfs

MODEL = WalkModel()


@pytest.mark.skipif(not can_fork(), reason="worker processes are forked (Linux)")
def test_turfs_and_walks_are_the_same_in_two_processes_as_in_one(
    helsinki_graph: StreetGraph, helsinki_pbf: Path
) -> None:
    points = read_address_points(helsinki_pbf)
    points = points.loc[points["street"] != ""].drop_duplicates(["street", "house_number"])
    points = points.head(240)
    x, y = helsinki_graph.to_metric(points.geometry.x.to_numpy(), points.geometry.y.to_numpy())
    snapped = snap_points(helsinki_graph, x, y)
    doors = np.random.default_rng(3).integers(1, 6, size=len(x))
    # Three precincts: three groups of stops, cut independently.
    precincts = np.digitize(x, np.quantile(x, [1 / 3, 2 / 3])).astype(str)
    plans = []
    for workers in (1, 2):
        told: list[int] = []
        turfs, walks = cut_turfs(
            helsinki_graph, snapped, x, y, doors, precincts,
            size=TurfSize(minutes=45), model=MODEL, workers=workers, on_cut=told.append,
        )  # fmt: skip
        # Progress: each group's stops once it is cut, the biggest group first.
        assert sorted(told, reverse=True) == told
        assert sorted(told) == sorted(np.unique(precincts, return_counts=True)[1].tolist())
        jobs = [(t.group, t.members, False) for t in turfs]
        routes = list(route_turfs(helsinki_graph, walks, jobs, doors, model=MODEL, workers=workers))
        plans.append((turfs, routes))
    (turfs_1, routes_1), (turfs_2, routes_2) = plans
    assert len({t.precinct for t in turfs_1}) == 3
    assert [t.members.tolist() for t in turfs_1] == [t.members.tolist() for t in turfs_2]
    assert [r.stops for r in routes_1] == [r.stops for r in routes_2]
    assert [r.walk_m for r in routes_1] == [r.walk_m for r in routes_2]
    for one, two in zip(routes_1, routes_2, strict=True):
        np.testing.assert_array_equal(one.line_xy, two.line_xy)


@pytest.mark.parametrize(
    ("start_m", "end_m"), [(3.0, 17.5), (17.5, 3.0), (0.0, 25.0), (25.0, 0.0), (12.0, 12.0)]
)
def test_a_walk_is_cut_from_its_street_as_shapely_cuts_it(start_m: float, end_m: float) -> None:
    vertices = np.array([[0.0, 0.0], [10.0, 0.0], [10.0, 10.0], [15.0, 10.0]])
    expected = np.asarray(substring(shapely.LineString(vertices), start_m, end_m).coords)
    np.testing.assert_allclose(along_line(vertices, start_m, end_m), expected.reshape(-1, 2))


@pytest.mark.skipif(not can_fork(), reason="worker processes are forked (Linux)")
def test_workers_leave_what_they_inherit_out_of_their_collections(thawed: None) -> None:
    # Their collections would otherwise touch (and so copy) every page of the shared inputs.
    inherited = list(fork_map(_frozen_in_worker, None, [1, 2, 3, 4], workers=2))
    assert all(count > 10_000 for count in inherited)  # the libraries' objects, at least
    assert gc.get_freeze_count() == 0  # nothing here stays frozen


def _frozen_in_worker(shared: None, key: int) -> int:
    return gc.get_freeze_count()


@pytest.mark.skipif(not can_fork(), reason="worker processes are forked (Linux)")
def test_a_heap_frozen_for_good_stays_frozen(thawed: None) -> None:
    # As the web server freezes what it starts with: a plan it writes does not thaw that.
    gc.freeze()
    frozen = gc.get_freeze_count()
    list(fork_map(_frozen_in_worker, None, [1, 2, 3], workers=2))
    assert gc.get_freeze_count() > 0.99 * frozen  # (a few frozen objects may die meanwhile)
