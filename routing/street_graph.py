"""The walkable street graph: which ways can be walked, how edges are classified, the graph.

The ways come from ``routing._sources`` (OSM extracts, osmnx graphs) and the graph is
loaded with ``routing.streets.load_walk_graph``.

Edge kinds (the rule, in order):

``barrier``
    A street a canvasser must not walk along zig-zagging between doors: ``highway`` is
    motorway, trunk, primary or secondary (or their ``_link``), or it has 4 or more ``lanes``,
    or ``maxspeed`` of 60 km/h (40 mph) or more.
``quiet``
    ``residential``, ``living_street``, ``service``, ``unclassified`` or ``road`` without any of
    the barrier tags: both sides can be worked in one pass.
``path``
    Footways, paths, pedestrian streets, steps, cycleways, tracks and corridors.
``street``
    Any other walkable street (``tertiary`` and the like).

Ways tagged ``foot=no``, ``access=private``/``no`` (without a foot permission), motorways and
trunk roads without ``foot=yes``, and ways under construction are not walkable. Crossings,
steps, corridors, platforms and elevators carry walkers between streets but doors are never
snapped to them (a door "on" a pedestrian crossing is a snapping error).
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from geo.crs import local_metric_crs
from routing._errors import StreetDataError

BARRIER_HIGHWAYS = frozenset(
    {
        "motorway",
        "motorway_link",
        "trunk",
        "trunk_link",
        "primary",
        "primary_link",
        "secondary",
        "secondary_link",
    }
)
QUIET_HIGHWAYS = frozenset({"residential", "living_street", "service", "unclassified", "road"})
PATH_HIGHWAYS = frozenset(
    {
        "footway",
        "path",
        "pedestrian",
        "steps",
        "cycleway",
        "track",
        "bridleway",
        "corridor",
        "trail",
        "platform",
        "elevator",
        "crossing",
    }
)
NOT_WALKABLE_HIGHWAYS = frozenset(
    {
        "construction",
        "proposed",
        "abandoned",
        "raceway",
        "bus_guideway",
        "escape",
        "razed",
        "planned",
        "busway",
    }
)
NEEDS_FOOT_YES = frozenset({"motorway", "motorway_link", "trunk", "trunk_link"})
NOT_SNAPPABLE_FOOTWAYS = frozenset({"crossing", "steps", "corridor", "platform", "elevator"})
FOOT_ALLOWED = frozenset({"yes", "designated", "permissive", "destination"})


@dataclass(frozen=True)
class EdgeRules:
    """The configurable parts of the edge classification (see the module docstring)."""

    barrier_highways: frozenset[str] = BARRIER_HIGHWAYS
    quiet_highways: frozenset[str] = QUIET_HIGHWAYS
    barrier_min_lanes: int = 4
    barrier_min_speed_kmh: float = 60.0


DEFAULT_RULES = EdgeRules()
"""The rules of the module docstring (a shared default argument: ``EdgeRules`` is frozen)."""


def _speed_kmh(maxspeed: str) -> float | None:
    match = re.match(r"\s*(\d+(?:\.\d+)?)\s*(mph)?", maxspeed)
    if not match:
        return None
    value = float(match.group(1))
    return value * 1.609344 if match.group(2) else value


def classify_edge(tags: dict[str, str], rules: EdgeRules = EdgeRules()) -> str:
    """Return ``barrier``, ``quiet``, ``path`` or ``street`` for a walkable way's tags."""
    highway = tags.get("highway", "")
    lanes_text = tags.get("lanes", "")
    lanes = int(lanes_text) if lanes_text.isdigit() else 0
    speed = _speed_kmh(tags.get("maxspeed", ""))
    if (
        highway in rules.barrier_highways
        or lanes >= rules.barrier_min_lanes
        or (speed is not None and speed >= rules.barrier_min_speed_kmh - 0.5)
    ):
        return "barrier"
    if highway in PATH_HIGHWAYS:
        return "path"
    if highway in rules.quiet_highways:
        return "quiet"
    return "street"


def is_walkable(tags: dict[str, str]) -> bool:
    """Whether a way with these tags can be walked by a canvasser."""
    highway = tags.get("highway", "")
    if not highway or highway in NOT_WALKABLE_HIGHWAYS or tags.get("area") == "yes":
        return False
    foot = tags.get("foot", "")
    if foot == "no":
        return False
    if highway in NEEDS_FOOT_YES and foot not in FOOT_ALLOWED:
        return False
    return not (tags.get("access") in {"private", "no"} and foot not in FOOT_ALLOWED)


