"""Manual edits of a cut plan (split a turf, merge turfs, draw a turf) as a new assignment.

An edit starts from the turfs of the plan as written (its ``stops.csv``) and changes only the
turfs it names: ``routing.edits`` moves the stops, this module checks that the plan's stops
are still the ones it was cut from, names new turfs and records what was done for
``summary.json``. ``app.planning.pipeline.run_plan`` applies it (``PlanRequest.edit``), keeps every
turf and routes afresh only those whose stops changed.

Turf ids follow ``app.planning.recut.turf_ids`` (``P03-02`` by precinct, ``T04`` without
precincts); a new turf takes the number after the highest one its precinct has ever used, so
an id that an edit retired (and that a printed list or a volunteer link may still carry) is
never given to other doors.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
import shapely

from geo.effort import WalkModel
from routing.edits import TurfEditError, merge_turfs, polygon_to_metric, split_turf
from routing.edits import turf_from_polygon as _turf_from_polygon
from routing.snap import Snapped
from routing.streets import StreetGraph

EditKind = Literal["split", "merge", "draw"]
EDIT_KINDS: tuple[str, ...] = ("split", "merge", "draw")
CHANGED_INPUTS = "the plan's inputs changed since it was cut; cut it again first"

__all__ = [
    "CHANGED_INPUTS",
    "AppliedEdit",
    "PlanChangedError",
    "TurfEdit",
    "TurfEditError",
    "apply_edit",
    "next_turf_id",
    "previous_assignment",
    "turf_prefix",
    "used_turf_ids",
]


class PlanChangedError(ValueError):
    """The plan's stops are no longer those it was cut from: an edit would not be meaningful."""


@dataclass(frozen=True)
class TurfEdit:
    """One manual edit: ``split`` one turf, ``merge`` turfs into the first, or ``draw`` one."""

    kind: EditKind
    turfs: tuple[str, ...] = ()
    """The turf to split, or the turfs to merge (into the first); empty for ``draw``."""
    polygon: shapely.Geometry | None = None
    """For ``draw``: a Polygon or MultiPolygon in longitude, latitude (EPSG:4326)."""

    def __post_init__(self) -> None:
        if self.kind not in EDIT_KINDS:
            raise TurfEditError(f"unknown edit {self.kind!r}: split, merge or draw")
        if self.kind == "split" and len(self.turfs) != 1:
            raise TurfEditError("a split names exactly one turf")
        if self.kind == "merge":
            if len(self.turfs) < 2:
                raise TurfEditError("a merge names two or more turfs")
            if len(set(self.turfs)) < len(self.turfs):
                raise TurfEditError("a turf cannot be merged with itself")
        if self.kind == "draw" and (
            not isinstance(self.polygon, shapely.Polygon | shapely.MultiPolygon)
            or self.polygon.is_empty
        ):
            raise TurfEditError("draw a polygon (the shape is not a polygon or is empty)")


@dataclass(frozen=True)
class AppliedEdit:
    """An edit applied to a plan's stops."""

    assignment: pd.Series
    """New turf id per stop (positions of the stops table)."""
    keep: dict[str, np.ndarray]
    """Every turf of the edited plan: positions of its stops, in the earlier walking order
    for the turfs the edit did not touch (the shape ``routing.cutting.cut_turfs`` keeps)."""
    changed: frozenset[str]
    """Turfs whose stops changed: they are routed afresh."""
    precincts: dict[str, str]
    """Precinct of each changed turf (that of most of its stops)."""
    record: dict[str, Any] = field(default_factory=dict)
    """What was done, for ``summary.json``'s ``edits``."""


def previous_assignment(
    previous: pd.DataFrame, stop_ids: Sequence[str], doors: np.ndarray
) -> pd.Series:
    """Turf per current stop from the plan's earlier ``stops.csv``.

    Raises ``PlanChangedError`` unless the current stops are exactly the earlier ones with
    the same doors (the voter file, target or street data changed since the cut).
    """
    earlier = previous.assign(stop_id=previous["stop_id"].astype(str))
    earlier = earlier.drop_duplicates("stop_id").set_index("stop_id")
    ids = pd.Index([str(s) for s in stop_ids])
    new = ids.difference(earlier.index)
    gone = earlier.index.difference(ids)
    found = earlier.reindex(ids)
    other_doors = found["doors"].notna() & (
        found["doors"].to_numpy(dtype=float, na_value=np.nan) != np.asarray(doors, dtype=float)
    )
    problems = []
    if len(new):
        problems.append(f"{len(new)} stop(s) not in the plan")
    if len(gone):
        problems.append(f"{len(gone)} stop(s) of the plan no longer targeted")
    if int(other_doors.sum()):
        problems.append(f"{int(other_doors.sum())} stop(s) with other doors")
    if ids.duplicated().any():
        problems.append("stop ids repeat")
    if problems:
        raise PlanChangedError(f"{CHANGED_INPUTS} ({'; '.join(problems)})")
    return pd.Series(found["turf"].astype(str).to_numpy(), index=pd.RangeIndex(len(ids)))


