"""Turf cutting: our cutter against plain k-means on coordinates, side by side, same router.

Both methods cut the same stops into the same number of turfs (k-means gets k = the number of
turfs ``routing.cutting.cut_turfs`` made), and every turf of both is then walked by the same
router, ``routing.turfs.route_turf`` (default ``WalkModel``). Data sets:

- helsinki-demo: the demo extract's OSM address points, one stop per unique street + house
  number, with synthetic doors (seeded): 60 % apartment buildings of 5-30 doors, 40 % houses
  of 1-2;
- atlanta-central, atlanta-cobb (../shared/data/atlanta, skipped with a message if absent):
  synthetic stops every ~40 m on the centre line of residential streets, plus stops on both
  sides (5 m off the centre line) of half of the named primary/secondary/tertiary barrier
  streets, 1-2 doors each; the 778 stops nearest along the streets to the middle of the
  residential stops are cut (the size of the anchor in ../shared/BENCHMARKS.md).

Ours is shown before and after the moves between turfs (``routing.exchange``, on by default),
next to PyVRP run on the same stops, costs and turf count, free and with the size band forced
(``bench/turfs_pyvrp.py``, optional: ``pip install -e '.[bench]'``), and the lower bound; a
summary table at the end gives the issue's comparison (ours, PyVRP free, band forced, bound).

Sizes: turfs of ~50 stops (``TurfSize(doors=...)`` with the doors of 50 average stops) and of
120 minutes. For each it prints the turf count, total walk of all turfs (and ours over
k-means: the goal is <= 0.65x), turf sizes, the share within +-15 % of the target, barrier
crossings and time. A scale section times 1,000 stops (goal < 5 s) and 25,000 stops (goal
< 60 s on 2 cores) cut into 120-minute turfs and all routed, each in a fresh process so its
peak memory (``ru_maxrss``) is its own. Run from the repo root:

    python bench/bench_turfs.py [--quick]
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from scipy.sparse.csgraph import dijkstra, minimum_spanning_tree
from sklearn.cluster import KMeans
from turfs_pyvrp import pyvrp_cut

from geo.effort import TurfSize, WalkModel
from geo.osm import read_address_points
from geo.sample import demo_osm_path
from routing.cutting import cut_turfs, quiet_cells
from routing.snap import Snapped, snap_points
from routing.streets import StreetGraph, load_walk_graph
from routing.turfs import GroupWalks, group_walks, route_turf

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
ATLANTA = {
    "atlanta-central": SHARED_DATA / "atlanta" / "central-atlanta-filtered.osm.pbf",
    "atlanta-cobb": SHARED_DATA / "atlanta" / "cobb-county.filtered.osm.pbf",
}
SEED = 20260301
MODEL = WalkModel()
ANCHOR_STOPS = 778
STOPS_PER_TURF = 50
TURF_MINUTES = 120.0
TOLERANCE = 0.15
GOAL_RATIO = 0.65
DOOR_SPACING_M = 40.0
SYNTHETIC_HIGHWAYS = ("residential", "living_street", "unclassified", "road")
BARRIER_HIGHWAYS = ("primary", "secondary", "tertiary")
BARRIER_SHARE = 0.5
BARRIER_OFFSET_M = 5.0
APARTMENT_SHARE = 0.6
SCALE_GOALS_S = {1_000: 5.0, 25_000: 60.0}


# ----------------------------------------------------------------------------- data sets


@dataclass
class Stops:
    name: str
    graph: StreetGraph
    snapped: Snapped
    x: np.ndarray
    y: np.ndarray
    doors: np.ndarray
    notes: list[str] = field(default_factory=list)

    def subset(self, idx: np.ndarray) -> Stops:
        return Stops(
            self.name,
            self.graph,
            self.snapped.subset(idx),
            self.x[idx],
            self.y[idx],
            self.doors[idx],
            list(self.notes),
        )


def _snap_keep(graph: StreetGraph, x: np.ndarray, y: np.ndarray, notes: list[str]):
    snapped = snap_points(graph, x, y)
    keep = np.flatnonzero(~snapped.too_far)
    if len(keep) < len(x):
        notes.append(f"{len(x) - len(keep)} stops farther than 150 m from a street left out")
    return snapped.subset(keep), keep


def demo_stops() -> Stops | None:
    try:
        path = demo_osm_path()
    except FileNotFoundError as exc:
        print(f"skipping helsinki-demo: {exc}")
        return None
    graph = load_walk_graph(path)
    addresses = read_address_points(path)
    usable = addresses.loc[(addresses["street"] != "") & (addresses["house_number"] != "")]
    usable = usable.sort_values(["street", "house_number", "osm_type", "osm_id"])
    points = usable.drop_duplicates(["street", "house_number"]).reset_index(drop=True)
    notes = [f"{len(addresses)} OSM address objects, {len(points)} unique street + number"]
    x, y = graph.to_metric(points.geometry.x.to_numpy(), points.geometry.y.to_numpy())
    snapped, keep = _snap_keep(graph, x, y, notes)
    rng = np.random.default_rng(SEED)
    n = len(keep)
    apartment = rng.random(n) < APARTMENT_SHARE
    doors = np.where(apartment, rng.integers(5, 31, n), rng.integers(1, 3, n))
    notes.append(
        f"synthetic doors: {int(apartment.sum())} apartment buildings of 5-30, "
        f"{int((~apartment).sum())} houses of 1-2; {int(doors.sum())} doors in all"
    )
    return Stops("helsinki-demo", graph, snapped, x[keep], y[keep], doors, notes)


def _direction(lines: np.ndarray, position: np.ndarray, length: np.ndarray) -> np.ndarray:
    ahead = shapely.line_interpolate_point(lines, np.minimum(position + 0.5, length))
    behind = shapely.line_interpolate_point(lines, np.maximum(position - 0.5, 0.0))
    d = shapely.get_coordinates(ahead) - shapely.get_coordinates(behind)
    return d / np.maximum(np.hypot(d[:, 0], d[:, 1]), 1e-9)[:, None]


def _positions(
    edges: np.ndarray, lengths: np.ndarray, spacing: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    src_edge: list[np.ndarray] = []
    src_pos: list[np.ndarray] = []
    for e in edges:
        phase = rng.uniform(1.0, spacing)
        pos = np.arange(phase, lengths[e] - 1.0, spacing)
        src_edge.append(np.full(len(pos), e))
        src_pos.append(pos)
    if not src_edge:
        return np.array([], dtype=int), np.array([])
    return np.concatenate(src_edge).astype(int), np.concatenate(src_pos)


def synthetic_doors(
    graph: StreetGraph, spacing: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Stops on quiet residential centre lines and on both sides of some barrier streets.

    Returns x, y, whether each stop was placed beside a barrier street, and notes.
    """
    edges = graph.edges
    lengths = edges["length_m"].to_numpy()
    lines = edges.geometry.to_numpy()
    kind = edges["kind"].to_numpy()
    snappable = edges["snappable"].to_numpy()
    quiet = np.flatnonzero(
        (kind == "quiet") & edges["highway"].isin(SYNTHETIC_HIGHWAYS).to_numpy() & snappable
    )
    q_edge, q_pos = _positions(quiet, lengths, spacing, rng)
    q_xy = shapely.get_coordinates(shapely.line_interpolate_point(lines[q_edge], q_pos))

    names = edges["name"].to_numpy().astype(str)
    candidates = (
        (kind == "barrier")
        & edges["highway"].isin(BARRIER_HIGHWAYS).to_numpy()
        & snappable
        & (names != "")
    )
    street_names = sorted(set(names[candidates]))
    chosen_names = [s for s in street_names if rng.random() < BARRIER_SHARE]
    barrier = np.flatnonzero(candidates & np.isin(names, chosen_names))
    b_edge, b_pos = _positions(barrier, lengths, spacing, rng)
    foot = shapely.get_coordinates(shapely.line_interpolate_point(lines[b_edge], b_pos))
    direction = _direction(lines[b_edge], b_pos, lengths[b_edge])
    normal = np.column_stack([-direction[:, 1], direction[:, 0]])
    b_xy = np.vstack([foot + BARRIER_OFFSET_M * normal, foot - BARRIER_OFFSET_M * normal])
    b_own = np.concatenate([b_edge, b_edge])
    # Leave out stops that would stand in the median of a dual carriageway (or in a junction
    # of two barrier streets): another barrier edge, not joined to their own, is near.
    all_barrier = np.flatnonzero(kind == "barrier")
    tree = shapely.STRtree(lines[all_barrier])
    pt, hit = tree.query(shapely.points(b_xy), predicate="dwithin", distance=15.0)
    other = all_barrier[hit]
    u, v = edges["u"].to_numpy(), edges["v"].to_numpy()
    own = b_own[pt]
    joined = (
        (u[other] == u[own]) | (u[other] == v[own]) | (v[other] == u[own]) | (v[other] == v[own])
    )
    bad = np.zeros(len(b_xy), dtype=bool)
    bad[pt[(other != own) & ~joined]] = True
    b_xy = b_xy[~bad]
    notes = [
        f"{len(q_xy)} stops every ~{spacing:.0f} m on {len(quiet)} "
        f"{'/'.join(SYNTHETIC_HIGHWAYS)} edges; {len(b_xy)} on both sides "
        f"({BARRIER_OFFSET_M:.0f} m off) of {len(chosen_names)} of {len(street_names)} named "
        f"{'/'.join(BARRIER_HIGHWAYS)} barrier streets ({int(bad.sum())} in medians or "
        "junctions left out)"
    ]
    xy = np.vstack([q_xy, b_xy])
    beside = np.concatenate([np.zeros(len(q_xy), dtype=bool), np.ones(len(b_xy), dtype=bool)])
    return xy[:, 0], xy[:, 1], beside, notes


