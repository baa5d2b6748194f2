"""Cutting a target universe into turfs one volunteer can walk in one shift.

The method, measured against the alternatives in ../shared/BENCHMARKS.md:

1. **Cells.** Stops are grouped by precinct (when turfs keep inside precincts); within a
   precinct, each stop belongs to the cell of street network it reaches without crossing
   a barrier street (arterials, see ``routing.street_graph``).
2. **Route first.** Each precinct's stops are put on one long walk: a Hilbert curve through
   them, improved by the walk-order local search (``routing.local_search``) on the
   door-to-door walking costs plus a large charge for moving between cells, so the walk
   finishes one cell before entering the next. Every step is deterministic, so the same
   inputs always give the same turfs.
3. **Cluster second.** The long walk is cut into consecutive pieces whose effort (walking +
   minutes per door and per stop, or doors) is as even as possible, by dynamic
   programming over the cut points. A piece that spans two cells pays a charge worth a
   15 % miss of the target size, so a turf crosses a barrier only where the area on one
   side runs out. Stops are never split, so a building stays whole.
4. **Local moves.** A stop at the edge of a piece moves to the neighbouring turf whose walk
   passes it more cheaply, within the size band and only into a turf that already has
   stops in its cell (``routing.relocate``): 1-6 % less walking in all on the benchmark cities.
5. **Moves between turfs.** Relocate, swap and 2-opt* moves of whole block faces between
   neighbouring turfs and seeded ruin-and-recreate kicks, each kept only if the walks,
   re-ordered, get shorter and the size band, faces and barrier rule hold
   (``routing.exchange``, compiled): another 6-10 % less on the benchmark cities.

Each turf is then routed on its own (``routing.turfs.route_turf``).

Groups of stops (precincts, spatial pieces of big ones) are cut independently, so on a machine
with several cores they are cut in forked processes (``routing._fork``); the turfs are the
same whatever the number of processes.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from geo.effort import TurfSize, WalkModel
from routing._cut_points import dp_choices, dp_cuts
from routing._fork import fork_map, worker_count
from routing.exchange import exchange_between_turfs
from routing.order import order_stops, warm_up
from routing.relocate import relocate_stops
from routing.snap import Snapped
from routing.street_graph import StreetGraph
from routing.turfs import GroupWalks, group_walk, split_large_groups

# Kicks of the local search per stop of a long walk (a turf's own walk gets more later).
LONG_WALK_KICKS_PER_STOP = 10
# Group-key prefix of turfs kept from an earlier cut.
KEPT = "kept:"
# Fewer stops than this are cut in one process: starting workers would cost about as much.
POOL_MIN_STOPS = 2_000
# Walking cost added between stops of different cells when ordering the long walk.
CELL_CHANGE_M = 2_000.0


@dataclass(frozen=True)
class CutTurf:
    """One turf before routing."""

    members: np.ndarray
    """Positions into the caller's stops, in walking order (the long walk's, after moves)."""
    precinct: str
    group: str
    """Key of the group of stops (and distances) the turf was cut from."""
    effort: float
    """Estimated minutes (or doors) from the long walk."""
    crosses_barrier: bool
    """The turf joins stops separated by a barrier street (its cell was too small alone)."""
    group_effort: float
    """Total effort of the group (precinct) it was cut from."""
    group_turfs: int
    """How many turfs that group was cut into."""
    turf_id: str | None = None
    """The id of a turf kept from an earlier cut (None for newly cut turfs)."""
    shared_faces: int = 0
    """Block faces of this turf that another turf walks part of: kept whole, they would take
    a turf out of the size band (a face of big apartment buildings, or bigger than a turf)."""

    def size_note(self, target: float, minutes: float, *, tolerance: float = 0.15) -> str:
        """Why the turf misses the target size by more than ``tolerance``; '' if it does not."""
        if abs(minutes / target - 1) <= tolerance:
            return ""
        where = f"precinct {self.precinct}" if self.precinct else "this area"
        if len(self.members) == 1:
            return "one building or house holds all these doors and is never split further"
        if self.group_turfs == 1:
            return (
                f"{where} holds about {self.group_effort:.0f} of {target:.0f} in all: "
                "the area runs out"
            )
        return (
            f"{where} holds about {self.group_effort:.0f} in all, which does not split into "
            f"{self.group_turfs} turfs of {target:.0f} ±{tolerance:.0%} without splitting a "
            "building or crossing a barrier street"
        )


def quiet_cells(graph: StreetGraph, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Label each point with the piece of network it reaches without using a barrier street.

    Points are placed on their nearest non-barrier, snappable edge (a door on an arterial
    belongs to the side streets behind it, not to the arterial).
    """
    edges = graph.edges
    calm = (edges["kind"] != "barrier").to_numpy()
    u = edges["u"].to_numpy().copy()
    v = edges["v"].to_numpy().copy()
    # A junction on a barrier street joins the streets on both of its sides; give each calm
    # edge its own copy of such a junction so the two sides fall into different cells.
    on_barrier = np.zeros(graph.node_count, dtype=bool)
    on_barrier[u[~calm]] = True
    on_barrier[v[~calm]] = True
    copies = graph.node_count + np.arange(2 * len(edges)).reshape(2, -1)
    u = np.where(on_barrier[u], copies[0], u)
    v = np.where(on_barrier[v], copies[1], v)
    n = graph.node_count + 2 * len(edges)
    adjacency = csr_matrix((np.ones(int(calm.sum())), (u[calm], v[calm])), shape=(n, n))
    _, component = connected_components(adjacency, directed=False)
    candidates = np.flatnonzero(calm & edges["snappable"].to_numpy())
    if len(candidates) == 0 or len(x) == 0:
        return np.zeros(len(x), dtype=int)
    tree = shapely.STRtree(edges.geometry.to_numpy()[candidates])
    (point, nearest), _ = tree.query_nearest(
        shapely.points(x, y), return_distance=True, all_matches=False
    )
    labels = np.zeros(len(x), dtype=int)
    labels[point] = component[u[candidates[nearest]]]
    return labels