def used_turf_ids(edits: Iterable[Mapping[str, Any]]) -> set[str]:
    """Every turf id named in earlier edits (also those that no longer exist)."""
    used: set[str] = set()
    for edit in edits:
        for key in ("turfs", "new", "removed"):
            used.update(str(t) for t in edit.get(key) or [])
    return used


_NOT_IN_A_NAME = re.compile(r"[^\w .-]+")
TURF_PREFIX_LENGTH = 40


def turf_prefix(precinct: str) -> str:
    """The precinct as the start of its turfs' ids: safe as a file name and in a URL.

    Letters (any script), digits, spaces, ``.``, ``_`` and ``-`` stay; any other run of
    characters becomes ``_``, and none of `` ._-`` starts or ends it (a precinct file's ids are
    data: ``../x``, markup or ``=formula`` must not reach a path, a page or a spreadsheet).
    Voters in no precinct: ``NONE``.
    """
    safe = _NOT_IN_A_NAME.sub("_", precinct).strip(" ._-")[:TURF_PREFIX_LENGTH].strip(" ._-")
    return safe or "NONE"


def next_turf_id(precinct: str, with_precincts: bool, taken: Iterable[str]) -> str:
    """The id after the highest one used in ``precinct`` (``P01-07``; ``T05`` without)."""
    prefix = f"{turf_prefix(precinct)}-" if with_precincts else "T"
    numbers = [
        int(turf[len(prefix) :])
        for turf in taken
        if turf.startswith(prefix) and turf[len(prefix) :].isdigit()
    ]
    return f"{prefix}{max(numbers, default=0) + 1:02d}"


def _majority(values: np.ndarray) -> str:
    """The most common value (the first in sorted order among equals)."""
    counts = pd.Series(values, dtype=object).astype(str).value_counts()
    return str(min(counts.index[counts == counts.max()]))


def apply_edit(
    edit: TurfEdit,
    previous: pd.DataFrame,
    stop_ids: Sequence[str],
    *,
    precincts: np.ndarray,
    with_precincts: bool,
    graph: StreetGraph,
    snapped: Snapped,
    x: np.ndarray,
    y: np.ndarray,
    doors: np.ndarray,
    model: WalkModel | None = None,
    earlier_edits: Sequence[Mapping[str, Any]] = (),
) -> AppliedEdit:
    """Apply ``edit`` to the turfs of ``previous`` (the plan's ``stops.csv``).

    ``stop_ids``, ``precincts``, ``snapped``, ``x``, ``y`` (metric) and ``doors`` describe the
    plan's current stops; they must be the stops of ``previous`` (``PlanChangedError``).
    """
    before = previous_assignment(previous, stop_ids, doors)
    existing = set(before)
    taken = existing | used_turf_ids(earlier_edits)
    missing = [t for t in edit.turfs if t not in existing]
    if missing:
        raise TurfEditError(f"the plan has no turf {', '.join(map(repr, missing))}")
    region = np.asarray(precincts, dtype=object).astype(str)
    if edit.kind == "split":
        (turf,) = edit.turfs
        new_id = next_turf_id(_majority(region[(before == turf).to_numpy()]), with_precincts, taken)
        after = split_turf(
            before,
            turf,
            (turf, new_id),
            graph=graph,
            snapped=snapped,
            x=x,
            y=y,
            doors=doors,
            model=model,
        )
        new = [turf, new_id]
    elif edit.kind == "merge":
        after = before
        for other in edit.turfs[1:]:
            after = merge_turfs(after, edit.turfs[0], other)
        new = [edit.turfs[0]]
    else:
        assert edit.polygon is not None
        metric = polygon_to_metric(graph, edit.polygon)
        inside = shapely.covers(shapely.make_valid(metric), shapely.points(x, y))
        # Named for the precinct of most of its stops (none inside: turf_from_polygon says so).
        drawn_precinct = _majority(region[inside]) if inside.any() else ""
        new_id = next_turf_id(drawn_precinct, with_precincts, taken)
        after = _turf_from_polygon(before, metric, new_id, x=x, y=y)
        new = [new_id]
    moved = (after != before).to_numpy()
    changed = frozenset(set(after[moved]) | set(before[moved]))
    remaining = set(after)
    touched = sorted(set(before[moved]) | set(edit.turfs))
    record: dict[str, Any] = {
        "kind": edit.kind,
        "turfs": list(edit.turfs) if edit.kind != "draw" else touched,
        "new": new,
        "removed": sorted(existing - remaining),
        "stops_moved": int(moved.sum()),
    }
    # Earlier walking order first, so untouched turfs keep it exactly.
    walk = previous.assign(stop_id=previous["stop_id"].astype(str)).sort_values(
        ["turf", "sequence"], kind="stable"
    )
    position = pd.Series(np.arange(len(stop_ids)), index=[str(s) for s in stop_ids])
    ordered = position.reindex(walk["stop_id"].to_numpy()).to_numpy().astype(int)
    keep = {str(turf): ordered[(after.to_numpy()[ordered] == turf)] for turf in sorted(remaining)}
    precinct_of = {
        str(turf): _majority(region[(after == turf).to_numpy()])
        for turf in changed
        if turf in remaining
    }
    return AppliedEdit(
        assignment=after,
        keep=keep,
        changed=frozenset(t for t in changed if t in remaining),
        precincts=precinct_of,
        record=record,
    )