def network_nearest(graph: StreetGraph, snapped: Snapped, seed: int, k: int) -> np.ndarray:
    """Indices of the ``k`` stops nearest to stop ``seed`` along the streets (as bench_routing)."""
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
    return np.sort(np.argsort(best, kind="stable")[:k])


def atlanta_stops(
    name: str,
    *,
    spacing: float = DOOR_SPACING_M,
    nearest: int | None = ANCHOR_STOPS,
    seed: int = SEED,
) -> Stops | None:
    path = ATLANTA[name]
    if not path.exists():
        print(f"skipping {name}: {path} not found (the ../shared folder is absent here)")
        return None
    graph = load_walk_graph(path)
    rng = np.random.default_rng(seed)
    x, y, beside, notes = synthetic_doors(graph, spacing, rng)
    snapped, keep = _snap_keep(graph, x, y, notes)
    x, y, beside = x[keep], y[keep], beside[keep]
    doors = rng.integers(1, 3, len(keep))
    stops = Stops(name, graph, snapped, x, y, doors, notes)
    if nearest is not None and nearest < len(keep):
        # Seed: the residential stop nearest the middle of the residential stops (the middle
        # of all stops can fall downtown, where stops beside arterials would dominate).
        quiet = np.flatnonzero(~beside)
        qx, qy = x[quiet], y[quiet]
        middle = int(quiet[np.argmin(np.hypot(qx - np.median(qx), qy - np.median(qy)))])
        idx = network_nearest(graph, snapped, middle, nearest)
        stops = stops.subset(idx)
        beside = beside[idx]
        stops.notes.append(
            f"cut: the {nearest} stops nearest along the streets to the residential stop "
            "nearest the middle of the residential stops"
        )
    kinds = graph.edges["kind"].to_numpy()[stops.snapped.edge]
    facing = int(((kinds == "barrier") & (stops.snapped.side != 0)).sum())
    stops.notes.append(
        f"{len(stops.x)} stops, {int(stops.doors.sum())} doors (1-2 per stop); "
        f"{int(beside.sum())} placed beside a barrier street, {facing} snapped to one with a side"
    )
    return stops


