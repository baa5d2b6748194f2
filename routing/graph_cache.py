"""On-disk cache of processed street graphs, keyed by the source file's content.

Parsing an extract and building the graph is the slow part of a plan's start; the result
depends only on the file's bytes, the edge rules and this code's version.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from geo.disk_cache import file_digest, pickled
from routing.street_graph import EdgeRules, StreetGraph

# Bump when StreetGraph or the way graphs are built changes, so old entries are not reused.
CACHE_VERSION = 2


def cache_key(path: Path, rules: EdgeRules) -> str:
    """Hash of the file's bytes, the rules and the cache version."""
    # Sorted: a frozenset's repr follows string hashing, which differs between processes.
    fields = sorted(
        (name, sorted(value) if isinstance(value, frozenset) else value)
        for name, value in vars(rules).items()
    )
    return file_digest(path, repr((fields, CACHE_VERSION)))


def cached(
    path: Path, rules: EdgeRules, cache_dir: Path | None, build: Callable[[], StreetGraph]
) -> StreetGraph:
    """Return the graph for ``path`` from ``cache_dir``, building and storing it if needed."""
    if cache_dir is None:
        return build()
    entry = cache_dir / f"graph-{cache_key(path, rules)}.pickle"
    return pickled(entry, StreetGraph, build, what="street graph")
