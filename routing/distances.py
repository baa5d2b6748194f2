"""Walking distances between stops along the street graph, and the paths behind them."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import shapely
from scipy.sparse.csgraph import dijkstra

from routing.local_search import _compiled
from routing.snap import Snapped
from routing.street_graph import StreetGraph

# Multi-source Dijkstra rows are (sources x nodes); bound the block to keep memory small.
_SOURCE_BLOCK = 256
SAME_EDGE = 4
# A door this close to a barrier street is on one of its sides (see CrossingRule).
NEAR_BARRIER_M = 60.0


@dataclass(frozen=True)
class StopDistances:
    """Door-to-door walking metres between snapped stops, including the way along each edge."""

    metres: np.ndarray
    """(n, n) symmetric matrix of walking metres."""
    via: np.ndarray
    """(n, n) which ends of the two edges the shortest walk leaves and enters by:
    ``2 * a + b`` with ``a``/``b`` 0 for the edge's ``u`` end and 1 for ``v``; ``SAME_EDGE``
    when walking straight along a shared edge is shortest."""
    end_nodes: np.ndarray
    """(n, 2) node indices of the ``u`` and ``v`` ends of each stop's edge."""
    end_cost_m: np.ndarray
    """(n, 2) metres from each stop along its edge to its ``u`` and ``v`` ends."""
    snapped: Snapped
    crosses: np.ndarray
    """(n, n) True where the two stops face each other across a barrier street, so walking
    from one to the other means crossing it at an intersection."""
    crossing_penalty_m: float = 0.0

    @property
    def cost(self) -> np.ndarray:
        """What the walk order minimises: metres, plus a penalty per barrier crossing."""
        return self.metres + self.crosses * self.crossing_penalty_m

    def cost_between(self, stops: np.ndarray) -> np.ndarray:
        """``cost`` among ``stops`` only (cheaper than slicing ``cost`` of a big group)."""
        pick = np.ix_(stops, stops)
        return self.metres[pick] + self.crosses[pick] * self.crossing_penalty_m


@dataclass(frozen=True)
class CrossingRule:
    """How crossing a street between two doors is costed.

    Quiet streets (and footways) are crossed freely, so both sides are worked in one
    zig-zag pass. Barrier streets (see ``routing.street_graph``) are never crossed mid-block:
    doors facing each other across one are joined through an intersection, and each such
    crossing costs ``penalty_m`` extra metres of walking (waiting at lights, finding a
    crossing), so a route works one side for a block and comes back on the other.
    """

    penalty_m: float = 60.0


def _door_points(graph: StreetGraph, snapped: Snapped) -> np.ndarray:
    """(n, 2) where each door is: its foot on the edge, moved ``offset_m`` to its side."""
    lines = graph.edges.geometry.to_numpy()[snapped.edge]
    foot, normal = _foot_and_left_normal(lines, snapped.position_m)
    return foot + normal * (snapped.side * snapped.offset_m)[:, None]


