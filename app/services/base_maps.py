"""The base map of a volunteer's turf, read from the plan folder the plan writer made.

The phone page gets it inside its turf document (so the service worker keeps it for offline
use, with the rest of the turf). The file is read once per version, not per request.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path
from typing import Any

from app.errors import NotFoundError
from app.outputs.maps import read_data_file
from app.services.workspace import Workspace

logger = logging.getLogger(__name__)


def turf_base_map(workspace: Workspace, plan: str, turf: str) -> dict[str, Any] | None:
    """``maps/<turf>.basemap.js`` of ``plan`` as data; None when the plan has none (older plans)."""
    try:
        folder = workspace.folder(plan)
    except NotFoundError:
        return None
    path = folder.turf_base_map(turf)
    if path.parent != folder.maps_dir or not path.is_file():  # a turf id is never a path
        return None
    stat = path.stat()
    return _read(path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=64)
def _read(path: Path, mtime_ns: int, size: int) -> dict[str, Any] | None:
    # Keyed by time and size too: a rewritten plan's file is read again.
    data = read_data_file(path)
    if data is None:
        logger.warning("%s: not a base map file; the turf is shown without it", path)
    return data
