"""Placing stops on the street graph: nearest walkable edge, position along it, side of street."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from routing.street_graph import StreetGraph


@dataclass(frozen=True)
class Snapped:
    """Where each point meets the street graph (arrays aligned with the input points)."""

    edge: np.ndarray
    """Index into ``graph.edges``."""
    position_m: np.ndarray
    """Distance from the edge's ``u`` end along the edge to the foot of the point."""
    offset_m: np.ndarray
    """Straight-line distance from the point to the edge."""
    side: np.ndarray
    """+1 when the point is left of the edge direction (u to v), -1 right, 0 on it."""
    too_far: np.ndarray
    """True where the nearest street is farther than the allowed distance."""
    on_island: np.ndarray
    """True where a street that is not connected to the main network lies closer than any
    connected one: the stop is probably only reachable from that disconnected piece."""

    def subset(self, index: np.ndarray) -> Snapped:
        """The snapping of the points at ``index``."""
        return Snapped(
            edge=self.edge[index],
            position_m=self.position_m[index],
            offset_m=self.offset_m[index],
            side=self.side[index],
            too_far=self.too_far[index],
            on_island=self.on_island[index],
        )


def snap_points(
    graph: StreetGraph, x: np.ndarray, y: np.ndarray, *, max_distance_m: float = 150.0
) -> Snapped:
    """Snap projected points to their nearest snappable edge in one vectorised query.

    Parameters
    ----------
    graph
        The walk graph; its ``edges.snappable`` column excludes crossings, steps and the like.
    x, y
        Point coordinates in the graph's metric CRS.
    max_distance_m
        Points farther than this from any snappable edge are flagged in ``too_far``; they are
        still snapped so that callers can report where they are.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    candidates = np.flatnonzero(graph.edges["snappable"].to_numpy())
    lines = graph.edges.geometry.to_numpy()[candidates]
    tree = shapely.STRtree(lines)
    points = shapely.points(x, y)
    if len(points) == 0:
        empty = np.array([], dtype=float)
        none = np.array([], dtype=bool)
        return Snapped(np.array([], dtype=int), empty, empty, empty, none, none)
    (point_index, line_index), distance = tree.query_nearest(
        points, return_distance=True, all_matches=False
    )
    order = np.argsort(point_index, kind="stable")
    edge = candidates[line_index[order]]
    distance = distance[order]
    chosen = graph.edges.geometry.to_numpy()[edge]
    position = shapely.line_locate_point(chosen, points)
    length = graph.edges["length_m"].to_numpy()[edge]
    # Direction of the edge at the foot point, from two points half a metre apart.
    ahead = shapely.line_interpolate_point(chosen, np.minimum(position + 0.5, length))
    behind = shapely.line_interpolate_point(chosen, np.maximum(position - 0.5, 0.0))
    dx, dy = (shapely.get_coordinates(ahead) - shapely.get_coordinates(behind)).T
    foot = shapely.get_coordinates(shapely.line_interpolate_point(chosen, position))
    cross = dx * (y - foot[:, 1]) - dy * (x - foot[:, 0])
    side = np.sign(np.where(distance < 0.01, 0.0, cross)).astype(int)
    on_island = np.zeros(len(points), dtype=bool)
    if len(graph.islands):
        islands = shapely.STRtree(graph.islands.geometry.to_numpy())
        (island_point, _), island_distance = islands.query_nearest(
            points, return_distance=True, all_matches=False, max_distance=max_distance_m
        )
        nearer = island_distance < distance[island_point]
        on_island[island_point[nearer]] = True
    return Snapped(
        edge=edge,
        position_m=position,
        offset_m=distance,
        side=side,
        too_far=distance > max_distance_m,
        on_island=on_island,
    )
