"""Loading the walkable street graph: OSM extracts, osmnx GraphML files or place names.

The graph itself (which ways are walkable, how edges are classified, how junctions split
ways) is ``routing.street_graph``; the readers of each source are ``routing._sources`` and the
on-disk cache of built graphs is ``routing.graph_cache``.
"""

from __future__ import annotations

from pathlib import Path

from geo.osm import check_osm_path
from routing import _sources
from routing.graph_cache import cached
from routing.street_graph import DEFAULT_RULES, EdgeRules, StreetGraph, build_graph

# StreetGraph and EdgeRules are re-exported: callers import them from here, and graphs cached
# before they moved to routing.street_graph were pickled under this module's name.
__all__ = ["EdgeRules", "StreetGraph", "load_walk_graph"]


def load_walk_graph(
    source: str | Path, *, rules: EdgeRules = DEFAULT_RULES, cache_dir: Path | None = None
) -> StreetGraph:
    """Load the walkable street graph from an OSM extract, a saved graph or a place name.

    Parameters
    ----------
    source
        ``.osm.pbf``, ``.osm``, ``.osm.bz2`` (read with libosmium), ``.graphml`` (a graph
        saved by osmnx), or ``place:NAME`` to fetch the walk network of a place with osmnx
        (needs the internet; osmnx keeps its own cache).
    rules
        How edges are classified into barrier, quiet, path and street.
    cache_dir
        Where processed graphs are kept, keyed by the source file's content and the rules,
        so a second run does not parse the file again. ``None`` disables the cache.
    """
    if str(source).startswith("place:"):
        name = str(source)[len("place:") :]
        return build_graph(_sources.place_ways(name), source=str(source), rules=rules)
    path = Path(source)
    if path.suffix.lower() == ".graphml":
        return cached(
            path,
            rules,
            cache_dir,
            lambda: build_graph(_sources.graphml_ways(path), source=str(path), rules=rules),
        )
    path = check_osm_path(path)
    return cached(
        path,
        rules,
        cache_dir,
        lambda: build_graph(_sources.osm_file_ways(path), source=str(path), rules=rules),
    )