# ----------------------------------------------------------------------------- methods


@dataclass
class Outcome:
    turfs: int
    walk_m: float
    sizes: list[float]
    """Minutes (or doors) of each turf, as routed."""
    stops: list[int]
    within: int
    crossings: int
    flagged: int | None
    """Turfs our cutter says cross a barrier (None for k-means)."""
    spanning: int
    """Turfs with stops in more than one quiet cell (areas between barrier streets)."""
    cut_s: float
    route_s: float


def _outcome(
    stops: Stops,
    size: TurfSize,
    target: float,
    cells: np.ndarray,
    members: list[np.ndarray],
    routes: list,
    flagged: int | None,
    cut_s: float,
    route_s: float,
) -> Outcome:
    if size.doors is not None:
        sizes = [float(stops.doors[m].sum()) for m in members]
    else:
        sizes = [r.minutes for r in routes]
    return Outcome(
        turfs=len(members),
        walk_m=float(sum(r.walk_m for r in routes)),
        sizes=sizes,
        stops=[len(m) for m in members],
        within=sum(abs(s / target - 1) <= TOLERANCE + 1e-9 for s in sizes),
        crossings=sum(r.barrier_crossings for r in routes),
        flagged=flagged,
        spanning=sum(len(np.unique(cells[m])) > 1 for m in members),
        cut_s=cut_s,
        route_s=route_s,
    )