def street_blocks(graph: StreetGraph) -> np.ndarray:
    """Block id of each edge: edges joined end to end where no other street meets them.

    Ways are split wherever two ways meet, also where one street continues as another way;
    a block runs from one real junction (or dead end) to the next.
    """
    edges = graph.edges
    count = len(edges)
    ends = np.concatenate([edges["u"].to_numpy(), edges["v"].to_numpy()])
    edge_at = np.tile(np.arange(count), 2)
    through = np.flatnonzero(np.bincount(ends, minlength=graph.node_count) == 2)
    order = np.argsort(ends, kind="stable")
    first = np.searchsorted(ends[order], through)
    pairs = (edge_at[order][first], edge_at[order][first + 1])
    joins = csr_matrix((np.ones(len(through)), pairs), shape=(count, count))
    return connected_components(joins, directed=False)[1]


def block_faces(graph: StreetGraph, edge: np.ndarray, cells: np.ndarray) -> np.ndarray:
    """Label stops by block face: the same block and the same quiet cell.

    ``edge`` is each stop's snapped edge. The two sides of a barrier street fall in two cells,
    so they are two faces; both sides of a quiet street, worked in one pass, are one.
    """
    keys = street_blocks(graph)[edge].astype(np.int64) * (int(cells.max(initial=0)) + 1) + cells
    return np.unique(keys, return_inverse=True)[1]


