"""Walk-order quality and speed of our router against baselines, side by side, on real OSM data.

For each data set (the demo's central-Helsinki extract with its real address points, and the
two Atlanta extracts in ../shared/data with synthetic doors along residential streets and on
both sides of barrier streets) it cuts turfs of 30, 60, 120 and 250 stops (the stops nearest
along the streets to a random seed stop), computes one door-to-door distance matrix per turf
with our router, with the barrier crossing rule (``CrossingRule``, 60 m per crossing leg),
and walks it as an open path with a free start using:

- street order: street name, then house number (the traditional walk list);
- nearest neighbour on the cost, from the best of all start stops;
- ours: ``routing.order.order_stops(distances.cost)`` with its default number of kicks
  (deterministic);
- best known: the best of several long fast-tsp runs (cities relabelled at random between runs,
  2 threads), ours and, for small turfs, the MILP optimum, all on the same cost and open-path
  construction (a dummy city at distance 0 to all).

A Held-Karp (1-tree, subgradient) lower bound shows how far "best known" can be from optimal.
Ratios are cost (walk metres + crossing penalties, what ours minimises) over best known, from
this one run. A second table counts, per method, barrier crossing legs and side changes against
the lower bound of one per barrier street with doors on both sides. Run from the repo root:

    python bench/bench_routing.py [--quick] [--json [PATH]]
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import itertools
import json
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import fast_tsp
import numpy as np
import shapely
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import connected_components, dijkstra

from geo.osm import read_address_points
from geo.sample import demo_osm_path
from routing.distances import CrossingRule, stop_distances
from routing.order import nearest_neighbour_order, order_stops, path_length_m
from routing.snap import Snapped, snap_points
from routing.streets import StreetGraph, load_walk_graph

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
SIZES = (30, 60, 120, 250)
SEED = 20260101
DOOR_SPACING_M = 40.0
SYNTHETIC_HIGHWAYS = ("residential", "living_street", "unclassified", "road")
BARRIER_DOOR_OFFSET_M = 10.0
MEDIAN_PROBE_M = 30.0
"""A barrier door with another barrier edge this close in front of it (the other carriageway of a
dual carriageway, so the door would stand in the median, or a crossing arterial) is left out."""
CROSSING = CrossingRule(penalty_m=60.0)
FAST_TSP_MAX = 65_534


# ----------------------------------------------------------------------------- data sets


@dataclass
class DataSet:
    name: str
    graph: StreetGraph
    snapped: Snapped
    street_key: list[tuple[object, ...]]
    """Sort key of each stop for the traditional street-name-then-house-number order."""
    notes: list[str] = field(default_factory=list)
    load_s: float = 0.0
    snap_s: float = 0.0
    barrier_stops: np.ndarray = field(default_factory=lambda: np.array([], dtype=int))
    """Stops that are synthetic doors beside a barrier street (most turf seeds are drawn from them
    when there are any)."""


def _house_number_key(text: str) -> tuple[float, str]:
    match = re.match(r"\s*(\d+)(.*)", text)
    if not match:
        return (float("inf"), text.casefold())
    return (float(match.group(1)), match.group(2).strip().casefold())


def _snap_and_filter(
    graph: StreetGraph,
    x: np.ndarray,
    y: np.ndarray,
    notes: list[str],
    wanted: Callable[[Snapped], np.ndarray] | None = None,
) -> tuple[Snapped, np.ndarray, float]:
    """Snap the points; keep those within 150 m of a street (and ``wanted``, if given)."""
    started = time.perf_counter()
    snapped = snap_points(graph, x, y)
    snap_s = time.perf_counter() - started
    keep = np.flatnonzero(~snapped.too_far)
    if len(keep) < len(x):
        notes.append(f"{len(x) - len(keep)} stops farther than 150 m from a street were left out")
    if wanted is not None:
        keep = keep[wanted(snapped)[keep]]
    kinds = graph.edges["kind"].to_numpy()[snapped.edge[keep]]
    counts = [f"{k} {int((kinds == k).sum())}" for k in ("quiet", "street", "barrier", "path")]
    notes.append("snapped to edges of kind: " + ", ".join(counts))
    return snapped.subset(keep), keep, snap_s


def helsinki() -> DataSet | None:
    try:
        path = demo_osm_path()
    except FileNotFoundError as exc:
        print(f"skipping helsinki-demo: {exc}")
        return None
    started = time.perf_counter()
    graph = load_walk_graph(path)
    load_s = time.perf_counter() - started
    addresses = read_address_points(path)
    notes = [f"{len(addresses)} OSM address objects"]
    usable = addresses.loc[(addresses["street"] != "") & (addresses["house_number"] != "")]
    if len(usable) < len(addresses):
        notes.append(f"{len(addresses) - len(usable)} without street or number left out")
    usable = usable.sort_values(["street", "house_number", "osm_type", "osm_id"])
    stops = usable.drop_duplicates(["street", "house_number"]).reset_index(drop=True)
    notes.append(f"{len(stops)} unique street + number")
    xs, ys = graph.to_metric(stops.geometry.x.to_numpy(), stops.geometry.y.to_numpy())
    snapped, keep, snap_s = _snap_and_filter(graph, xs, ys, notes)
    streets = stops["street"].to_numpy()[keep]
    numbers = stops["house_number"].to_numpy()[keep]
    key = [
        (str(s).casefold(), *_house_number_key(str(h)), str(h))
        for s, h in zip(streets, numbers, strict=True)
    ]
    return DataSet("helsinki-demo", graph, snapped, key, notes, load_s, snap_s)


def _along_street(graph: StreetGraph, edge: np.ndarray, position: np.ndarray) -> list[tuple]:
    """Stand-in house numbers: (street, piece of street, metres from the piece's first end).

    Edges are grouped by street name (an unnamed way is its own street); each connected piece
    of a street is numbered from one of its dead ends (the westmost), as house numbers run.
    """
    edges = graph.edges
    names = edges["name"].to_numpy()
    way = edges["way_id"].to_numpy()
    label = np.array(
        [n if n else f"~unnamed way {w}" for n, w in zip(names, way, strict=True)], dtype=object
    )
    u_all, v_all = edges["u"].to_numpy(), edges["v"].to_numpy()
    length_all = edges["length_m"].to_numpy()
    piece = np.zeros(len(edges), dtype=int)
    from_u = np.zeros(len(edges))  # metres along the street to each edge's u and v ends
    from_v = np.zeros(len(edges))
    wanted = set(label[np.unique(edge)])
    by_label: dict[str, list[int]] = {}
    for e in np.flatnonzero(np.isin(label, list(wanted))):
        by_label.setdefault(label[e], []).append(int(e))
    for rows in by_label.values():
        idx = np.array(rows)
        nodes, local = np.unique(np.concatenate([u_all[idx], v_all[idx]]), return_inverse=True)
        lu, lv = local[: len(idx)], local[len(idx) :]
        m = len(nodes)
        adjacency = csr_matrix((length_all[idx] + 1e-6, (lu, lv)), shape=(m, m))
        count, comp = connected_components(adjacency, directed=False)
        degree = np.bincount(np.concatenate([lu, lv]), minlength=m)
        x = graph.node_xy[nodes, 0]
        starts = []
        for c in range(count):
            members = np.flatnonzero(comp == c)
            ends = members[degree[members] == 1]
            pool = ends if len(ends) else members
            starts.append(int(pool[np.argmin(x[pool])]))
        dist = dijkstra(adjacency, directed=False, indices=starts)
        node_along = dist[comp, np.arange(m)]
        # Number the pieces of one street west to east.
        rank = np.argsort(np.argsort(x[starts]))
        piece[idx] = rank[comp[lu]]
        from_u[idx] = node_along[lu]
        from_v[idx] = node_along[lv]
    along = np.minimum(from_u[edge] + position, from_v[edge] + length_all[edge] - position)
    return [
        (str(label[e]).casefold(), int(piece[e]), float(a))
        for e, a in zip(edge, along, strict=True)
    ]


def _barrier_doors(
    graph: StreetGraph, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Synthetic doors beside barrier edges: both sides, ~10 m off the centre line, every ~40 m.

    Each side of each edge gets its own random phase. Returns the placement edge, the position
    along it, the door coordinates, and how many doors were dropped as standing in a median.
    """
    edges = graph.edges
    chosen = np.flatnonzero((edges["kind"].to_numpy() == "barrier") & edges["snappable"].to_numpy())
    lengths = edges["length_m"].to_numpy()
    rows: list[tuple[int, float, int]] = []
    for e in chosen:
        for side in (1, -1):
            phase = rng.uniform(1.0, DOOR_SPACING_M)
            rows.extend(
                (int(e), float(p), side) for p in np.arange(phase, lengths[e] - 1.0, DOOR_SPACING_M)
            )
    if not rows:
        return np.array([], dtype=int), np.array([]), np.empty((0, 2)), 0
    edge = np.array([r[0] for r in rows])
    pos = np.array([r[1] for r in rows])
    side = np.array([r[2] for r in rows], dtype=float)
    lines = edges.geometry.to_numpy()[edge]
    foot = shapely.get_coordinates(shapely.line_interpolate_point(lines, pos))
    ahead = shapely.get_coordinates(
        shapely.line_interpolate_point(lines, np.minimum(pos + 0.5, lengths[edge]))
    )
    behind = shapely.get_coordinates(
        shapely.line_interpolate_point(lines, np.maximum(pos - 0.5, 0))
    )
    tangent = ahead - behind
    tangent /= np.maximum(np.hypot(tangent[:, 0], tangent[:, 1]), 1e-9)[:, None]
    left = np.column_stack([-tangent[:, 1], tangent[:, 0]]) * side[:, None]
    xy = foot + BARRIER_DOOR_OFFSET_M * left
    # A probe from just off the centre line out past the door: crossing another barrier edge
    # means the other carriageway is right there and the door would stand in the median.
    probes = shapely.linestrings(
        np.stack([foot + 0.5 * left, foot + MEDIAN_PROBE_M * left], axis=1)
    )
    tree = shapely.STRtree(edges.geometry.to_numpy()[chosen])
    probe, hit = tree.query(probes, predicate="intersects")
    median = np.zeros(len(edge), dtype=bool)
    median[probe[chosen[hit] != edge[probe]]] = True
    keep = ~median
    return edge[keep], pos[keep], xy[keep], int(median.sum())


def atlanta(path: Path, name: str) -> DataSet | None:
    if not path.exists():
        print(f"skipping {name}: {path} not found (the ../shared folder is absent here)")
        return None
    started = time.perf_counter()
    graph = load_walk_graph(path)
    load_s = time.perf_counter() - started
    edges = graph.edges
    kinds = edges["kind"].to_numpy()
    chosen = np.flatnonzero(
        (kinds == "quiet")
        & edges["highway"].isin(SYNTHETIC_HIGHWAYS).to_numpy()
        & edges["snappable"].to_numpy()
    )
    rng = np.random.default_rng(SEED)
    source_edge: list[int] = []
    source_pos: list[float] = []
    lengths = edges["length_m"].to_numpy()
    for e in chosen:
        phase = rng.uniform(1.0, DOOR_SPACING_M)
        for p in np.arange(phase, lengths[e] - 1.0, DOOR_SPACING_M):
            source_edge.append(int(e))
            source_pos.append(float(p))
    quiet_edge = np.array(source_edge, dtype=int)
    quiet_pos = np.array(source_pos)
    quiet_points = shapely.line_interpolate_point(edges.geometry.to_numpy()[quiet_edge], quiet_pos)
    quiet_xy = shapely.get_coordinates(quiet_points)
    bar_edge, bar_pos, bar_xy, in_median = _barrier_doors(graph, np.random.default_rng([SEED, 2]))
    src_edge = np.concatenate([quiet_edge, bar_edge])
    src_pos = np.concatenate([quiet_pos, bar_pos])
    xy = np.vstack([quiet_xy, bar_xy])
    is_barrier_door = np.arange(len(xy)) >= len(quiet_xy)
    notes = [
        f"synthetic doors every ~{DOOR_SPACING_M:.0f} m on the centre line of "
        f"{len(chosen)} {'/'.join(SYNTHETIC_HIGHWAYS)} edges (service ways left out): "
        f"{len(quiet_xy)} doors",
        f"and on both sides of barrier edges, {BARRIER_DOOR_OFFSET_M:.0f} m off the centre line, "
        f"each side with its own phase: {len(bar_xy)} doors ({in_median} more left out with "
        f"another barrier edge within {MEDIAN_PROBE_M:.0f} m in front: a dual carriageway's "
        "median or an arterial junction)",
    ]

    # A barrier door that snaps to anything but a barrier edge is next to a mapped sidewalk or
    # nearer to a cross street: that barrier is not crossed door to door there, so drop it.
    def on_barrier(snapped_all: Snapped) -> np.ndarray:
        off_barrier = is_barrier_door & (kinds[snapped_all.edge] != "barrier")
        if off_barrier.any():
            to = Counter(kinds[snapped_all.edge[off_barrier]])
            notes.append(
                f"{int(off_barrier.sum())} barrier doors left out as nearer to another kind of "
                "edge (" + ", ".join(f"{k} {c}" for k, c in sorted(to.items())) + "; path = "
                "a mapped sidewalk or footway)"
            )
        return ~off_barrier

    snapped, keep, snap_s = _snap_and_filter(graph, xy[:, 0], xy[:, 1], notes, on_barrier)
    moved = int((snapped.edge != src_edge[keep]).sum())
    notes.append(f"{moved} doors snapped to another edge than the one they were placed on")
    key = _along_street(graph, src_edge[keep], src_pos[keep])
    barrier_stops = np.flatnonzero(is_barrier_door[keep])
    notes.append(
        f"{len(barrier_stops)} barrier doors kept, {int((snapped.side[barrier_stops] == 0).sum())} "
        "of them on the centre line (side 0)"
    )
    return DataSet(name, graph, snapped, key, notes, load_s, snap_s, barrier_stops)


# ----------------------------------------------------------------------------- turfs


def network_nearest(graph: StreetGraph, snapped: Snapped, seed: int, k: int) -> np.ndarray:
    """Indices of the ``k`` stops nearest to stop ``seed`` along the streets (seed first)."""
    edges = graph.edges
    u = edges["u"].to_numpy()[snapped.edge]
    v = edges["v"].to_numpy()[snapped.edge]
    length = edges["length_m"].to_numpy()[snapped.edge]
    ends = np.column_stack([u, v])
    cost = np.column_stack([snapped.position_m, length - snapped.position_m])
    from_ends = dijkstra(graph.matrix, directed=False, indices=ends[seed])
    best = np.full(len(u), np.inf)
    for a in (0, 1):
        for b in (0, 1):
            best = np.minimum(best, cost[seed, a] + from_ends[a, ends[:, b]] + cost[:, b])
    same = snapped.edge == snapped.edge[seed]
    best[same] = np.minimum(best[same], np.abs(snapped.position_m[same] - snapped.position_m[seed]))
    best[seed] = -1.0
    return np.argsort(best, kind="stable")[:k]


# ----------------------------------------------------------------------------- methods


def street_order(key: list[tuple[object, ...]]) -> list[int]:
    return sorted(range(len(key)), key=lambda i: key[i])


def nearest_neighbour_best(metres: np.ndarray) -> list[int]:
    best: list[int] = []
    best_m = np.inf
    for s in range(metres.shape[0]):
        order = nearest_neighbour_order(metres, start=s)
        walk = path_length_m(metres, order)
        if walk < best_m:
            best, best_m = order, walk
    return best


def best_known(
    metres: np.ndarray, runs: int, seconds: float, rng: np.random.Generator
) -> tuple[list[int], float]:
    """Best open path over ``runs`` fast-tsp runs on the dummy-city tour, cities relabelled."""
    n = metres.shape[0]
    extended = np.zeros((n + 1, n + 1))
    extended[:n, :n] = metres
    largest = float(extended.max())
    scale = FAST_TSP_MAX / largest if largest > 0 else 1.0
    integer = np.rint(extended * scale).astype(np.int64)
    best: list[int] = []
    best_m = np.inf
    for r in range(runs):
        perm = np.arange(n + 1) if r == 0 else rng.permutation(n + 1)
        tour = fast_tsp.find_tour(
            np.ascontiguousarray(integer[np.ix_(perm, perm)]),
            duration_seconds=seconds,
            max_threads=2,
        )
        tour = [int(perm[t]) for t in tour]
        at = tour.index(n)
        path = tour[at + 1 :] + tour[:at]
        walk = path_length_m(metres, path)
        if walk < best_m:
            best, best_m = path, walk
    return best, best_m


def _one_tree(w: np.ndarray) -> tuple[float, np.ndarray]:
    """Minimum spanning tree of the dense weights ``w`` (Prim): its cost and node degrees."""
    n = w.shape[0]
    in_tree = np.zeros(n, dtype=bool)
    in_tree[0] = True
    reach = w[0].copy()
    reach[0] = np.inf
    parent = np.zeros(n, dtype=int)
    degree = np.zeros(n)
    total = 0.0
    for _ in range(n - 1):
        j = int(np.argmin(reach))
        total += reach[j]
        degree[j] += 1
        degree[parent[j]] += 1
        in_tree[j] = True
        reach[j] = np.inf
        closer = (w[j] < reach) & ~in_tree
        reach[closer] = w[j][closer]
        parent[closer] = j
    return total, degree


def held_karp_bound(metres: np.ndarray, upper: float, max_s: float) -> float:
    """Held-Karp 1-tree lower bound of the open path (closed tour through a 0-cost dummy).

    Subgradient ascent on node penalties, the dummy city being the 1-tree's special node;
    stops when the step is tiny, the bound meets ``upper`` or ``max_s`` seconds have passed.
    """
    n = metres.shape[0]
    if n < 3:
        return upper
    started = time.perf_counter()
    pi = np.zeros(n + 1)
    best = -np.inf
    lam = 2.0
    stale = 0
    while lam >= 1e-4 and time.perf_counter() - started < max_s:
        tree_m, tree_degree = _one_tree(metres + pi[:n, None] + pi[None, :n])
        dummy = pi[:n] + pi[n]
        two = np.argpartition(dummy, 2)[:2]
        degree = np.append(tree_degree, 2.0)
        degree[two] += 1
        bound = tree_m + float(dummy[two].sum()) - 2 * float(pi.sum())
        if bound > best + 1e-9:
            best, stale = bound, 0
        else:
            stale += 1
            if stale >= 10:
                lam, stale = lam / 2, 0
        g = degree - 2
        norm = float(g @ g)
        if norm == 0 or upper - bound <= 1e-7 * upper:
            break
        pi += lam * (upper - bound) / norm * g
    return max(best, 0.0)


def exact_optimum(metres: np.ndarray, max_s: float) -> tuple[float, list[int]] | None:
    """Optimal open path by integer programming (HiGHS via scipy) with subtour cuts.

    Returns its length and the path, or None when not proven within ``max_s`` seconds.
    Practical up to ~30-60 stops.
    """
    n = metres.shape[0]
    size = n + 1
    extended = np.zeros((size, size))
    extended[:n, :n] = metres
    i, j = np.triu_indices(size, 1)
    cost = extended[i, j]
    pairs = len(cost)
    degree = coo_matrix(
        (np.ones(2 * pairs), (np.concatenate([i, j]), np.tile(np.arange(pairs), 2))),
        shape=(size, pairs),
    ).tocsr()
    constraints = [LinearConstraint(degree, 2, 2)]
    started = time.perf_counter()
    while True:
        left = max_s - (time.perf_counter() - started)
        if left <= 0:
            return None
        result = milp(
            cost,
            constraints=constraints,
            integrality=np.ones(pairs),
            bounds=Bounds(0, 1),
            options={"time_limit": left},
        )
        if result.status != 0 or result.x is None:
            return None
        chosen = result.x > 0.5
        links = coo_matrix((np.ones(int(chosen.sum())), (i[chosen], j[chosen])), shape=(size, size))
        count, label = connected_components(links, directed=False)
        if count == 1:
            return float(result.fun), _path_from_links(n, i[chosen], j[chosen])
        for c in range(count):
            inside = label == c
            constraints.append(
                LinearConstraint(
                    (inside[i] & inside[j]).astype(float)[None, :], -np.inf, inside.sum() - 1
                )
            )


def _path_from_links(n: int, a: np.ndarray, b: np.ndarray) -> list[int]:
    """The open path of a tour through stops 0..n-1 and the dummy city ``n``, given its links."""
    neighbours: dict[int, list[int]] = {}
    for p, q in zip(a.tolist(), b.tolist(), strict=True):
        neighbours.setdefault(p, []).append(q)
        neighbours.setdefault(q, []).append(p)
    path, previous = [neighbours[n][0]], n
    while len(path) < n:
        here = path[-1]
        step = next(x for x in neighbours[here] if x != previous)
        previous = here
        path.append(step)
    return path


# ----------------------------------------------------------------------------- benchmark


@dataclass(frozen=True)
class Settings:
    per_size: int
    runs: dict[int, tuple[int, float]]
    """Best-known fast-tsp schedule per turf size: (runs, seconds per run)."""
    bound_s: float
    """Time cap of the Held-Karp bound per turf."""
    exact_max: int
    """Turfs up to this many stops are also solved to proven optimality (MILP)."""
    exact_s: float


FULL = Settings(
    per_size=5,
    runs={30: (3, 0.3), 60: (3, 0.75), 120: (3, 1.5), 250: (2, 2.0)},
    bound_s=2.0,
    exact_max=60,
    exact_s=8.0,
)
QUICK = Settings(
    per_size=1,
    runs={30: (2, 0.2), 60: (2, 0.3), 120: (2, 0.5), 250: (2, 0.5)},
    bound_s=0.5,
    exact_max=30,
    exact_s=5.0,
)


METHODS = ("street", "nearest", "ours", "ours_metres", "best")
"""Orders whose barrier crossings are counted (``ours_metres``: ours on metres alone)."""


@dataclass
class TurfResult:
    seed_stop: int
    walk_m: dict[str, float]
    """Walking metres of each method's order (and of the best-known order)."""
    cost_m: dict[str, float]
    """The same orders on the cost ours minimises (metres + penalty per crossing leg)."""
    crossing_legs: dict[str, int]
    side_changes: dict[str, int]
    two_sided_streets: int
    ours_distances_s: float
    ours_order_s: float
    lower_bound_m: float
    proven_optimal: bool
    ours_beat_long_runs: bool
    notes: list[str]


def _street_labels(graph: StreetGraph, snapped: Snapped) -> np.ndarray:
    """Which street each stop's edge belongs to, as the crossing rule groups them."""
    edges = graph.edges
    names = edges["name"].to_numpy()[snapped.edge].astype(str)
    ways = edges["way_id"].to_numpy()[snapped.edge].astype(str)
    return np.where(names != "", names, "way:" + ways)


def barrier_crossings(crosses: np.ndarray, labels: np.ndarray, order: list[int]) -> tuple[int, int]:
    """(crossing legs, side changes) of a walk order.

    A crossing leg goes from a door straight to one across a barrier street (``crosses``,
    what the penalty is charged on). A side change is counted whenever, among the doors of one
    barrier street with doors on both sides, consecutive visits are on opposite sides, whatever
    was visited in between: at least one per such street, and never fewer than crossing legs.
    """
    legs = sum(bool(crosses[a, b]) for a, b in itertools.pairwise(order))
    two_sided = crosses.any(axis=1)
    last: dict[str, int] = {}
    changes = 0
    for i in order:
        if two_sided[i]:
            previous = last.get(labels[i])
            changes += previous is not None and bool(crosses[previous, i])
            last[labels[i]] = i
    return legs, changes


def run_turf(
    data: DataSet, idx: np.ndarray, size: int, settings: Settings, rng: np.random.Generator
) -> TurfResult:
    sub = data.snapped.subset(idx)
    started = time.perf_counter()
    distances = stop_distances(data.graph, sub, crossing=CROSSING)
    cost = distances.cost
    between = time.perf_counter()
    ours = order_stops(cost)
    finished = time.perf_counter()
    metres = distances.metres
    n = len(idx)
    notes: list[str] = []
    if not np.all(np.isfinite(metres)):
        raise RuntimeError(f"{data.name}: a turf has stops that cannot reach each other")
    if not np.allclose(cost, cost.T):
        notes.append("distance matrix is not symmetric")
    if sorted(ours) != list(range(n)):
        raise RuntimeError(f"{data.name}: order_stops did not return a permutation")
    orders = {
        "street": street_order([data.street_key[i] for i in idx]),
        "nearest": nearest_neighbour_best(cost),
        "ours": ours,
        "ours_metres": order_stops(metres),
    }
    runs, seconds = settings.runs[size]
    long_path, long_cost = best_known(cost, runs, seconds, rng)
    best, best_cost = (ours, path_length_m(cost, ours))
    if long_cost < best_cost:
        best, best_cost = long_path, long_cost
    lower = held_karp_bound(cost, best_cost, settings.bound_s)
    proven = False
    if n <= settings.exact_max:
        exact = exact_optimum(cost, settings.exact_s)
        if exact is not None:
            proven = True
            optimum, optimum_path = exact
            if optimum < best_cost * (1 - 1e-7):
                notes.append(f"best known {best_cost:.1f} is not optimal ({optimum:.1f})")
                best, best_cost = optimum_path, optimum
            lower = max(lower, optimum)
    orders["best"] = best
    if best_cost < lower * (1 - 1e-7):
        notes.append(f"a tour of {best_cost:.1f} is below the lower bound {lower:.1f} (bug)")
    labels = _street_labels(data.graph, sub)
    counts = {m: barrier_crossings(distances.crosses, labels, o) for m, o in orders.items()}
    cost_m = {m: path_length_m(cost, o) for m, o in orders.items()}
    cost_m["long_runs"] = long_cost
    cost_m["best"] = best_cost
    return TurfResult(
        seed_stop=int(idx[0]),
        walk_m={m: path_length_m(metres, o) for m, o in orders.items()},
        cost_m=cost_m,
        crossing_legs={m: c[0] for m, c in counts.items()},
        side_changes={m: c[1] for m, c in counts.items()},
        two_sided_streets=len(set(labels[distances.crosses.any(axis=1)])),
        ours_distances_s=between - started,
        ours_order_s=finished - between,
        lower_bound_m=lower,
        proven_optimal=bool(proven and best_cost >= lower * (1 - 1e-7)),
        ours_beat_long_runs=bool(cost_m["ours"] < long_cost * (1 - 1e-9)),
        notes=notes,
    )


def _warm_up(data: DataSet) -> None:
    idx = np.arange(min(30, len(data.street_key)))
    order_stops(stop_distances(data.graph, data.snapped.subset(idx), crossing=CROSSING).cost)


def _pair(values: list[float], style: str = "ratio") -> str:
    mean, top = statistics.fmean(values), max(values)
    if style == "percent":
        return f"{100 * mean:5.2f}% {100 * top:5.2f}%"
    if style == "fine":
        return f"{mean:6.4f} {top:6.4f}"
    return f"{mean:6.3f} {top:6.3f}"


HEADER = (
    f"{'stops':>5} {'turfs':>5} | {'street order':>13} | {'nearest nbr':>13} | {'ours':>13} | "
    f"{'best known':>13} | {'opt':>3} | {'ours ms/turf, mean':>22} | ours<\n"
    f"{'':>5} {'':>5} | {'mean    max':>13} | {'mean    max':>13} | {'mean    max':>13} | "
    f"{'gap to bound':>13} | {'':>3} | {'dist + order = total':>22} | long"
)
CROSSING_HEADER = (
    "   barrier crossings per turf, mean over turfs: crossing legs / side changes "
    "(see the header)\n"
    f"{'stops':>5} {'turfs':>5} | {'2-sided':>7} | {'street order':>12} | {'nearest nbr':>12} | "
    f"{'ours':>12} | {'best known':>12} | {'ours on':>12} | {'beyond 1/street':>15}\n"
    f"{'':>5} {'':>5} | {'streets':>7} | {'':>12} | {'':>12} | {'':>12} | {'':>12} | "
    f"{'metres only':>12} | {'ours  best':>15}"
)


def _crossing_row(size: int, results: list[TurfResult]) -> str:
    def cell(method: str) -> str:
        legs = statistics.fmean(r.crossing_legs[method] for r in results)
        changes = statistics.fmean(r.side_changes[method] for r in results)
        return f"{legs:5.1f} /{changes:5.1f}"

    def beyond(method: str) -> int:
        return sum(max(0, r.side_changes[method] - r.two_sided_streets) for r in results)

    two_sided = statistics.fmean(r.two_sided_streets for r in results)
    return (
        f"{size:>5} {len(results):>5} | {two_sided:7.1f} | {cell('street')} | "
        f"{cell('nearest')} | {cell('ours')} | {cell('best')} | {cell('ours_metres')} | "
        f"{beyond('ours'):>5} {beyond('best'):>5}"
    )


def benchmark(data: DataSet, settings: Settings) -> dict[str, object]:
    pool = len(data.street_key)
    print(
        f"\n== {data.name}: {pool} stops; graph {data.graph.node_count} nodes, "
        f"{len(data.graph.edges)} edges, loaded in {data.load_s:.1f} s; "
        f"all stops snapped in {data.snap_s:.2f} s"
    )
    for note in data.notes:
        print(f"   {note}")
    _warm_up(data)
    print(HEADER)
    rng = np.random.default_rng(SEED)
    rows: dict[str, object] = {}
    surprises: list[str] = []
    crossing_rows: list[str] = []
    for size in SIZES:
        seeds = rng.choice(pool, size=5, replace=False)
        if len(data.barrier_stops) >= 5:
            # Turfs 0, 2 and 4 grow from a door beside a barrier street.
            seeds[::2] = rng.choice(data.barrier_stops, size=5, replace=False)[::2]
        seeds = seeds[: settings.per_size]
        if size > pool:
            print(f"{size:>5} skipped: only {pool} stops")
            continue
        results = []
        for t, seed_stop in enumerate(seeds):
            idx = network_nearest(data.graph, data.snapped, int(seed_stop), size)
            turf_rng = np.random.default_rng([SEED, size, t])
            result = run_turf(data, idx, size, settings, turf_rng)
            results.append(result)
            surprises.extend(f"{size} stops, turf {t}: {note}" for note in result.notes)
            excess = result.side_changes["ours"] - result.side_changes["best"]
            if excess > 0:
                surprises.append(
                    f"{size} stops, turf {t}: ours changes side of a barrier street {excess} "
                    "more times than the best known"
                )
        ratios = {
            m: [r.cost_m[m] / r.cost_m["best"] for r in results]
            for m in ("street", "nearest", "ours")
        }
        # Float noise can put a proven optimum a hair below itself; real violations are noted.
        gaps = [max(0.0, r.cost_m["best"] / r.lower_bound_m - 1) for r in results]
        dist_ms = statistics.fmean(r.ours_distances_s for r in results) * 1e3
        order_ms = statistics.fmean(r.ours_order_s for r in results) * 1e3
        proven = sum(r.proven_optimal for r in results)
        beat = sum(r.ours_beat_long_runs for r in results)
        print(
            f"{size:>5} {len(results):>5} | {_pair(ratios['street'])} | "
            f"{_pair(ratios['nearest'])} | {_pair(ratios['ours'], 'fine')} | "
            f"{_pair(gaps, 'percent'):>13} | "
            f"{proven:>3} | {dist_ms:6.1f} + {order_ms:5.1f} = {dist_ms + order_ms:6.1f} | "
            f"{beat:>4}"
        )
        crossing_rows.append(_crossing_row(size, results))
        for m, values in ratios.items():
            if min(values) < 1 - 1e-9:
                surprises.append(f"{size} stops: {m} beat 'best known' (ratio {min(values):.4f})")
        rows[str(size)] = {
            "best_known_runs": dict(zip(("runs", "seconds"), settings.runs[size], strict=True)),
            "turfs": [
                {
                    "seed_stop": r.seed_stop,
                    "walk_m": r.walk_m,
                    "cost_m": r.cost_m,
                    "crossing_legs": r.crossing_legs,
                    "side_changes": r.side_changes,
                    "two_sided_streets": r.two_sided_streets,
                    "lower_bound_cost_m": r.lower_bound_m,
                    "proven_optimal": r.proven_optimal,
                    "ours_distances_s": r.ours_distances_s,
                    "ours_order_s": r.ours_order_s,
                    "notes": r.notes,
                }
                for r in results
            ],
        }
        if size == 60:
            times = [r.ours_distances_s * 1e3 for r in results]
            rows["distance_matrix_60_ms"] = {"mean": statistics.fmean(times), "max": max(times)}
    print(CROSSING_HEADER)
    for line in crossing_rows:
        print(line)
    if "distance_matrix_60_ms" in rows:
        d60 = rows["distance_matrix_60_ms"]
        print(
            f"   distance matrix for 60 stops: mean {d60['mean']:.1f} ms, "  # type: ignore[index]
            f"max {d60['max']:.1f} ms"  # type: ignore[index]
        )
    for s in surprises:
        print(f"   NOTE: {s}")
    return {"notes": data.notes, "stops": pool, "sizes": rows, "surprises": surprises}


def _plain(value: object) -> object:
    """JSON for numpy scalars that slip into the report."""
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _code_version() -> str:
    root = Path(__file__).resolve().parents[1] / "routing"
    parts = []
    for name in ("streets.py", "snap.py", "distances.py", "order.py"):
        path = root / name
        if path.exists():
            parts.append(f"{name} {hashlib.sha256(path.read_bytes()).hexdigest()[:10]}")
    return ", ".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 turf per size, short runs")
    parser.add_argument(
        "--json",
        nargs="?",
        const="",
        default=None,
        metavar="PATH",
        help="also write the results as JSON (default bench/results/routing-<date>.json)",
    )
    args = parser.parse_args(argv)
    settings = QUICK if args.quick else FULL
    started = time.perf_counter()
    runs = ", ".join(f"{k}: {r} x {s:g} s" for k, (r, s) in settings.runs.items())
    print(
        f"Canvass Planner routing benchmark, {dt.datetime.now():%Y-%m-%d %H:%M}, "
        f"{'quick' if args.quick else 'full'} run; code: {_code_version()}\n"
        "Open path, free start. Cost = walk metres + "
        f"{CROSSING.penalty_m:g} m per crossing leg (routing.distances.StopDistances.cost).\n"
        "Ratio = cost / best known cost on the same matrix: cost is what ours minimises, so "
        "best known is searched on cost too (walk metres alone are in the JSON).\n"
        "  street order: street name, then house number (Atlanta: street name, then metres "
        "along that street, both sides interleaved)\n"
        "  nearest nbr:  routing.order.nearest_neighbour_order on cost, best of all start stops\n"
        "  ours:         routing.order.order_stops(cost), default kicks\n"
        "  best known:   best of ours, fast_tsp.find_tour long runs on the dummy-city tour "
        f"(2 threads, cities relabelled per run; {runs})"
        f" and, up to {settings.exact_max} stops, the MILP optimum\n"
        "  gap to bound: best known / lower bound - 1 (the proven optimum where 'opt' counts it, "
        f"else a Held-Karp 1-tree bound, <= {settings.bound_s:g} s)\n"
        "  opt:          turfs whose best known is proven optimal (MILP with subtour cuts)\n"
        "  ours < long:  turfs where ours was strictly cheaper than every long run\n"
        "Barrier crossings, per method: crossing legs = legs from a door straight to a door "
        "across a barrier street (StopDistances.crosses, the legs the penalty is charged on);\n"
        "  side changes = times the walk is next at a door on the other side of such a street, "
        "through other stops or not (>= crossing legs);\n"
        "  2-sided streets = barrier streets with doors on both sides in the turf: each needs "
        ">= 1 side change, the lower bound;\n"
        "  beyond 1/street = side changes above that bound, summed over turfs (not all "
        "avoidable: a second crossing can walk shorter than a detour back);\n"
        "  ours on metres only = order_stops(metres), the order without the crossing rule.\n"
        f"Turfs: the k stops nearest along the streets to a random seed stop, numpy seed {SEED}, "
        f"{settings.per_size} per size; with synthetic barrier doors, turfs 1, 3 and 5 grow from "
        "one of them."
    )
    loaders: list[Callable[[], DataSet | None]] = [
        helsinki,
        lambda: atlanta(
            SHARED_DATA / "atlanta" / "central-atlanta-filtered.osm.pbf", "atlanta-central"
        ),
        lambda: atlanta(SHARED_DATA / "atlanta" / "cobb-county.filtered.osm.pbf", "atlanta-cobb"),
    ]
    data_sets: dict[str, object] = {}
    for load in loaders:
        data = load()
        if data is not None:
            data_sets[data.name] = benchmark(data, settings)
    total = time.perf_counter() - started
    print(f"\ntotal {total:.0f} s")
    if args.json is not None:
        out = (
            Path(args.json)
            if args.json
            else Path(__file__).resolve().parent / "results" / f"routing-{dt.date.today()}.json"
        )
        out.parent.mkdir(parents=True, exist_ok=True)
        report = {
            "date": dt.datetime.now().isoformat(timespec="seconds"),
            "quick": args.quick,
            "code": _code_version(),
            "total_s": total,
            "data_sets": data_sets,
        }
        out.write_text(json.dumps(report, indent=2, default=_plain))
        print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
