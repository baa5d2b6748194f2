"""Cutting stops into turfs: one long walk per precinct, split into shift-sized pieces.

"Route first, cluster second": the stops of each precinct are ordered into one near-optimal
walk along the streets, and that walk is cut into consecutive pieces of about equal effort.
Measured on real streets this walks about a third less in total than k-means on coordinates
(see ../shared/BENCHMARKS.md); stops are never split, so a building stays in one turf.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans

from geo.effort import WalkModel
from routing._fork import fork_map, worker_count
from routing.distances import StopDistances, along_line, leg_line, stop_distances
from routing.order import order_stops, path_length_m, warm_up
from routing.snap import Snapped
from routing.street_graph import StreetGraph

# Fewer turfs than this are routed in one process: starting workers would cost about as much.
POOL_MIN_TURFS = 40
# Above this many stops in one group, the full distance matrix gets heavy: pre-split spatially.
MAX_GROUP_STOPS = 2500


@dataclass(frozen=True)
class TurfRoute:
    """The walk of one turf."""

    stops: list[int]
    """Positions (into the caller's stop table) in walking order."""
    legs_m: list[float]
    """Walk to each stop from the previous one (from the start point for the first)."""
    walk_m: float
    minutes: float
    line_xy: np.ndarray
    """(k, 2) route coordinates in the graph's metric CRS, along the streets."""
    barrier_crossings: int = 0
    """Legs that cross a barrier street between doors facing each other across it."""
    drop_off_xy: np.ndarray | None = None
    """Where the walk begins (metric CRS): the given start point, or the street corner
    nearest to the first stop."""


@dataclass(frozen=True)
class GroupWalks:
    """Stops of one group with their distances; the start point, if any, is the last row."""

    positions: np.ndarray
    distances: StopDistances
    has_start: bool


def group_walks(
    graph: StreetGraph,
    snapped: Snapped,
    groups: pd.Series,
    *,
    start: Snapped | None = None,
) -> dict[str, GroupWalks]:
    """Distances within each group of stops (a precinct, or a spatial piece of a large one)."""
    keys = groups.astype(str).to_numpy()
    return {
        key: group_walk(graph, snapped, np.flatnonzero(keys == key), start=start)
        for key in sorted(set(keys))
    }


def group_walk(
    graph: StreetGraph, snapped: Snapped, positions: np.ndarray, *, start: Snapped | None = None
) -> GroupWalks:
    """Distances among the stops at ``positions`` (and the start point, if any)."""
    part = snapped.subset(positions)
    if start is not None:
        part = _append(part, start)
    return GroupWalks(
        positions=positions, distances=stop_distances(graph, part), has_start=start is not None
    )


def _append(snapped: Snapped, extra: Snapped) -> Snapped:
    return Snapped(
        edge=np.concatenate([snapped.edge, extra.edge]),
        position_m=np.concatenate([snapped.position_m, extra.position_m]),
        offset_m=np.concatenate([snapped.offset_m, extra.offset_m]),
        side=np.concatenate([snapped.side, extra.side]),
        too_far=np.concatenate([snapped.too_far, extra.too_far]),
        on_island=np.concatenate([snapped.on_island, extra.on_island]),
    )


def split_large_groups(
    groups: pd.Series, x: np.ndarray, y: np.ndarray, *, max_stops: int = MAX_GROUP_STOPS
) -> pd.Series:
    """Split groups of more than ``max_stops`` stops into spatial pieces (k-means, seeded)."""
    out = groups.astype(str).copy()
    for key, size in groups.astype(str).value_counts().items():
        if size <= max_stops:
            continue
        mask = (groups.astype(str) == key).to_numpy()
        pieces = math.ceil(size / max_stops)
        labels = KMeans(n_clusters=pieces, n_init=4, random_state=0).fit_predict(
            np.column_stack([x[mask], y[mask]])
        )
        out.loc[mask] = np.array([f"{key}~{label}" for label in labels], dtype=object)
    return out


def route_turf(
    graph: StreetGraph,
    walks: GroupWalks,
    members: np.ndarray,
    doors: np.ndarray,
    *,
    model: WalkModel,
    loop: bool = False,
    keep_order: bool = False,
) -> TurfRoute:
    """Order one turf's stops (positions into the caller's stops) and trace the walk.

    ``keep_order`` walks ``members`` in the order given (a turf kept from an earlier cut,
    whose printed list must stay valid) instead of solving for the shortest order.
    """
    local = np.searchsorted(walks.positions, members)
    if walks.has_start:
        local = np.append(local, len(walks.positions))
    start = len(local) - 1 if walks.has_start else None
    if keep_order:
        order = list(range(len(members)))
        if start is not None:
            order.insert(0, start)
    else:
        order = order_stops(walks.distances.cost_between(local), start=start, loop=loop)
    sequence = [int(local[i]) for i in order]
    if loop and len(sequence) > 1:
        sequence.append(sequence[0])
    walk_m = path_length_m(walks.distances.metres, sequence)
    legs = [0.0] + [float(walks.distances.metres[a, b]) for a, b in itertools.pairwise(sequence)]
    lines = [leg_line(graph, walks.distances, a, b) for a, b in itertools.pairwise(sequence)]
    if walks.has_start:
        drop_off = lines[0][0] if lines else _stop_point(graph, walks.distances, sequence[0])[0]
    else:
        # Start at the street corner nearest the first door: a place to meet and park.
        corner_line = _from_corner(graph, walks.distances, sequence[0])
        lines.insert(0, corner_line)
        drop_off = corner_line[0]
        corner_m = float(np.min(walks.distances.end_cost_m[sequence[0]]))
        walk_m += corner_m
        legs[0] = corner_m
    line_xy = np.vstack(lines)
    stop_sequence = [i for i in sequence if i < len(walks.positions)]
    if loop and len(stop_sequence) > 1 and stop_sequence[0] == stop_sequence[-1]:
        stop_sequence.pop()
    if walks.has_start:
        legs = legs[1:]
    stop_positions = [int(walks.positions[i]) for i in stop_sequence]
    stop_legs = legs[: len(stop_positions)]
    total_doors = int(doors[stop_positions].sum())
    crossings = sum(bool(walks.distances.crosses[a, b]) for a, b in itertools.pairwise(sequence))
    return TurfRoute(
        stops=stop_positions,
        legs_m=stop_legs,
        walk_m=walk_m,
        minutes=model.minutes(walk_m, doors=total_doors, stops=len(stop_positions)),
        line_xy=line_xy,
        barrier_crossings=crossings,
        drop_off_xy=np.asarray(drop_off, dtype=float),
    )


@dataclass(frozen=True)
class _Routing:
    """What every turf's route needs (handed to worker processes by fork)."""

    graph: StreetGraph
    walks: Mapping[str, GroupWalks]
    turfs: Sequence[tuple[str, np.ndarray, bool]]
    doors: np.ndarray
    model: WalkModel


def route_turfs(
    graph: StreetGraph,
    walks: Mapping[str, GroupWalks],
    turfs: Sequence[tuple[str, np.ndarray, bool]],
    doors: np.ndarray,
    *,
    model: WalkModel,
    workers: int | None = None,
) -> Iterator[TurfRoute]:
    """``route_turf`` for each turf, in order, spread over processes (see ``routing._fork``).

    ``turfs`` holds each turf's group key, members and whether to keep their order. Yields
    each route as it is ready, so that a caller can count progress.
    """
    job = _Routing(graph, walks, turfs, doors, model)
    small = workers is None and len(turfs) < POOL_MIN_TURFS
    count = 1 if small else worker_count(len(turfs), workers)
    if count > 1:
        warm_up()
    yield from fork_map(_route_one, job, range(len(turfs)), workers=count)


def _route_one(job: _Routing, index: int) -> TurfRoute:
    key, members, keep_order = job.turfs[index]
    return route_turf(
        job.graph, job.walks[key], members, job.doors, model=job.model, keep_order=keep_order
    )


def _from_corner(graph: StreetGraph, distances: StopDistances, i: int) -> np.ndarray:
    """Coordinates from the nearer end of stop ``i``'s edge along the edge to the stop."""
    edge = int(distances.snapped.edge[i])
    vertices = graph.edge_columns.vertices(edge)
    position = float(distances.snapped.position_m[i])
    length = float(np.hypot(*np.diff(vertices, axis=0).T).sum())
    end = 0.0 if distances.end_cost_m[i, 0] <= distances.end_cost_m[i, 1] else length
    piece = along_line(vertices, end, position)
    return piece if len(piece) >= 2 else np.vstack([piece, piece])


def _stop_point(graph: StreetGraph, distances: StopDistances, i: int) -> np.ndarray:
    vertices = graph.edge_columns.vertices(int(distances.snapped.edge[i]))
    position = float(distances.snapped.position_m[i])
    return along_line(vertices, position, position)