def hilbert_order(x: np.ndarray, y: np.ndarray, *, bits: int = 16) -> np.ndarray:
    """Indices that sort points along a Hilbert curve over their bounding box."""
    side = 1 << bits
    xi = ((x - x.min()) / (np.ptp(x) or 1.0) * (side - 1)).astype(np.int64)
    yi = ((y - y.min()) / (np.ptp(y) or 1.0) * (side - 1)).astype(np.int64)
    index = np.zeros(len(x), dtype=np.int64)
    step = side // 2
    while step > 0:
        rx = (xi & step) > 0
        ry = (yi & step) > 0
        index += step * step * ((3 * rx.astype(np.int64)) ^ ry.astype(np.int64))
        # Rotate the quadrant so the curve stays continuous.
        flip = ~ry
        mirrored = flip & rx
        xi = np.where(mirrored, step - 1 - xi, xi)
        yi = np.where(mirrored, step - 1 - yi, yi)
        xi, yi = np.where(flip, yi, xi), np.where(flip, xi, yi)
        step //= 2
    return np.argsort(index, kind="stable")


def long_walk(cost: np.ndarray, x: np.ndarray, y: np.ndarray) -> list[int]:
    """A deterministic, locally optimal open walk through all stops of a cell."""
    n = len(x)
    if n <= 2:
        return list(range(n))
    guess = [int(i) for i in hilbert_order(x, y)]
    return order_stops(cost, first_guess=guess, kicks=LONG_WALK_KICKS_PER_STOP * n)


def stop_effort(
    order: list[int],
    metres: np.ndarray,
    doors: np.ndarray,
    *,
    size: TurfSize,
    model: WalkModel,
) -> tuple[np.ndarray, np.ndarray]:
    """Effort at each stop along ``order`` and the part of it that is the walk there."""
    if size.doors is not None:
        return doors[order].astype(float), np.zeros(len(order))
    walk = np.concatenate([[0.0], metres[order[:-1], order[1:]]]) / model.speed_mps / 60.0
    return walk + doors[order] * model.minutes_per_door + model.minutes_per_stop, walk


def even_cuts(
    effort: np.ndarray,
    walk_in: np.ndarray,
    target: float,
    *,
    cell_changes: np.ndarray | None = None,
    same_face: np.ndarray | None = None,
) -> list[int]:
    """Cut points splitting a sequence into pieces of effort as close to ``target`` as can be.

    A piece's effort leaves out the walk into its first stop (that leg belongs to no turf).
    The number of pieces is the one (of the nearest whole numbers) whose worst piece is
    closest to the target; cut points come from dynamic programming on squared deviation,
    plus ``CROSSING_CHARGE`` for each place inside a piece where ``cell_changes`` is true
    (the stop is in another cell than the one before it) and ``FACE_CUT_CHARGE`` for each cut
    just before a stop where ``same_face`` is true (it is on the block face of the one before).
    """
    changes = np.zeros(len(effort), dtype=bool) if cell_changes is None else cell_changes
    joined = np.zeros(len(effort), dtype=bool) if same_face is None else same_face
    n = len(effort)
    total = float(effort.sum())
    guess = max(1, round(total / target))
    best: tuple[float, list[int]] | None = None
    # Never more pieces than stops (a few huge stops far apart can ask for more).
    for pieces in sorted({min(n, max(1, count)) for count in (guess - 1, guess, guess + 1)}):
        bounds = dp_cuts(effort, walk_in, target, pieces, changes, joined)
        worst = max(
            abs(_piece_effort(effort, walk_in, a, b) / target - 1)
            for a, b in itertools.pairwise(bounds)
        )
        # Prefer the natural count: others must be clearly better to win.
        score = worst - (0.02 if pieces == guess else 0.0)
        if best is None or score < best[0]:
            best = (score, bounds)
    assert best is not None
    return best[1]


def _piece_effort(effort: np.ndarray, walk_in: np.ndarray, a: int, b: int) -> float:
    return float(effort[a:b].sum() - walk_in[a])