def ours(
    stops: Stops, size: TurfSize, target: float, cells: np.ndarray, *, exchange: bool = True
) -> Outcome:
    started = time.perf_counter()
    cut, walks = cut_turfs(
        stops.graph,
        stops.snapped,
        stops.x,
        stops.y,
        stops.doors,
        np.array([""] * len(stops.x)),
        size=size,
        model=MODEL,
        exchange=exchange,
    )
    between = time.perf_counter()
    routes = [
        route_turf(stops.graph, walks[t.group], t.members, stops.doors, model=MODEL) for t in cut
    ]
    finished = time.perf_counter()
    members = [t.members for t in cut]
    covered = np.sort(np.concatenate(members))
    if not np.array_equal(covered, np.arange(len(stops.x))):
        raise RuntimeError(f"{stops.name}: cut_turfs did not put every stop in exactly one turf")
    flagged = sum(t.crosses_barrier for t in cut)
    return _outcome(
        stops, size, target, cells, members, routes, flagged, between - started, finished - between
    )


def kmeans(stops: Stops, size: TurfSize, target: float, cells: np.ndarray, k: int) -> Outcome:
    started = time.perf_counter()
    labels = KMeans(n_clusters=k, n_init=4, random_state=0).fit_predict(
        np.column_stack([stops.x, stops.y])
    )
    walks = group_walks(stops.graph, stops.snapped, pd.Series(labels.astype(str)))
    between = time.perf_counter()
    routes = [
        route_turf(stops.graph, w, w.positions, stops.doors, model=MODEL) for w in walks.values()
    ]
    finished = time.perf_counter()
    members = [w.positions for w in walks.values()]
    return _outcome(
        stops, size, target, cells, members, routes, None, between - started, finished - between
    )


PYVRP_RATE: dict[tuple[str, str, str], float] = {
    ("helsinki-demo", "doors", "free"): 2535.0,
    ("helsinki-demo", "doors", "band"): 1239.0,
    ("helsinki-demo", "doors", "bcel"): 1290.0,
    ("helsinki-demo", "min", "free"): 1333.9,
    ("atlanta-central", "doors", "free"): 2222.6,
    ("atlanta-central", "doors", "band"): 1962.5,
    ("atlanta-central", "doors", "bcel"): 2012.7,
    ("atlanta-central", "min", "free"): 1164.4,
    ("atlanta-cobb", "doors", "free"): 2608.2,
    ("atlanta-cobb", "doors", "band"): 2340.6,
    ("atlanta-cobb", "doors", "bcel"): 2421.0,
    ("atlanta-cobb", "min", "free"): 1495.8,
}
"""PyVRP iterations per second on the idle machine, by (instance, "doors" or "min", variant:
free, band, bcel), measured with ``--pyvrp-calibrate`` (a run on CPU time: PyVRP is one thread,
so CPU seconds are an idle machine's seconds). A reference of S seconds runs ``S * rate``
iterations, seeded, so it is the same run on every machine at any load."""


