"""Moves between turfs after the cut: shorter walks, same rules, same answer every time."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from geo.effort import TurfSize, WalkModel
from geo.osm import read_address_points
from routing.cutting import CutTurf, cut_turfs, quiet_cells
from routing.exchange import exchange_between_turfs
from routing.snap import snap_points
from routing.streets import StreetGraph
from routing.turfs import GroupWalks, route_turf

MODEL = WalkModel()
# Ten stops 100 m apart along one street: 0, 100, ..., 900.
LINE = np.abs(np.subtract.outer(np.arange(10), np.arange(10))).astype(float) * 100


def _exchange(pieces: list[list[int]], cells: np.ndarray) -> list[list[int]]:
    return exchange_between_turfs(
        pieces,
        LINE,
        LINE,
        np.ones(10),
        cells,
        np.arange(10),
        5,
        by_doors=True,
        model=MODEL,
    )


def test_a_stop_another_turf_walks_past_moves_there() -> None:
    # Turf A walks 0..4 and then out to 9, past all of turf B's stops.
    moved = _exchange([[0, 1, 2, 3, 4, 9], [5, 6, 7, 8]], np.zeros(10, dtype=int))
    assert [sorted(p) for p in moved] == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]
    assert sum(float(LINE[p[:-1], p[1:]].sum()) for p in map(np.asarray, moved)) == 800


def test_no_move_packs_a_turf_over_its_minutes_once_walked_from_its_street_corner() -> None:
    # As above, stop 9 is on turf B's way; by minutes, B with it is 13 % over its target
    # (inside the search's band), but the final routing also walks 200 m from a street
    # corner to the first door, which puts B 33 % over: the move must not be made.
    five = MODEL.minutes(400.0, doors=5, stops=5)
    target = five / 1.13

    def run(corner_m: np.ndarray | None) -> list[list[int]]:
        return exchange_between_turfs(
            [[0, 1, 2, 3, 4, 9], [5, 6, 7, 8]],
            LINE,
            LINE,
            np.ones(10),
            np.zeros(10, dtype=int),
            np.arange(10),
            target,
            by_doors=False,
            model=MODEL,
            corner_m=corner_m,
        )

    assert [sorted(p) for p in run(None)] == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]
    assert [sorted(p) for p in run(np.full(10, 200.0))] == [[0, 1, 2, 3, 4, 9], [5, 6, 7, 8]]


def test_no_move_makes_one_more_turf_span_a_barrier() -> None:
    # Stops 0-4 west of an arterial, 5-8 east of it at 1000-1300 m, and stop 9 at 450 m: just
    # beyond stop 4, but across the arterial, in the east's quiet cell. Moving it to the
    # west turf would save 550 m, and make that turf cross the arterial.
    at = np.array([0, 100, 200, 300, 400, 1000, 1100, 1200, 1300, 450], dtype=float)
    metres = np.abs(np.subtract.outer(at, at))
    doors = np.ones(10)
    doors[9] = 0  # the size band allows the move either way

    def run(cells: np.ndarray) -> list[list[int]]:
        return exchange_between_turfs(
            [[0, 1, 2, 3, 4], [9, 5, 6, 7, 8]],
            metres,
            metres,
            doors,
            cells,
            np.arange(10),
            5,
            by_doors=True,
            model=MODEL,
        )

    east = (np.arange(10) >= 5).astype(int)
    assert [sorted(p) for p in run(east)] == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]
    # With no arterial between them, the stop does move.
    assert [sorted(p) for p in run(np.zeros(10, dtype=int))] == [[0, 1, 2, 3, 4, 9], [5, 6, 7, 8]]


def _walked_m(paths: list[list[int]]) -> float:
    return sum(float(LINE[p[:-1], p[1:]].sum()) for p in map(np.asarray, paths) if len(p) > 1)


def test_two_walks_that_take_turns_along_a_street_are_untangled() -> None:
    # Both turfs zig-zag along the whole street (800 m each); cut in the middle, 400 m each.
    moved = _exchange([[0, 2, 4, 6, 8], [1, 3, 5, 7, 9]], np.zeros(10, dtype=int))
    assert sorted(sorted(p) for p in moved) == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]
    assert _walked_m(moved) == 800


def test_a_block_face_moves_whole_or_not_at_all() -> None:
    # Stops 0 and 9 are one block face (say both ends of a street that loops back). Turf A
    # walks out to 9; giving 9 alone to B would save 500 m and even bring A into the band,
    # but would split the face between two volunteers.
    faces = np.arange(10)
    faces[9] = 0
    moved = exchange_between_turfs(
        [[0, 1, 2, 3, 4, 9], [5, 6, 7, 8]],
        LINE,
        LINE,
        np.ones(10),
        np.zeros(10, dtype=int),
        faces,
        5,
        by_doors=True,
        model=MODEL,
    )
    holder = {k for k, p in enumerate(moved) if 0 in p}
    assert holder == {k for k, p in enumerate(moved) if 9 in p}
    assert sorted(s for p in moved for s in p) == list(range(10))


@pytest.fixture(scope="module")
def two_precincts(helsinki_graph: StreetGraph, helsinki_pbf: Path) -> dict[str, np.ndarray]:
    """300 real Helsinki addresses with 1-8 doors each, in two precincts (west and east)."""
    points = read_address_points(helsinki_pbf)
    points = points.loc[points["street"] != ""].drop_duplicates(["street", "house_number"])
    points = points.head(300)
    x, y = helsinki_graph.to_metric(points.geometry.x.to_numpy(), points.geometry.y.to_numpy())
    doors = np.random.default_rng(11).integers(1, 9, size=len(x))
    precincts = np.where(x < np.median(x), "west", "east")
    return {"x": x, "y": y, "doors": doors, "precincts": precincts}


def _cut(
    graph: StreetGraph, stops: dict[str, np.ndarray], size: TurfSize, *, exchange: bool | None
) -> tuple[list[CutTurf], dict[str, GroupWalks]]:
    """The cut of ``stops``; ``exchange=None`` leaves the choice to ``cut_turfs``' default."""
    snapped = snap_points(graph, stops["x"], stops["y"])
    choice = {} if exchange is None else {"exchange": exchange}
    return cut_turfs(
        graph,
        snapped,
        stops["x"],
        stops["y"],
        stops["doors"],
        stops["precincts"],
        size=size,
        model=MODEL,
        **choice,
    )


