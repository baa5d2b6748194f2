"""Where walkable ways come from: OSM files via libosmium, or osmnx graphs and places."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import osmium

from routing._errors import StreetDataError
from routing.street_graph import WayRun, is_walkable


def osm_file_ways(path: Path) -> list[WayRun]:
    """Walkable ways of an ``.osm.pbf``/``.osm``/``.osm.bz2`` file.

    Ways clipped at the extract's edge lose node locations; their located runs are kept.
    """
    ways: list[WayRun] = []
    processor = (
        osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
        .with_locations()
        .with_filter(osmium.filter.KeyFilter("highway"))
    )
    obj: Any  # osmium yields Node | Way | ...; is_way() narrows it
    try:
        for obj in processor:
            if not obj.is_way():
                continue
            tags = {t.k: t.v for t in obj.tags}
            if not is_walkable(tags):
                continue
            run_ids: list[int] = []
            run_xy: list[tuple[float, float]] = []
            for node in obj.nodes:
                if node.location.valid():
                    run_ids.append(node.ref)
                    run_xy.append((node.location.lon, node.location.lat))
                    continue
                if len(run_ids) >= 2:
                    ways.append(WayRun(obj.id, run_ids, run_xy, tags))
                run_ids, run_xy = [], []
            if len(run_ids) >= 2:
                ways.append(WayRun(obj.id, run_ids, run_xy, tags))
    except (RuntimeError, ValueError, osmium.InvalidLocationError) as exc:
        # libosmium: RuntimeError for a damaged file, ValueError for a bad id, version or
        # timestamp, InvalidLocationError for a coordinate that is not a number.
        raise StreetDataError(
            f"{path}: cannot be read as OSM data ({exc}); download or export the extract again"
        ) from exc
    return ways


def _text(value: Any) -> str:
    # osmnx keeps a list where merged ways disagree (e.g. two names); take the first.
    if isinstance(value, list):
        value = value[0] if value else ""
    return "" if value is None else str(value)


def osmnx_ways(graph: Any) -> list[WayRun]:
    """Walkable ways of an osmnx graph (unprojected, as osmnx downloads or saves it)."""
    ways: list[WayRun] = []
    seen: set[tuple[int, int, str]] = set()
    next_interior = -1
    for u, v, data in graph.edges(data=True):
        geometry = data.get("geometry")
        coords = (
            [(float(x), float(y)) for x, y in geometry.coords]
            if geometry is not None
            else [
                (graph.nodes[u]["x"], graph.nodes[u]["y"]),
                (graph.nodes[v]["x"], graph.nodes[v]["y"]),
            ]
        )
        # Walk networks hold both directions of every street: keep one.
        key = (min(u, v), max(u, v), str(coords if u < v else coords[::-1]))
        if key in seen:
            continue
        seen.add(key)
        tags = {
            k: _text(data.get(k))
            for k in ("highway", "name", "lanes", "maxspeed", "access", "foot", "footway")
        }
        tags = {k: value for k, value in tags.items() if value}
        if not is_walkable(tags):
            continue
        way_id = int(_text(data.get("osmid")) or 0)
        # Interior vertices of a simplified edge get ids of their own (negative, never
        # shared), so the edge stays one piece between its two junctions.
        interior = list(range(next_interior, next_interior - (len(coords) - 2), -1))
        next_interior -= len(interior)
        ways.append(WayRun(way_id, [int(u), *interior, int(v)], coords, tags))
    return ways


def graphml_ways(path: Path) -> list[WayRun]:
    """Walkable ways of a graph saved with ``osmnx.save_graphml``."""
    import osmnx

    try:
        graph = osmnx.load_graphml(path)
    except Exception as exc:  # networkx/lxml raise several types for a broken file
        raise StreetDataError(f"{path}: cannot be read as an osmnx GraphML file ({exc})") from exc
    if graph.graph.get("crs") not in (None, "epsg:4326", "EPSG:4326"):
        graph = osmnx.project_graph(graph, to_latlong=True)
    return osmnx_ways(graph)


def place_ways(place: str) -> list[WayRun]:
    """Walkable ways of a named place, fetched with osmnx (needs the internet)."""
    import osmnx

    try:
        graph = osmnx.graph_from_place(place, network_type="walk", simplify=True)
    except Exception as exc:  # offline, unknown place, or an Overpass error
        raise StreetDataError(
            f"cannot fetch the walk network of {place!r} with osmnx ({exc}); "
            "without internet access, pass an .osm.pbf extract instead"
        ) from exc
    return osmnx_ways(graph)