def _foot_and_left_normal(lines: np.ndarray, position: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Points ``position`` metres along ``lines`` and the unit normal to their left there."""
    length = shapely.length(lines)
    ahead = shapely.get_coordinates(
        shapely.line_interpolate_point(lines, np.minimum(position + 0.5, length))
    )
    behind = shapely.get_coordinates(
        shapely.line_interpolate_point(lines, np.maximum(position - 0.5, 0.0))
    )
    foot = shapely.get_coordinates(shapely.line_interpolate_point(lines, position))
    direction = ahead - behind
    norm = np.hypot(direction[:, 0], direction[:, 1])
    direction = direction / np.where(norm > 0, norm, 1.0)[:, None]
    return foot, np.column_stack([-direction[:, 1], direction[:, 0]])


def _barrier_sides(graph: StreetGraph, snapped: Snapped) -> tuple[np.ndarray, np.ndarray]:
    """For each door, the barrier street within ``NEAR_BARRIER_M`` of it and the side it is on.

    Returns the street's label ('' where none is near) and a unit vector from the street's
    centre line towards the door (zero where the door is on the line).
    """
    edges = graph.edges
    n = len(snapped.edge)
    label = np.full(n, "", dtype=object)
    towards = np.zeros((n, 2))
    barrier = np.flatnonzero((edges["kind"] == "barrier").to_numpy())
    if n == 0 or len(barrier) == 0:
        return label, towards
    lines = edges.geometry.to_numpy()[barrier]
    doors = _door_points(graph, snapped)
    tree = shapely.STRtree(lines)
    (door, nearest), _ = tree.query_nearest(
        shapely.points(doors), max_distance=NEAR_BARRIER_M, return_distance=True,
        all_matches=False,
    )  # fmt: skip
    hit = barrier[nearest]
    names = edges["name"].to_numpy()[hit].astype(str)
    ways = edges["way_id"].to_numpy()[hit].astype(str)
    label[door] = np.where(names != "", names, "way:" + ways)
    position = shapely.line_locate_point(lines[nearest], shapely.points(doors[door]))
    foot, left = _foot_and_left_normal(lines[nearest], position)
    away = doors[door] - foot
    # Which side, as a direction in the plane: comparable between edges of any direction.
    side = np.sign(np.einsum("ij,ij->i", away, left))
    towards[door] = left * side[:, None]
    return label, towards


def _opposite_sides_of_a_barrier(graph: StreetGraph, snapped: Snapped) -> np.ndarray:
    """(n, n) True for doors on opposite sides of the same barrier street.

    Doors count as beside a barrier street when it is the nearest one within
    ``NEAR_BARRIER_M``, wherever they are snapped: a door on a side street just off an
    arterial is on one side of it, so walking from it to a door on the far side crosses.
    """
    label, towards = _barrier_sides(graph, snapped)
    near = np.flatnonzero(label != "")
    crosses = np.zeros((len(label), len(label)), dtype=bool)
    if len(near) == 0:
        return crosses
    # Only doors beside a barrier can cross one: compare those, by integer street codes.
    street = np.unique(label[near], return_inverse=True)[1]
    same_street = street[:, None] == street[None, :]
    facing = towards[near] @ towards[near].T
    crosses[np.ix_(near, near)] = same_street & (facing < -0.5)
    return crosses


def stop_distances(
    graph: StreetGraph, snapped: Snapped, *, crossing: CrossingRule | None = None
) -> StopDistances:
    """Compute all stop-to-stop walking distances with one Dijkstra pass per distinct end node.

    Only nodes at the ends of the stops' own edges are sources, so the work grows with the
    number of stops, not with the size of the city. Doors across a barrier street from each
    other are joined through an intersection, never straight across (see ``CrossingRule``).
    """
    crossing = crossing or CrossingRule()
    edges = graph.edges
    u = edges["u"].to_numpy()[snapped.edge]
    v = edges["v"].to_numpy()[snapped.edge]
    length = edges["length_m"].to_numpy()[snapped.edge]
    end_nodes = np.column_stack([u, v])
    end_cost = np.column_stack([snapped.position_m, length - snapped.position_m])
    sources, where = np.unique(end_nodes.ravel(), return_inverse=True)
    where = where.reshape(-1, 2)
    between = _node_distances(graph, sources)

    crosses = _opposite_sides_of_a_barrier(graph, snapped)
    metres, via = _end_to_end(between, np.ascontiguousarray(where), end_cost)
    _along_shared_edges(snapped, crosses, metres, via)
    np.fill_diagonal(metres, 0.0)
    np.fill_diagonal(via, SAME_EDGE)
    # The 2x2 end choices are mirror images; average float noise away so it stays symmetric.
    np.minimum(metres, metres.T, out=metres)
    return StopDistances(
        metres=metres,
        via=via,
        end_nodes=end_nodes,
        end_cost_m=end_cost,
        snapped=snapped,
        crosses=crosses,
        crossing_penalty_m=crossing.penalty_m,
    )


@_compiled
def _end_to_end(
    between: np.ndarray, where: np.ndarray, end_cost: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(n, n) metres between stops through the ends of their edges, and which ends (``via``).

    The best of the four ways (leave by end ``a``, enter by end ``b``), the first on ties, in
    one compiled pass: no (4, n, n) array of candidates, which took a county 1.4 GB.
    """
    n = len(where)
    metres = np.empty((n, n))
    via = np.zeros((n, n), dtype=np.int8)
    for i in range(n):
        for j in range(n):
            best = between[where[i, 0], where[j, 0]] + end_cost[i, 0] + end_cost[j, 0]
            way = 0
            for candidate in range(1, 4):
                a, b = candidate // 2, candidate % 2
                walk = between[where[i, a], where[j, b]] + end_cost[i, a] + end_cost[j, b]
                if walk < best:
                    best, way = walk, candidate
            metres[i, j] = best
            via[i, j] = way
    return metres, via


def _along_shared_edges(
    snapped: Snapped, crosses: np.ndarray, metres: np.ndarray, via: np.ndarray
) -> None:
    """Walk straight along an edge two stops share where that is shorter (in place).

    Only pairs on one edge are looked at (sorted by edge), not all n x n pairs.
    """
    order = np.argsort(snapped.edge, kind="stable")
    edges = snapped.edge[order]
    starts = np.flatnonzero(np.r_[True, edges[1:] != edges[:-1]])
    sizes = np.diff(np.r_[starts, len(order)])
    for start, size in zip(starts[sizes > 1], sizes[sizes > 1], strict=True):
        members = order[start : start + size]
        pick = np.ix_(members, members)
        position = snapped.position_m[members]
        along = np.abs(position[:, None] - position[None, :])
        shorter = (along < metres[pick]) & ~crosses[pick]
        rows, columns = np.nonzero(shorter)
        metres[members[rows], members[columns]] = along[rows, columns]
        via[members[rows], members[columns]] = SAME_EDGE


def _node_distances(graph: StreetGraph, sources: np.ndarray) -> np.ndarray:
    """Walking metres between every pair of ``sources`` nodes.

    Each Dijkstra stops at a radius a few times the spread of the sources, so a turf's
    distances do not cost a search of the whole city; pairs beyond it are searched again
    without the limit.
    """
    xy = graph.node_xy[sources]
    spread = float(np.hypot(*(xy.max(axis=0) - xy.min(axis=0)))) if len(xy) else 0.0
    limit = 3.0 * spread + 500.0
    between = np.empty((len(sources), len(sources)))
    for start in range(0, len(sources), _SOURCE_BLOCK):
        block = sources[start : start + _SOURCE_BLOCK]
        rows = dijkstra(graph.matrix, directed=False, indices=block, limit=limit)
        between[start : start + len(block)] = rows[:, sources]
    unreached = np.flatnonzero(~np.isfinite(between).all(axis=1))
    if len(unreached):
        rows = dijkstra(graph.matrix, directed=False, indices=sources[unreached])
        between[unreached] = rows[:, sources]
        between = np.minimum(between, between.T)
    return between


def _node_path(graph: StreetGraph, source: int, target: int, within_m: float) -> list[int]:
    if source == target:
        return [source]
    # The two nodes are at most ``within_m`` apart: search no farther (a city graph is big).
    _, predecessors = dijkstra(
        graph.matrix,
        directed=False,
        indices=source,
        return_predecessors=True,
        limit=within_m * (1 + 1e-9) + 1e-6,
    )
    path = [target]
    while path[-1] != source:
        previous = int(predecessors[path[-1]])
        if previous < 0:
            raise ValueError(f"nodes {source} and {target} are not connected")
        path.append(previous)
    return path[::-1]


def along_line(vertices: np.ndarray, start_m: float, end_m: float) -> np.ndarray:
    """Coordinates of a line from ``start_m`` to ``end_m`` metres along it (either way round).

    ``shapely.ops.substring`` on the line's (m, 2) ``vertices``, compiled: a walk's line has
    two such pieces per leg, and the shapely function took seconds to trace a county's
    walks. Both distances lie within the line; equal distances give the one point there.
    """
    return _along_line(np.ascontiguousarray(vertices, dtype=np.float64), start_m, end_m)


@_compiled
def _along_line(vertices: np.ndarray, start_m: float, end_m: float) -> np.ndarray:
    m = len(vertices)
    travelled = np.zeros(m)
    for k in range(1, m):
        dx = vertices[k, 0] - vertices[k - 1, 0]
        dy = vertices[k, 1] - vertices[k - 1, 1]
        travelled[k] = travelled[k - 1] + np.sqrt(dx * dx + dy * dy)
    low, high = min(start_m, end_m), max(start_m, end_m)
    out = np.empty((m + 2, 2))
    out[0] = _point_along(vertices, travelled, start_m)
    if start_m == end_m:
        return out[:1]
    count = 1
    # Vertices strictly between the two distances; the last vertex is the line's end, never
    # between (as in shapely).
    inner = [k for k in range(m - 1) if max(low, 0.0) < travelled[k] < high]
    if start_m > end_m:
        inner = inner[::-1]
    for k in inner:
        out[count] = vertices[k]
        count += 1
    out[count] = _point_along(vertices, travelled, end_m)
    return out[: count + 1]


@_compiled
def _point_along(vertices: np.ndarray, travelled: np.ndarray, at_m: float) -> np.ndarray:
    """The point ``at_m`` metres along the line (clamped to its ends)."""
    at_m = min(max(at_m, 0.0), travelled[-1])
    segment = 0
    while segment < len(vertices) - 2 and travelled[segment + 1] <= at_m:
        segment += 1
    length = travelled[segment + 1] - travelled[segment]
    share = (at_m - travelled[segment]) / length if length > 0 else 0.0
    return vertices[segment] + share * (vertices[segment + 1] - vertices[segment])


def leg_line(graph: StreetGraph, distances: StopDistances, i: int, j: int) -> np.ndarray:
    """Coordinates (metric CRS) of the walk from stop ``i`` to stop ``j`` along the streets."""
    snapped = distances.snapped
    columns = graph.edge_columns
    edge_i, edge_j = int(snapped.edge[i]), int(snapped.edge[j])
    pos_i, pos_j = float(snapped.position_m[i]), float(snapped.position_m[j])
    via = int(distances.via[i, j])
    if via == SAME_EDGE:
        return along_line(columns.vertices(edge_i), pos_i, pos_j)
    a, b = divmod(via, 2)
    length_i = float(columns.length_m[edge_i])
    length_j = float(columns.length_m[edge_j])
    pieces = [along_line(columns.vertices(edge_i), pos_i, 0.0 if a == 0 else length_i)]
    nodes = _node_path(
        graph,
        int(distances.end_nodes[i, a]),
        int(distances.end_nodes[j, b]),
        within_m=float(distances.metres[i, j]),
    )
    u_column = columns.u
    for p, q in itertools.pairwise(nodes):
        edge = graph.edge_between(p, q)
        coords = columns.vertices(edge)
        pieces.append(coords if u_column[edge] == p else coords[::-1])
    pieces.append(along_line(columns.vertices(edge_j), 0.0 if b == 0 else length_j, pos_j))
    line = np.vstack([p.reshape(-1, 2) for p in pieces if len(p)])
    # Drop repeated vertices where the pieces meet.
    keep = np.ones(len(line), dtype=bool)
    keep[1:] = np.any(np.abs(np.diff(line, axis=0)) > 1e-9, axis=1)
    return line[keep]
