"""Snapping, door-to-door distances, walk order and route geometry on real Helsinki streets."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
import shapely

from geo.osm import read_address_points
from geo.sample import demo_osm_path
from routing.distances import leg_line, stop_distances
from routing.order import nearest_neighbour_order, order_stops, path_length_m
from routing.snap import Snapped, snap_points
from routing.streets import StreetGraph, load_walk_graph
from tests.routing.osm_xml import grid_osm


@pytest.fixture(scope="module")
def addresses(helsinki_graph: StreetGraph) -> tuple[np.ndarray, np.ndarray]:
    points = read_address_points(demo_osm_path())
    points = points.loc[points["street"] != ""].drop_duplicates(["street", "house_number"])
    x, y = helsinki_graph.to_metric(points.geometry.x.to_numpy(), points.geometry.y.to_numpy())
    return x, y


def _nearest(x: np.ndarray, y: np.ndarray, k: int, seed: int) -> np.ndarray:
    centre = np.random.default_rng(seed).integers(len(x))
    return np.argsort(np.hypot(x - x[centre], y - y[centre]), kind="stable")[:k]


def test_every_address_snaps_to_a_nearby_street(
    helsinki_graph: StreetGraph, addresses: tuple[np.ndarray, np.ndarray]
) -> None:
    x, y = addresses
    snapped = snap_points(helsinki_graph, x, y)
    assert not snapped.too_far.any()
    assert np.median(snapped.offset_m) < 30
    assert helsinki_graph.edges["snappable"].to_numpy()[snapped.edge].all()
    lengths = helsinki_graph.edges["length_m"].to_numpy()[snapped.edge]
    assert ((snapped.position_m >= 0) & (snapped.position_m <= lengths + 1e-6)).all()


def _beside(line: shapely.LineString, offset_m: float) -> tuple[tuple[float, float], ...]:
    """Points ``offset_m`` left and right of the middle of ``line``."""
    middle = line.interpolate(0.5, normalized=True)
    ahead = line.interpolate(min(line.project(middle) + 1, line.length))
    dx, dy = ahead.x - middle.x, ahead.y - middle.y
    norm = np.hypot(dx, dy)
    return (
        (middle.x - dy / norm * offset_m, middle.y + dx / norm * offset_m),
        (middle.x + dy / norm * offset_m, middle.y - dx / norm * offset_m),
    )


def test_far_points_are_reported_and_sides_are_opposite(tmp_path: Path) -> None:
    # Helsinki maps sidewalks beside most streets; a plain grid isolates the street itself.
    osm = tmp_path / "grid.osm"
    osm.write_text(grid_osm(), encoding="utf-8")
    graph = load_walk_graph(osm)
    checked = 0
    for index, edge in graph.edges.iterrows():
        left, right = _beside(edge.geometry, 4.0)
        far = (left[0] + 5000, left[1] + 5000)
        xs, ys = zip(left, right, far, strict=True)
        snapped = snap_points(graph, np.array(xs), np.array(ys), max_distance_m=100)
        assert list(snapped.too_far) == [False, False, True]
        assert list(snapped.edge[:2]) == [index, index]
        assert list(snapped.side[:2]) == [1, -1]
        assert snapped.offset_m[:2] == pytest.approx([4, 4], abs=0.01)
        checked += 1
    assert checked == 12


def test_distances_are_symmetric_and_never_shorter_than_a_straight_line(
    helsinki_graph: StreetGraph, addresses: tuple[np.ndarray, np.ndarray]
) -> None:
    x, y = addresses
    chosen = _nearest(x, y, 40, seed=3)
    snapped = snap_points(helsinki_graph, x[chosen], y[chosen])
    metres = stop_distances(helsinki_graph, snapped).metres
    assert np.allclose(metres, metres.T)
    assert np.all(np.diag(metres) == 0)
    foot = shapely.get_coordinates(
        shapely.line_interpolate_point(
            helsinki_graph.edges.geometry.to_numpy()[snapped.edge], snapped.position_m
        )
    )
    straight = np.hypot(*(foot[:, None, :] - foot[None, :, :]).transpose(2, 0, 1))
    assert np.all(metres >= straight - 1e-6)
    # Triangle inequality holds on a shortest-path metric.
    for i, j, k in itertools.islice(itertools.permutations(range(40), 3), 2000):
        assert metres[i, k] <= metres[i, j] + metres[j, k] + 1e-6


def test_two_doors_on_one_street_piece_walk_straight_along_it(
    helsinki_graph: StreetGraph,
) -> None:
    edges = helsinki_graph.edges
    long_edge = int(edges.loc[edges["snappable"], "length_m"].idxmax())
    length = float(edges.at[long_edge, "length_m"])
    snapped = Snapped(
        edge=np.array([long_edge, long_edge]),
        position_m=np.array([0.25 * length, 0.75 * length]),
        offset_m=np.zeros(2),
        side=np.zeros(2, dtype=int),
        too_far=np.zeros(2, dtype=bool),
        on_island=np.zeros(2, dtype=bool),
    )
    distances = stop_distances(helsinki_graph, snapped)
    assert distances.metres[0, 1] == pytest.approx(0.5 * length)
    line = leg_line(helsinki_graph, distances, 0, 1)
    assert shapely.length(shapely.linestrings(line)) == pytest.approx(0.5 * length)


@pytest.mark.parametrize("size", [12, 60])
def test_walk_order_visits_each_stop_once_and_beats_greedy(
    helsinki_graph: StreetGraph, addresses: tuple[np.ndarray, np.ndarray], size: int
) -> None:
    x, y = addresses
    chosen = _nearest(x, y, size, seed=size)
    distances = stop_distances(helsinki_graph, snap_points(helsinki_graph, x[chosen], y[chosen]))
    metres = distances.metres
    order = order_stops(metres)
    assert sorted(order) == list(range(size))
    ours = path_length_m(metres, order)
    greedy = min(
        path_length_m(metres, nearest_neighbour_order(metres, start=s)) for s in range(size)
    )
    assert ours <= greedy + 1e-6
    # Same input, same walk list.
    assert order_stops(metres) == order
    # A fixed start is honoured, and a loop returns to it.
    assert order_stops(metres, start=5)[0] == 5
    loop = order_stops(metres, start=7, loop=True)
    assert loop[0] == 7 and sorted(loop) == list(range(size))


def test_route_geometry_is_continuous_and_on_the_streets(
    helsinki_graph: StreetGraph, addresses: tuple[np.ndarray, np.ndarray]
) -> None:
    x, y = addresses
    chosen = _nearest(x, y, 25, seed=11)
    distances = stop_distances(helsinki_graph, snap_points(helsinki_graph, x[chosen], y[chosen]))
    order = order_stops(distances.metres)
    network = shapely.union_all(helsinki_graph.edges.geometry.to_numpy())
    previous_end = None
    for a, b in itertools.pairwise(order):
        line = leg_line(helsinki_graph, distances, a, b)
        length = shapely.length(shapely.linestrings(line)) if len(line) > 1 else 0.0
        assert length == pytest.approx(distances.metres[a, b], abs=0.05)
        if previous_end is not None:
            assert np.allclose(line[0], previous_end)
        previous_end = line[-1]
        assert max(network.distance(shapely.Point(p)) for p in line) < 0.01


def test_small_and_degenerate_orders() -> None:
    assert order_stops(np.zeros((1, 1))) == [0]
    assert order_stops(np.array([[0.0, 5.0], [5.0, 0.0]]), start=1) == [1, 0]
    line = np.array([[0.0, 1, 2, 3], [1, 0, 1, 2], [2, 1, 0, 1], [3, 2, 1, 0]]) * 100
    assert order_stops(line) in ([0, 1, 2, 3], [3, 2, 1, 0])
    assert order_stops(line, start=0) == [0, 1, 2, 3]
    unreachable = np.array([[0.0, np.inf, 1], [np.inf, 0, 1], [1, 1, 0]])
    with pytest.raises(ValueError, match="cannot reach"):
        order_stops(unreachable)


def test_tiny_orders_keep_every_stop_and_honour_the_start() -> None:
    for n in (1, 2, 3, 4, 5):
        metres = np.abs(np.subtract.outer(np.arange(n), np.arange(n))).astype(float) * 10
        assert sorted(order_stops(metres)) == list(range(n))
        assert order_stops(metres, start=n - 1)[0] == n - 1
        loop = order_stops(metres, start=n // 2, loop=True)
        assert loop[0] == n // 2 and sorted(loop) == list(range(n))


def _circle(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Distances between ``n`` points on a circle, shuffled; the best loop goes round it."""
    angle = np.random.default_rng(n).permutation(n) * 2 * np.pi / n
    xy = np.column_stack([np.cos(angle), np.sin(angle)]) * 500
    return np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1)), angle