def _sizes(
    graph: StreetGraph,
    stops: dict[str, np.ndarray],
    turfs: list[CutTurf],
    walks: dict[str, GroupWalks],
    size: TurfSize,
) -> tuple[float, list[float]]:
    routes = [
        route_turf(graph, walks[t.group], t.members, stops["doors"], model=MODEL) for t in turfs
    ]
    if size.doors is not None:
        sizes = [float(stops["doors"][t.members].sum()) / size.doors for t in turfs]
    else:
        assert size.minutes is not None
        sizes = [r.minutes / size.minutes for r in routes]
    return sum(r.walk_m for r in routes), sizes


@pytest.mark.parametrize("size", [TurfSize(minutes=60), TurfSize(minutes=None, doors=60)])
def test_moves_walk_no_farther_and_keep_every_rule(
    helsinki_graph: StreetGraph, two_precincts: dict[str, np.ndarray], size: TurfSize
) -> None:
    stops = two_precincts
    before, walks_before = _cut(helsinki_graph, stops, size, exchange=False)
    after, walks = _cut(helsinki_graph, stops, size, exchange=None)  # on by default
    walk_before, sizes_before = _sizes(helsinki_graph, stops, before, walks_before, size)
    walk_after, sizes_after = _sizes(helsinki_graph, stops, after, walks, size)
    assert walk_after < walk_before
    assert len(after) == len(before)
    # Every stop in exactly one turf.
    members = np.concatenate([t.members for t in after])
    assert sorted(members.tolist()) == list(range(len(stops["x"])))
    # Every turf within ±15 %, or no farther out than the worst turf of the plain cut.
    worst = max(0.15, max(abs(s - 1) for s in sizes_before))
    assert all(abs(s - 1) <= worst + 1e-9 for s in sizes_after)
    # Turfs stay inside their precinct, and no more of them span a barrier street.
    for turf in after:
        assert set(stops["precincts"][turf.members].tolist()) == {turf.precinct}
    cells = quiet_cells(helsinki_graph, stops["x"], stops["y"])

    def spanning(turfs: list[CutTurf]) -> int:
        return sum(len(set(cells[t.members].tolist())) > 1 for t in turfs)

    assert spanning(after) <= spanning(before)


def test_moves_give_the_same_turfs_every_time(
    helsinki_graph: StreetGraph, two_precincts: dict[str, np.ndarray]
) -> None:
    size = TurfSize(minutes=None, doors=60)
    first, _ = _cut(helsinki_graph, two_precincts, size, exchange=True)
    second, _ = _cut(helsinki_graph, two_precincts, size, exchange=True)
    assert [t.members.tolist() for t in first] == [t.members.tolist() for t in second]
