"""Which doors the plan's budget skips (``budget_skip.csv``), for the phone page and progress.

Read from the plan folder when a volunteer opens the turf, kept while the file is unchanged.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from app.errors import NotFoundError
from app.services.workspace import Workspace
from app.spreadsheet import restore_frame

logger = logging.getLogger(__name__)


def skipped_doors(workspace: Workspace, plan: str, turf: str) -> frozenset[tuple[str, str]]:
    """(stop id, unit) of each door of ``turf`` the budget of ``plan`` skips; none if none."""
    return skipped_by_turf(workspace, plan).get(turf, frozenset())


def skipped_by_turf(workspace: Workspace, plan: str) -> dict[str, frozenset[tuple[str, str]]]:
    """Per turf of ``plan``, (stop id, unit) of each door its budget skips (no budget: none)."""
    try:
        path = workspace.folder(plan).budget_skip_path
    except NotFoundError:
        return {}
    if not path.is_file():
        return {}
    stat = path.stat()
    return _read(path, stat.st_mtime_ns, stat.st_size)


def mark_skipped_doors(
    stops: list[dict[str, Any]], workspace: Workspace, plan: str, turf: str
) -> None:
    """Set ``skip`` on each household (of ``turf_walk``'s stops) the budget leaves out."""
    skip = skipped_doors(workspace, plan, turf)
    for stop in stops if skip else ():
        for door in stop["households"]:
            door["skip"] = (str(stop["stop_id"]), str(door["unit"])) in skip


@lru_cache(maxsize=16)
def _read(path: Path, mtime_ns: int, size: int) -> dict[str, frozenset[tuple[str, str]]]:
    # Keyed by time and size too: a rewritten plan's file is read again.
    try:
        frame = restore_frame(pd.read_csv(path, dtype=str, keep_default_na=False))
        doors = zip(frame["turf"], frame["stop_id"], frame["unit"], strict=True)
    except (OSError, KeyError, ValueError, pd.errors.ParserError) as exc:
        logger.warning("%s: unreadable (%s); no door is marked to skip", path, exc)
        return {}
    by_turf: dict[str, set[tuple[str, str]]] = {}
    for turf, stop_id, unit in doors:
        by_turf.setdefault(str(turf), set()).add((str(stop_id), str(unit)))
    return {turf: frozenset(found) for turf, found in by_turf.items()}