def test_local_search_finds_the_round_trip_from_a_scrambled_guess() -> None:
    from routing.local_search import improve_tour

    metres, angle = _circle(150)
    tour = improve_tour(list(range(150)), metres, kicks=3_000)
    assert sorted(tour) == list(range(150))
    walked = np.argsort(angle)
    best = path_length_m(metres, walked.tolist(), loop=True)
    assert path_length_m(metres, tour, loop=True) == pytest.approx(best, rel=1e-9)


def test_a_locked_edge_stays_in_the_tour() -> None:
    from routing.local_search import improve_tour

    metres, angle = _circle(40)
    far = int(np.argmin(np.abs(angle - np.pi)))
    near = int(np.argmin(angle))  # the two stops are on opposite sides of the circle
    guess = [near, far, *(c for c in range(40) if c not in (near, far))]
    tour = improve_tour(guess, metres, kicks=2_000, locked_edge=(near, far))
    at = tour.index(near)
    assert far in (tour[at - 1], tour[(at + 1) % 40])
    assert sorted(tour) == list(range(40))
    # Round the circle but for the locked chord: longer than the free optimum, shortest with it.
    free = improve_tour(list(range(40)), metres, kicks=2_000)
    assert path_length_m(metres, tour, loop=True) > path_length_m(metres, free, loop=True) + 500
    with pytest.raises(ValueError, match="not an edge"):
        improve_tour(list(range(40)), metres, kicks=10, locked_edge=(near, far))


def test_order_is_the_same_on_every_run_for_a_large_turf(
    helsinki_graph: StreetGraph, addresses: tuple[np.ndarray, np.ndarray]
) -> None:
    # 150 stops: beyond the size at which the earlier wall-clock-budgeted solver drifted.
    x, y = addresses
    chosen = _nearest(x, y, 150, seed=3)
    cost = stop_distances(helsinki_graph, snap_points(helsinki_graph, x[chosen], y[chosen])).cost
    first = order_stops(cost)
    assert all(order_stops(cost) == first for _ in range(3))
    # Also when the search stops short of the best walk (few kicks): it counts, not times.
    short = order_stops(cost, kicks=100)
    assert all(order_stops(cost, kicks=100) == short for _ in range(3))
    # From the free walk's last stop, the best walk is (about) the free walk backwards.
    backwards = order_stops(cost, start=first[-1])
    assert backwards[0] == first[-1]
    assert path_length_m(cost, backwards) <= path_length_m(cost, first) * 1.005