def _kept_turf(
    key: str,
    group: GroupWalks,
    members: np.ndarray,
    region: pd.Series,
    doors: np.ndarray,
    *,
    size: TurfSize,
    model: WalkModel,
) -> CutTurf:
    """A turf of an earlier cut, kept whole and in its earlier walking order."""
    n = len(members)
    order = [int(i) for i in np.searchsorted(group.positions, members)]
    effort, walk_in = stop_effort(
        order, group.distances.metres, doors[group.positions], size=size, model=model
    )
    total = _piece_effort(effort, walk_in, 0, n)
    return CutTurf(
        members=members,
        precinct=str(region.iloc[members[0]]),
        group=key,
        effort=total,
        crosses_barrier=False,
        group_effort=total,
        group_turfs=1,
        turf_id=key[len(KEPT) :],
    )


def cut_turfs(
    graph: StreetGraph,
    snapped: Snapped,
    x: np.ndarray,
    y: np.ndarray,
    doors: np.ndarray,
    precincts: np.ndarray,
    *,
    size: TurfSize,
    model: WalkModel,
    keep_precincts: bool = True,
    start: Snapped | None = None,
    keep: Mapping[str, np.ndarray] | None = None,
    exchange: bool = True,
    workers: int | None = None,
    on_cut: Callable[[int], None] | None = None,
) -> tuple[list[CutTurf], dict[str, GroupWalks]]:
    """Cut stops into turfs; returns the turfs and the distances of each group of stops.

    Parameters
    ----------
    snapped, x, y, doors, precincts
        One entry per stop: its snapping, metric coordinates, doors and precinct id.
    keep_precincts
        Never put stops of two precincts in one turf.
    start
        A drop-off point every route will start from; its distances are computed alongside.
    keep
        Turfs of an earlier cut to keep as they are (turf id -> positions of its stops in
        walking order), so that a re-cut after a small change leaves printed walk lists
        valid; only the other stops are cut.
    exchange
        Improve the cut by moves between neighbouring turfs (``routing.exchange``): 6-10 % less
        walking on the benchmark cities; False gives the plain cut (for comparison).
    workers
        Processes the groups are cut in (``None``: one per core; see ``routing._fork``).
        The turfs are the same whatever the number.
    on_cut
        Told the number of stops of each group as its turfs are cut (for a progress bar: the
        counts add up to the number of stops).
    """
    target = float(size.doors if size.doors is not None else size.minutes or 0.0)
    region = pd.Series(np.where(keep_precincts, precincts.astype(str), ""), dtype=object)
    cells = quiet_cells(graph, x, y)
    faces = block_faces(graph, snapped.edge, cells)
    groups = region.copy()
    keep = keep or {}
    for turf_id, members in keep.items():
        groups.iloc[members] = f"{KEPT}{turf_id}"
    fresh = ~groups.str.startswith(KEPT).to_numpy()
    groups.loc[fresh] = split_large_groups(groups.loc[fresh], x[fresh], y[fresh]).to_numpy()
    keys = groups.astype(str).to_numpy()
    cutting = _Cutting(
        graph, snapped, x, y, doors, region, cells, faces, dict(keep), keys, start, target,
        size, model, exchange,
    )  # fmt: skip
    names = sorted(set(keys))
    # The biggest groups first, so that no worker is left with a big one at the end.
    groups_found, counts = np.unique(keys, return_counts=True)
    stops_in = {str(key): int(count) for key, count in zip(groups_found, counts, strict=True)}
    by_size = sorted(names, key=lambda key: -stops_in[key])
    small = workers is None and len(x) < POOL_MIN_STOPS
    workers = 1 if small else worker_count(len(names), workers)
    if workers > 1:  # compiled code loaded once here, not once per worker
        warm_up()
        dp_choices(np.zeros((1, 1), dtype=np.int64), np.zeros((1, 1)), 1)
    done = {}
    results = fork_map(_cut_group, cutting, by_size, workers=workers)
    for key, result in zip(by_size, results, strict=True):
        done[key] = result
        if on_cut is not None:
            on_cut(stops_in[key])
    walks = {key: done[key][0] for key in names}
    return [turf for key in names for turf in done[key][1]], walks