def pyvrp_rows(
    stops: Stops,
    size: TurfSize,
    target: float,
    cells: np.ndarray,
    turfs: int,
    everyone: GroupWalks,
    seconds: list[float],
    band: bool = False,
    calibrate: float | None = None,
) -> list[tuple[str, Outcome, bool]]:
    """PyVRP's cuts (see turfs_pyvrp.py), every turf routed by route_turf like ours.

    Each run stops after the iterations an idle machine makes in its seconds (``PYVRP_RATE``);
    with ``calibrate``, each variant instead runs that many CPU seconds and prints its rate.
    """
    n = len(stops.x)
    cost = everyone.distances.cost[:n, :n]
    metres = everyone.distances.metres[:n, :n]
    unit = "doors" if size.doors is not None else "min"
    variants = [(f"vrp{s:.0f}", s, "free") for s in seconds]
    if band and size.doors is not None and seconds:
        # Doors only: minutes are not a load PyVRP can force into a band.
        longest = max(seconds)
        variants += [
            (f"band{longest:.0f}", longest, "band"),
            (f"bcel{longest:.0f}", longest, "bcel"),
        ]
    if calibrate is not None:
        variants = [
            (f"{kind}{calibrate:.0f}cpu", calibrate, kind) for kind in ("free", "band", "bcel")
        ]
        variants = variants if band and size.doors is not None else variants[:1]
    rows = []
    free: list[np.ndarray] | None = None
    for name, limit, kind in variants:
        rate = PYVRP_RATE.get((stops.name, unit, kind))
        if calibrate is None and rate is None:
            print(f"   no PyVRP rate for {stops.name} {unit} {kind}: run --pyvrp-calibrate")
            continue
        started = time.perf_counter()
        cut = pyvrp_cut(
            cost,
            metres,
            stops.doors,
            cells,
            size=size,
            model=MODEL,
            turfs=turfs,
            iterations=None if rate is None or calibrate else round(rate * limit),
            cpu_seconds=calibrate,
            band=kind != "free",
            cell_charge=kind == "bcel",
            start=free if kind != "free" else None,
        )
        if cut is None:
            print("   PyVRP is not installed (pip install -e '.[bench]'): no reference rows")
            return []
        members, feasible, iterations = cut
        if calibrate is not None:
            print(
                f"   PyVRP {stops.name} {unit} {kind}: {iterations} iterations in {calibrate:.0f} "
                f"CPU s: ({stops.name!r}, {unit!r}, {kind!r}): {iterations / calibrate:.1f},"
            )
        if kind == "free" and limit == max(seconds or [limit]):
            free = members
        between = time.perf_counter()
        routes = [route_turf(stops.graph, everyone, m, stops.doors, model=MODEL) for m in members]
        finished = time.perf_counter()
        outcome = _outcome(
            stops, size, target, cells, members, routes, None, between - started, finished - between
        )
        rows.append((name, outcome, feasible))
    return rows


def sizes_for(stops: Stops) -> list[tuple[str, TurfSize, float]]:
    n = len(stops.x)
    turfs = max(1, round(n / STOPS_PER_TURF))
    per_turf = max(1, round(float(stops.doors.sum()) / turfs))
    return [
        (f"~{STOPS_PER_TURF} stops", TurfSize(minutes=None, doors=per_turf), float(per_turf)),
        (f"{TURF_MINUTES:.0f} min", TurfSize(minutes=TURF_MINUTES), TURF_MINUTES),
    ]