@dataclass(frozen=True)
class EdgeColumns:
    """Columns of ``StreetGraph.edges`` as arrays, by edge index."""

    geometry: np.ndarray
    length_m: np.ndarray
    u: np.ndarray
    coords: np.ndarray
    """(k, 2) the vertices of every edge, edge after edge."""
    first_vertex: np.ndarray
    """(E + 1,) where each edge's vertices begin in ``coords`` (and where the last ends)."""

    def vertices(self, edge: int) -> np.ndarray:
        """(m, 2) the vertices of ``edge`` from its ``u`` end to its ``v`` end."""
        return self.coords[self.first_vertex[edge] : self.first_vertex[edge + 1]]


@dataclass(frozen=True)
class StreetGraph:
    """The largest connected walkable network, projected to a local metric CRS."""

    crs: CRS
    node_xy: np.ndarray
    """(N, 2) projected node coordinates in metres."""
    edges: gpd.GeoDataFrame
    """One row per street piece between junctions: ``u``, ``v`` (node indices), ``length_m``,
    ``highway``, ``name``, ``kind``, ``snappable``, ``way_id``; LineString from u to v."""
    matrix: csr_matrix
    """Symmetric node adjacency weighted by the shortest parallel edge, in metres."""
    source: str
    dropped_edges: int
    """Walkable edges left out because they are not connected to the main network."""
    islands: gpd.GeoDataFrame = field(default_factory=gpd.GeoDataFrame, repr=False)
    """The left-out edges (metric CRS), so stops nearest to them can be reported."""
    _pair_edge: dict[tuple[int, int], int] = field(default_factory=dict, repr=False)

    @property
    def node_count(self) -> int:
        """Number of junction and dead-end nodes."""
        return int(self.node_xy.shape[0])

    @functools.cached_property
    def edge_columns(self) -> EdgeColumns:
        """The ``edges`` columns a walk's line is drawn from, as arrays (read once, not per leg)."""
        geometry = self.edges.geometry.to_numpy()
        coords, edge = shapely.get_coordinates(geometry, return_index=True)
        return EdgeColumns(
            geometry=geometry,
            length_m=self.edges["length_m"].to_numpy(dtype=float),
            u=self.edges["u"].to_numpy(),
            coords=coords,
            first_vertex=np.searchsorted(edge, np.arange(len(geometry) + 1)),
        )

    def edge_between(self, a: int, b: int) -> int:
        """Index of the shortest edge joining nodes ``a`` and ``b``."""
        return self._pair_edge[(a, b) if a <= b else (b, a)]

    def to_lonlat(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Project metric coordinates back to longitude, latitude."""
        lon, lat = _transformer(self.crs.to_wkt(), to_metric=False).transform(x, y)
        return np.asarray(lon), np.asarray(lat)

    def to_metric(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Project longitude, latitude to the graph's metric CRS."""
        x, y = _transformer(self.crs.to_wkt(), to_metric=True).transform(lon, lat)
        return np.asarray(x), np.asarray(y)


@functools.lru_cache(maxsize=16)
def _transformer(metric_wkt: str, *, to_metric: bool) -> Transformer:
    """A transformer between longitude, latitude and a graph's CRS, made once.

    Making one costs ~0.5 ms and the writers project every turf's route; pyproj's
    transformers are thread-safe.
    """
    if to_metric:
        return Transformer.from_crs(4326, metric_wkt, always_xy=True)
    return Transformer.from_crs(metric_wkt, 4326, always_xy=True)


@dataclass
class WayRun:
    """A run of located nodes of one walkable way, as read from OSM (or osmnx)."""

    way_id: int
    node_ids: list[int]
    lonlat: list[tuple[float, float]]
    tags: dict[str, str]


def build_graph(ways: list[WayRun], *, source: str, rules: EdgeRules = EdgeRules()) -> StreetGraph:
    """Split ways at junctions, project to the local UTM zone, keep the largest component.

    A junction is a node shared by two ways, or used twice by one; way ends always split.
    """
    if not ways:
        raise StreetDataError(
            f"{source}: holds no walkable streets (no ways tagged highway=* with node "
            "locations); is it the right extract, and was it cut with complete ways?"
        )
    uses = Counter(n for way in ways for n in way.node_ids)
    for way in ways:
        uses[way.node_ids[0]] += 1
        uses[way.node_ids[-1]] += 1

    piece_way: list[int] = []
    piece_tags: list[dict[str, str]] = []
    piece_nodes: list[tuple[int, int]] = []
    piece_coords: list[list[tuple[float, float]]] = []
    for way in ways:
        start = 0
        for i in range(1, len(way.node_ids)):
            if uses[way.node_ids[i]] >= 2 or i == len(way.node_ids) - 1:
                piece_way.append(way.way_id)
                piece_tags.append(way.tags)
                piece_nodes.append((way.node_ids[start], way.node_ids[i]))
                piece_coords.append(way.lonlat[start : i + 1])
                start = i

    all_lonlat = np.array([xy for coords in piece_coords for xy in coords])
    crs = local_metric_crs(all_lonlat[:, 0], all_lonlat[:, 1])
    x, y = Transformer.from_crs(4326, crs, always_xy=True).transform(
        all_lonlat[:, 0], all_lonlat[:, 1]
    )
    offsets = np.repeat(np.arange(len(piece_coords)), [len(c) for c in piece_coords])
    lines = shapely.linestrings(np.column_stack([x, y]), indices=offsets)

    osm_ids = np.array(piece_nodes, dtype=np.int64)
    unique_ids, inverse = np.unique(osm_ids.ravel(), return_inverse=True)
    uv = inverse.reshape(-1, 2)
    node_xy = np.zeros((len(unique_ids), 2))
    starts = shapely.get_point(lines, 0)
    ends = shapely.get_point(lines, -1)
    node_xy[uv[:, 0]] = shapely.get_coordinates(starts)
    node_xy[uv[:, 1]] = shapely.get_coordinates(ends)

    edges = pd.DataFrame(
        {
            "u": uv[:, 0],
            "v": uv[:, 1],
            "length_m": shapely.length(lines),
            "highway": [t.get("highway", "") for t in piece_tags],
            "name": [t.get("name", "") for t in piece_tags],
            "kind": [classify_edge(t, rules) for t in piece_tags],
            "way_id": piece_way,
        }
    )
    edges["snappable"] = ~(
        edges["highway"].isin(NOT_SNAPPABLE_FOOTWAYS)
        | np.array([t.get("footway") == "crossing" for t in piece_tags])
    )

    # Keep the largest connected piece: stops elsewhere could not be walked to.
    n_nodes = len(unique_ids)
    adjacency = csr_matrix(
        (np.ones(len(edges)), (edges["u"], edges["v"])), shape=(n_nodes, n_nodes)
    )
    _, labels = connected_components(adjacency, directed=False)
    main_label = np.bincount(labels).argmax()
    keep_nodes = np.flatnonzero(labels == main_label)
    renumber = np.full(n_nodes, -1)
    renumber[keep_nodes] = np.arange(len(keep_nodes))
    keep_edges = labels[edges["u"].to_numpy()] == main_label
    dropped = int((~keep_edges).sum())
    removed = edges.loc[~keep_edges]
    edges = edges.loc[keep_edges].reset_index(drop=True)
    edges["u"] = renumber[edges["u"]]
    edges["v"] = renumber[edges["v"]]
    geometry = lines[keep_edges]
    node_xy = node_xy[keep_nodes]

    pair = pd.DataFrame(
        {
            "a": np.minimum(edges["u"], edges["v"]),
            "b": np.maximum(edges["u"], edges["v"]),
            "length_m": edges["length_m"],
            "edge": edges.index,
        }
    )
    shortest = pair.sort_values(["length_m", "edge"]).drop_duplicates(["a", "b"])
    shortest = shortest.loc[shortest["a"] != shortest["b"]]
    n_kept = len(keep_nodes)
    matrix = csr_matrix(
        (
            np.concatenate([shortest["length_m"], shortest["length_m"]]),
            (
                np.concatenate([shortest["a"], shortest["b"]]),
                np.concatenate([shortest["b"], shortest["a"]]),
            ),
        ),
        shape=(n_kept, n_kept),
    )
    pair_edge = {
        (int(a), int(b)): int(e)
        for a, b, e in zip(shortest["a"], shortest["b"], shortest["edge"], strict=True)
    }
    return StreetGraph(
        crs=crs,
        node_xy=node_xy,
        edges=gpd.GeoDataFrame(edges, geometry=geometry, crs=crs),
        matrix=matrix,
        source=source,
        dropped_edges=dropped,
        islands=gpd.GeoDataFrame(
            {"highway": removed["highway"].to_numpy()}, geometry=lines[~keep_edges], crs=crs
        ),
        _pair_edge=pair_edge,
    )