@dataclass(frozen=True)
class _Cutting:
    """What every group's cut needs (handed to worker processes by fork)."""

    graph: StreetGraph
    snapped: Snapped
    x: np.ndarray
    y: np.ndarray
    doors: np.ndarray
    region: pd.Series
    cells: np.ndarray
    faces: np.ndarray
    keep: dict[str, np.ndarray]
    keys: np.ndarray
    start: Snapped | None
    target: float
    size: TurfSize
    model: WalkModel
    exchange: bool


def _cut_group(job: _Cutting, key: str) -> tuple[GroupWalks, list[CutTurf]]:
    """The distances of one group of stops and the turfs cut from it."""
    size, model, doors, target = job.size, job.model, job.doors, job.target
    group = group_walk(job.graph, job.snapped, np.flatnonzero(job.keys == key), start=job.start)
    if key.startswith(KEPT):
        members = np.asarray(job.keep[key[len(KEPT) :]])
        turf = _kept_turf(key, group, members, job.region, doors, size=size, model=model)
        spans = len(set(job.cells[members])) > 1
        return group, [dataclasses.replace(turf, crosses_barrier=spans)]
    n = len(group.positions)
    cell = job.cells[group.positions]
    group_doors = doors[group.positions]
    # Computed once: the long walk, the moves and the exchange all price walks by it.
    cost = group.distances.cost_between(np.arange(n))
    metres = group.distances.metres[:n, :n]
    order = long_walk(
        cost + CELL_CHANGE_M * (cell[:, None] != cell[None, :]),
        job.x[group.positions],
        job.y[group.positions],
    )
    effort, walk_in = stop_effort(order, metres, group_doors, size=size, model=model)
    walked_cells = cell[np.asarray(order)]
    changes = np.concatenate([[False], walked_cells[1:] != walked_cells[:-1]])
    face = job.faces[group.positions]
    walked_faces = face[np.asarray(order)]
    same_face = np.concatenate([[False], walked_faces[1:] == walked_faces[:-1]])
    bounds = even_cuts(effort, walk_in, target, cell_changes=changes, same_face=same_face)
    by_doors = size.doors is not None
    pieces = [order[a:b] for a, b in itertools.pairwise(bounds)]
    pieces = relocate_stops(
        pieces, cost, metres, group_doors, cell, face, target, by_doors=by_doors, model=model
    )
    if job.exchange:
        corner_m = None if group.has_start else group.distances.end_cost_m[:n].min(axis=1)
        pieces = exchange_between_turfs(
            pieces,
            cost,
            metres,
            group_doors,
            cell,
            face,
            target,
            by_doors=by_doors,
            model=model,
            corner_m=corner_m,
        )
    group_effort = _piece_effort(effort, walk_in, 0, n)
    turfs_on_face = Counter(f for piece in pieces for f in set(face[piece].tolist()))
    turfs = []
    for piece in pieces:
        piece_effort, piece_walk_in = stop_effort(
            piece, group.distances.metres, group_doors, size=size, model=model
        )
        turfs.append(
            CutTurf(
                members=group.positions[np.asarray(piece)],
                precinct=key.split("~")[0],
                group=key,
                effort=_piece_effort(piece_effort, piece_walk_in, 0, len(piece)),
                crosses_barrier=len(set(cell[piece].tolist())) > 1,
                group_effort=group_effort,
                group_turfs=len(pieces),
                shared_faces=sum(turfs_on_face[f] > 1 for f in set(face[piece].tolist())),
            )
        )
    return group, turfs


def max_doors_per_stop(size: TurfSize, model: WalkModel) -> int:
    """The most doors one stop may hold and still fit in one turf."""
    if size.doors is not None:
        return max(1, size.doors)
    assert size.minutes is not None
    return max(1, int((size.minutes - model.minutes_per_stop) // max(model.minutes_per_door, 1e-9)))