def _warm_up(stops: Stops) -> None:
    small = stops.subset(np.arange(min(40, len(stops.x))))
    cut_turfs(
        small.graph,
        small.snapped,
        small.x,
        small.y,
        small.doors,
        np.array([""] * len(small.x)),
        size=TurfSize(minutes=None, doors=max(1, int(small.doors.sum()) // 2)),
        model=MODEL,
    )


HEADER = (
    f"{'size':<11} {'method':<7} {'turfs':>5} {'walk km':>8} {'ratio':>6} "
    f"{'turf size min-max':>17} {'stops min-max':>13} {'±15%':>9} "
    f"{'cross':>5} {'flag':>4} {'span':>4} {'cut s':>6} {'route s':>7} {'total s':>7}"
)


def _row(label: str, method: str, o: Outcome, ratio: float | None) -> str:
    ratio_text = f"{ratio:6.3f}" if ratio is not None else f"{'1.000':>6}"
    share = f"{o.within}/{o.turfs} {100 * o.within / o.turfs:3.0f}%"
    flag = "-" if o.flagged is None else str(o.flagged)
    return (
        f"{label:<11} {method:<7} {o.turfs:>5} {o.walk_m / 1000:8.2f} {ratio_text} "
        f"{f'{min(o.sizes):.0f}-{max(o.sizes):.0f}':>17} "
        f"{f'{min(o.stops)}-{max(o.stops)}':>13} {share:>9} "
        f"{o.crossings:>5} {flag:>4} {o.spanning:>4} {o.cut_s:6.2f} {o.route_s:7.2f} "
        f"{o.cut_s + o.route_s:7.2f}"
    )


def forest_bound_m(metres: np.ndarray, parts: int) -> float:
    """Least total walk of any ``parts`` open walks that together visit every stop.

    The walks are paths, so together they are a spanning forest of ``parts`` trees, which
    weighs at least the minimum spanning tree less its ``parts - 1`` longest edges.
    """
    weights = np.where(metres > 0, metres, 1e-9)  # csgraph reads 0 as "no edge"
    np.fill_diagonal(weights, 0.0)
    edges = np.sort(minimum_spanning_tree(weights).data)
    return float(edges[: max(len(edges) - (parts - 1), 0)].sum())


def compare(
    stops: Stops,
    surprises: list[str],
    seconds: list[float],
    band: bool = False,
    summary: list[str] | None = None,
    calibrate: float | None = None,
) -> None:
    print(
        f"\n== {stops.name}: {len(stops.x)} stops, {int(stops.doors.sum())} doors; graph "
        f"{stops.graph.node_count} nodes, {len(stops.graph.edges)} edges"
    )
    for note in stops.notes:
        print(f"   {note}")
    _warm_up(stops)
    cells = quiet_cells(stops.graph, stops.x, stops.y)
    print(f"   {len(np.unique(cells))} quiet cells (areas between barrier streets) hold stops")
    labels = pd.Series(np.zeros(len(stops.x), dtype=int).astype(str))
    everyone = group_walks(stops.graph, stops.snapped, labels)["0"]
    metres = everyone.distances.metres
    print(HEADER)
    for label, size, target in sizes_for(stops):
        unit = "doors" if size.doors is not None else "min"
        before = ours(stops, size, target, cells, exchange=False)
        o = ours(stops, size, target, cells)
        k = kmeans(stops, size, target, cells, o.turfs)
        ratio = o.walk_m / k.walk_m
        bound = forest_bound_m(metres[: len(stops.x), : len(stops.x)], o.turfs) / k.walk_m
        print(_row(f"{label}", "k-means", k, None))
        print(_row(f"{target:.0f} {unit}", "before", before, before.walk_m / k.walk_m))
        print(_row("", "ours", o, ratio))
        print(f"{'':<11} {'bound':<7} {o.turfs:>5} {bound * k.walk_m / 1000:8.2f} {bound:6.3f}")
        versus = [f"ours/before {o.walk_m / before.walk_m:.3f}"]
        cells_of_row = [
            f"{stops.name} {target:.0f} {unit}, {o.turfs}",
            f"{before.walk_m / 1000:.2f} ({before.within}/{before.turfs})",
            f"{o.walk_m / 1000:.2f} ({o.within}/{o.turfs}, {o.walk_m / before.walk_m:.3f}x, "
            f"{o.cut_s + o.route_s:.1f} s)",
        ]
        for name, ref, feasible in pyvrp_rows(
            stops, size, target, cells, o.turfs, everyone, seconds, band, calibrate
        ):
            print(_row("", name, ref, ref.walk_m / k.walk_m) + ("" if feasible else " infeas"))
            versus.append(f"ours/PyVRP {name} {o.walk_m / ref.walk_m:.3f}")
            cells_of_row.append(
                f"{name} {ref.walk_m / 1000:.2f} ({ref.within}/{ref.turfs}, "
                f"ours {o.walk_m / ref.walk_m:.2f}x{'' if feasible else ', infeas'})"
            )
        cells_of_row.append(f"{bound * k.walk_m / 1000:.2f} (ours {ratio / bound:.2f}x)")
        if summary is not None:
            summary.append("| " + " | ".join(cells_of_row) + " |")
        print(f"{'':<11} {'; '.join(versus)}")
        if o.walk_m > 0.95 * before.walk_m:
            surprises.append(
                f"{stops.name}, {label}: exchange saves only "
                f"{100 * (1 - o.walk_m / before.walk_m):.1f} % (goal >= 5 %)"
            )
        if ratio > GOAL_RATIO:
            reach = (
                "below the bound: no cut reaches it here"
                if bound > GOAL_RATIO
                else "not ruled out by the bound"
            )
            surprises.append(
                f"{stops.name}, {label}: ours walks {ratio:.3f}x k-means (goal <= {GOAL_RATIO}, "
                f"{reach}; bound {bound:.3f}x)"
            )
        if o.within < o.turfs:
            surprises.append(
                f"{stops.name}, {label}: {o.turfs - o.within} of {o.turfs} of our turfs are "
                f"outside ±15% of {target:.0f} {unit} ({min(o.sizes):.0f}-{max(o.sizes):.0f})"
            )
        if o.crossings > k.crossings:
            surprises.append(
                f"{stops.name}, {label}: ours makes more barrier crossings ({o.crossings}) than "
                f"k-means ({k.crossings})"
            )


# ----------------------------------------------------------------------------- scale


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def scale_child(total: int) -> dict[str, object]:
    """Cut ``total`` Atlanta stops into 120-minute turfs and route them all (run in a child)."""
    started = time.perf_counter()
    parts: list[Stops] = []
    if total <= 2_000:
        one = atlanta_stops("atlanta-cobb", nearest=total)
        if one is not None:
            parts.append(one)
    else:
        # Both extracts, stops spaced so that they add up to ``total``.
        graphs = {name: load_walk_graph(path) for name, path in ATLANTA.items() if path.exists()}
        if len(graphs) < len(ATLANTA):
            return {"skipped": "an Atlanta extract is missing"}
        probe = {
            name: len(synthetic_doors(g, DOOR_SPACING_M, np.random.default_rng(SEED))[0])
            for name, g in graphs.items()
        }
        spacing = DOOR_SPACING_M * sum(probe.values()) / total * 0.99
        for name in graphs:
            stops = atlanta_stops(name, spacing=spacing, nearest=None)
            assert stops is not None
            parts.append(stops)
        extra = sum(len(p.x) for p in parts) - total
        if extra > 0:  # drop a few at random so the count is exact
            biggest = max(range(len(parts)), key=lambda i: len(parts[i].x))
            p = parts[biggest]
            drop = np.random.default_rng(SEED).choice(len(p.x), extra, replace=False)
            parts[biggest] = p.subset(np.setdiff1d(np.arange(len(p.x)), drop))
            parts[biggest].notes.append(f"{extra} stops dropped at random to make {total} in all")
    if not parts:
        return {"skipped": "the Cobb extract is missing"}
    for p in parts:
        _warm_up(p)
    prepared_s = time.perf_counter() - started
    before_mb = _peak_mb()
    size = TurfSize(minutes=TURF_MINUTES)
    rows = []
    for p in parts:
        cells = np.zeros(len(p.x), dtype=int)
        o = ours(p, size, TURF_MINUTES, cells)
        rows.append(
            {
                "name": p.name,
                "stops": len(p.x),
                "doors": int(p.doors.sum()),
                "turfs": o.turfs,
                "within": o.within,
                "min": min(o.sizes),
                "max": max(o.sizes),
                "flagged": o.flagged,
                "crossings": o.crossings,
                "cut_s": o.cut_s,
                "route_s": o.route_s,
                "notes": p.notes,
            }
        )
    return {"prepared_s": prepared_s, "before_mb": before_mb, "peak_mb": _peak_mb(), "rows": rows}


def scale(total: int, surprises: list[str]) -> None:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--scale-child", str(total)],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
        check=False,
    )
    wall = time.perf_counter() - started
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-15:])
        print(f"{total:>6} FAILED (exit {done.returncode}):\n{tail}")
        surprises.append(f"scale {total}: the child process failed")
        return
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if "skipped" in result:
        print(f"{total:>6} skipped: {result['skipped']}")
        return
    rows = result["rows"]
    cut = sum(r["cut_s"] for r in rows)
    route = sum(r["route_s"] for r in rows)
    turfs = sum(r["turfs"] for r in rows)
    within = sum(r["within"] for r in rows)
    goal = SCALE_GOALS_S[total]
    print(
        f"{total:>6} {turfs:>5} {min(r['min'] for r in rows):5.0f}-"
        f"{max(r['max'] for r in rows):<5.0f} {within:>5}/{turfs:<5} "
        f"{sum(r['flagged'] for r in rows):>4} {cut:7.1f} {route:7.1f} {cut + route:7.1f} "
        f"{'yes' if cut + route < goal else 'NO':>4} "
        f"{result['before_mb']:7.0f} {result['peak_mb']:7.0f}   "
        f"(data prepared in {result['prepared_s']:.1f} s; process {wall:.0f} s)"
    )
    for r in rows:
        print(
            f"       {r['name']}: {r['stops']} stops, {r['doors']} doors -> {r['turfs']} turfs, "
            f"{r['within']} within ±15%, {r['min']:.0f}-{r['max']:.0f} min, "
            f"cut {r['cut_s']:.1f} s + route {r['route_s']:.1f} s"
        )
        for note in r["notes"]:
            print(f"         {note}")
    if cut + route >= goal:
        surprises.append(f"scale {total}: {cut + route:.1f} s misses the goal of {goal:.0f} s")


