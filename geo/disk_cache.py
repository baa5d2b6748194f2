"""Results kept on disk between runs, keyed by the bytes of the file they were made from.

Reading an OSM extract is the slow part of a plan's start (the street graph, the base map's
features); what comes of it depends only on the file, the options and the code's version. An
entry is written beside under a temporary name and renamed, so a reader never sees half of
one; an unreadable entry is made again, and a disk that cannot be written only logs a warning.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")


def file_digest(path: Path, extra: str) -> str:
    """SHA-256 of the file's bytes followed by ``extra`` (options, a cache version)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    digest.update(extra.encode())
    return digest.hexdigest()


def pickled(entry: Path, kind: type[T], build: Callable[[], T], *, what: str) -> T:
    """The ``kind`` object pickled at ``entry``, else ``build()`` stored there and returned.

    ``what`` names the cache in log lines (``"graph"``, ``"base-map"``).
    """
    if entry.exists():
        try:
            with entry.open("rb") as handle:
                found = pickle.load(handle)
            if isinstance(found, kind):
                logger.debug("%s from cache %s", what, entry)
                return found
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
            logger.warning("ignoring an unreadable %s cache entry %s", what, entry)
    made = build()
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        partial = entry.with_suffix(f".{os.getpid()}.tmp")
        with partial.open("wb") as handle:
            pickle.dump(made, handle, protocol=pickle.HIGHEST_PROTOCOL)
        partial.replace(entry)
    except OSError as exc:  # a read-only or full disk must not fail the plan
        logger.warning("could not write the %s cache in %s: %s", what, entry.parent, exc)
    return made
