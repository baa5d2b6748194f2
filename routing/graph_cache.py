"""On-disk cache of processed street graphs, keyed by the source file's content.

Parsing an extract and building the graph is the slow part of a plan's start; the result
depends only on the file's bytes, the edge rules and this code's version.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
from collections.abc import Callable
from pathlib import Path

from routing.street_graph import EdgeRules, StreetGraph

logger = logging.getLogger(__name__)

# Bump when StreetGraph or the way graphs are built changes, so old entries are not reused.
CACHE_VERSION = 2


def cache_key(path: Path, rules: EdgeRules) -> str:
    """Hash of the file's bytes, the rules and the cache version."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    # Sorted: a frozenset's repr follows string hashing, which differs between processes.
    fields = sorted(
        (name, sorted(value) if isinstance(value, frozenset) else value)
        for name, value in vars(rules).items()
    )
    digest.update(repr((fields, CACHE_VERSION)).encode())
    return digest.hexdigest()


def cached(
    path: Path, rules: EdgeRules, cache_dir: Path | None, build: Callable[[], StreetGraph]
) -> StreetGraph:
    """Return the graph for ``path`` from ``cache_dir``, building and storing it if needed."""
    if cache_dir is None:
        return build()
    entry = cache_dir / f"graph-{cache_key(path, rules)}.pickle"
    if entry.exists():
        try:
            with entry.open("rb") as handle:
                graph = pickle.load(handle)
            if isinstance(graph, StreetGraph):
                logger.debug("street graph from cache %s", entry)
                return graph
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
            logger.warning("ignoring an unreadable graph cache entry %s", entry)
    graph = build()
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        partial = entry.with_suffix(f".{os.getpid()}.tmp")
        with partial.open("wb") as handle:
            pickle.dump(graph, handle, protocol=pickle.HIGHEST_PROTOCOL)
        partial.replace(entry)
    except OSError as exc:  # a read-only or full disk must not fail the plan
        logger.warning("could not write the graph cache in %s: %s", cache_dir, exc)
    return graph