# ----------------------------------------------------------------------------- main


def _code_version() -> str:
    root = Path(__file__).resolve().parents[1] / "routing"
    parts = []
    names = ("cutting.py", "turfs.py", "distances.py", "order.py", "streets.py", "exchange.py")
    for name in (*names, "_exchange_search.py", "_exchange_kicks.py", "_paths.py"):
        path = root / name
        if path.exists():
            parts.append(f"{name} {hashlib.sha256(path.read_bytes()).hexdigest()[:10]}")
    return ", ".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the 25,000-stop scale run")
    parser.add_argument(
        "--pyvrp-seconds",
        type=float,
        nargs="*",
        default=[10.0, 60.0],
        help="PyVRP reference runs per size (seconds each on an idle machine, run as that many "
        "iterations; none: no reference rows)",
    )
    parser.add_argument(
        "--pyvrp-calibrate",
        type=float,
        metavar="CPU_SECONDS",
        help="run each PyVRP variant this many CPU seconds instead and print its iterations per "
        "second (the PYVRP_RATE table)",
    )
    parser.add_argument(
        "--no-pyvrp-band",
        dest="pyvrp_band",
        action="store_false",
        help="leave out PyVRP with the size band forced (slack clients; doors sizes only)",
    )
    parser.add_argument("--scale-child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.scale_child:
        print(json.dumps(scale_child(args.scale_child)))
        return 0
    started = time.perf_counter()
    print(
        f"Canvass Planner turf-cutting benchmark, {dt.datetime.now():%Y-%m-%d %H:%M}, "
        f"{'quick' if args.quick else 'full'} run, {os.cpu_count()} cores; "
        f"code: {_code_version()}\n"
        "  k-means: sklearn KMeans(n_init=4, random_state=0) on projected stop coordinates, k = "
        "our turf count;\n"
        "  ours:    routing.cutting.cut_turfs (no precincts); every turf of both then routed by "
        "routing.turfs.route_turf, default WalkModel; before: the same without the moves between "
        "turfs (exchange=False).\n"
        "  PyVRP:   same stops, costs and turf count, open walks, routed by route_turf "
        "(bench/turfs_pyvrp.py), vrpS = PyVRP run the iterations of S idle seconds, seeded: "
        "at most +15 %, undersized allowed; "
        "bandS = doors forced into ±15 %; bcelS = band + 2,000 m per leg between quiet cells; "
        "infeas = PyVRP's answer broke its own constraints.\n"
        "  walk km: total walk_m of all turfs; ratio: ours / k-means (goal <= 0.65; anchors: "
        "size-constrained k-means 0.91, METIS 0.71, route-first 0.66)\n"
        "  turf size: doors (~50-stop rows) or routed minutes (120-minute rows); ±15%: turfs "
        "within 15 % of the target\n"
        "  cross: sum of TurfRoute.barrier_crossings; flag: turfs with CutTurf.crosses_barrier; "
        "span: turfs with stops in more than one quiet cell\n"
        "  cut s: cut_turfs (ours) or KMeans + group_walks distances (k-means); route s: "
        "route_turf on every turf\n"
        "  bound: no cut into that many turfs walks less (each turf's walk is a path, so all of "
        "them weigh at least the minimum spanning tree of the door-to-door distances less its "
        "turfs - 1 longest edges); ratio to k-means"
    )
    surprises: list[str] = []
    summary: list[str] = []
    loaders: list[Callable[[], Stops | None]] = [
        demo_stops,
        lambda: atlanta_stops("atlanta-central"),
        lambda: atlanta_stops("atlanta-cobb"),
    ]
    for load in loaders:
        stops = load()
        if stops is not None:
            compare(
                stops, surprises, args.pyvrp_seconds, args.pyvrp_band, summary, args.pyvrp_calibrate
            )
    print(
        "\n== summary (walk km; turfs within ±15 %; PyVRP columns: its km, its turfs in band, "
        "ours over it; bound: no cut walks less)\n"
        "| instance, turfs | before | ours | PyVRP runs ... | bound |"
    )
    for line in summary:
        print(line)
    print(
        "\n== scale: Atlanta stops cut into 120-minute turfs and all routed (each size in a fresh "
        "process; time excludes loading and door placement)\n"
        "   1,000: the stops nearest along the streets to the middle of Cobb (every ~40 m); "
        "25,000: central + Cobb, stops spaced to add up to 25,000\n"
        f"{'stops':>6} {'turfs':>5} {'min-max':>11} {'±15%':>11} {'flag':>4} {'cut s':>7} "
        f"{'route s':>7} {'total s':>7} {'goal':>4} {'MB pre':>7} {'MB peak':>7}"
    )
    for total in (1_000,) if args.quick else (1_000, 25_000):
        scale(total, surprises)
    for s in surprises:
        print(f"NOTE: {s}")
    print(f"\ntotal {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
