"""What a plan is made from, and its record in ``summary.json`` (written and read back here).

The record (``inputs``, ``turf_size``, ``walk_model``, ``target``, ``edits``) holds absolute
paths and every option, so a written plan can be made again: a turf edit or a re-cut reads
it with :func:`request_from_plan`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from app.plan_folder import PlanFolder, PlanFolderError
from app.planning.edits import TurfEdit
from app.privacy.keys import PrivacyKeys
from geo.archives import DEFAULT_ARCHIVE_LIMITS, ArchiveLimits
from geo.effort import TurfSize, WalkModel

ONLINE_PLACE_PREFIX = "place:"
"""Street data fetched by name (``place:Helsinki``) instead of read from a file."""


@dataclass(frozen=True)
class PlanRequest:
    """Everything a plan is made from."""

    voters: Path
    streets: Path
    precincts: Path | None = None
    target: str | None = None
    size: TurfSize = field(default_factory=TurfSize)
    start_latlon: tuple[float, float] | None = None
    model: WalkModel = field(default_factory=WalkModel)
    max_snap_m: float = 150.0
    graph_cache_dir: Path | None = None
    previous_stops: pd.DataFrame | None = None
    """Stops of an earlier cut (``stop_id``, ``turf``, ``sequence``, ``doors``): its turfs
    that are untouched by the changes are kept with their ids and walking order."""
    precinct_id_column: str | None = None
    """The precinct id column, or two as ``"COUNTY,PRECINCT"`` (see ``geo.precinct_ids``);
    chosen from the layer when ``None``."""
    columns_file: Path | None = None
    """A TOML/JSON file naming the voter file's columns (see ``geo.layouts``)."""
    edit: TurfEdit | None = None
    """A manual edit of the turfs in ``previous_stops`` (which must be the current stops
    exactly): every turf is kept, the edited ones are routed afresh; nothing is re-cut."""
    previous_edits: tuple[dict[str, Any], ...] = ()
    """Edits made to the plan before (its summary's ``edits``), carried into the new one."""
    archive_limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS
    """How much a zipped voter file or precinct layer may unpack to (from the settings)."""
    addresses: tuple[Path, ...] = ()
    """Address files to geocode voters without coordinates against (OpenAddresses, TIGER/Line
    address ranges, any address points layer); trusted before the OSM address points."""
    # Privacy (issue 21): who is left out, and which voter fields walk lists carry.
    privacy: PrivacyKeys | None = None
    """Hashed keys of opted-out and erased people (``app.privacy``): never planned."""
    walklist_fields: tuple[str, ...] | None = None
    """Voter fields of the printed and downloadable walk lists (``app.privacy.fields``);
    ``None``: the default (name and age band)."""
    privacy_notice_url: str | None = None
    """Where the campaign says what it does with personal data, printed on the walk lists."""
    paper: str | None = None
    """The walk lists' paper, ``"A4"`` or ``"Letter"``; None: chosen from the data (see
    ``app.outputs.paper``). Recorded in ``summary.json`` as ``paper.requested``."""
    # The weekend's budget and passes (issue 18; app/planning/budget.py, next_pass.py).
    hours: float | None = None
    """Volunteer-hours available: turfs get a priority and the best set an ``in_budget`` flag."""
    value: str | None = None
    """What a target voter is worth (a value expression); None counts target voters."""
    results: Path | None = None
    """Results recorded so far (our export or MiniVAN contact history): the next pass."""
    volunteers: Path | None = None
    """Who goes where: volunteers (name, home, hours, pairs) the turfs are suggested to."""


class PlanInputsError(ValueError):
    """A written plan cannot be made again: an input file is gone or its summary is unusable."""


def size_record(size: TurfSize) -> dict[str, Any]:
    """The ``turf_size`` entry of a summary: ``{"minutes": M}`` or ``{"doors": N}``."""
    return {"minutes": size.minutes} if size.minutes is not None else {"doors": size.doors}


def _absolute(path: Path | None) -> str | None:
    """``path`` made absolute (``place:NAME`` street sources stay as they are)."""
    if path is None:
        return None
    if str(path).startswith(ONLINE_PLACE_PREFIX):
        return str(path)
    return str(Path(path).resolve())


def request_record(request: PlanRequest) -> dict[str, Any]:
    """The summary entries that say how the plan was made (read back by ``request_from_plan``).

    The target expression and the edits are recorded with the counts they belong to.
    """
    return {
        "inputs": {
            "voters": _absolute(request.voters),
            "precincts": _absolute(request.precincts),
            "streets": _absolute(request.streets),
            "columns_file": _absolute(request.columns_file),
            "addresses": [_absolute(path) for path in request.addresses],
            "precinct_id_column": request.precinct_id_column,
            "start_latlon": None if request.start_latlon is None else list(request.start_latlon),
            "max_snap_m": request.max_snap_m,
            "volunteers": _absolute(request.volunteers),
        },
        "turf_size": size_record(request.size),
        "plan_budget": {
            "hours": request.hours,
            "value": request.value,
            "results": _absolute(request.results),
        },
        "walk_model": {
            "speed_mps": request.model.speed_mps,
            "minutes_per_door": request.model.minutes_per_door,
            "minutes_per_stop": request.model.minutes_per_stop,
            "minutes_per_turf": request.model.minutes_per_turf,
        },
    }


def request_from_plan(
    plan_dir: Path,
    *,
    graph_cache_dir: Path | None = None,
    archive_limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS,
) -> PlanRequest:
    """The request a written plan was made from (its summary.json), with its turfs as cut.

    ``previous_stops`` and ``previous_edits`` come from the folder, so a run of the request
    keeps the plan's turfs (and its edit history). Raises ``PlanInputsError`` naming the file
    when an input is gone or the summary does not say how the plan was made.
    """
    folder = PlanFolder(plan_dir)
    try:
        document = folder.read_summary()
    except PlanFolderError as exc:
        raise PlanInputsError(str(exc)) from None

    def existing(kind: str, value: object) -> Path | None:
        if value is None:
            return None
        path = Path(str(value))
        if kind == "streets" and str(value).startswith(ONLINE_PLACE_PREFIX):
            return path  # fetched by name (online), not a file
        if not path.is_file():
            raise PlanInputsError(
                f"the {kind} file of plan {folder.name!r} is gone ({path}): put it back, "
                "or make the plan again from new files"
            )
        return path

    try:
        inputs = document["inputs"]
        voters = existing("voters", inputs["voters"])
        streets = existing("streets", inputs["streets"])
        precincts = existing("precincts", inputs.get("precincts"))
        columns_file = existing("columns", inputs.get("columns_file"))
        addresses = tuple(
            path
            for value in inputs.get("addresses") or ()
            if (path := existing("address", value)) is not None
        )
        size_doc = document.get("turf_size") or {}
        size = (
            TurfSize(minutes=None, doors=int(size_doc["doors"]))
            if size_doc.get("doors") is not None
            else TurfSize(minutes=float(size_doc.get("minutes") or 120.0))
        )
        model_doc = document.get("walk_model") or {}
        defaults = WalkModel()
        model = WalkModel(
            speed_mps=float(model_doc.get("speed_mps", defaults.speed_mps)),
            minutes_per_door=float(model_doc.get("minutes_per_door", defaults.minutes_per_door)),
            minutes_per_stop=float(model_doc.get("minutes_per_stop", defaults.minutes_per_stop)),
            minutes_per_turf=float(model_doc.get("minutes_per_turf", defaults.minutes_per_turf)),
        )
        start = inputs.get("start_latlon")
        start_latlon = None if start is None else (float(start[0]), float(start[1]))
        max_snap_m = float(inputs.get("max_snap_m", PlanRequest.max_snap_m))
        target = (document.get("target") or {}).get("expression") or None
        precinct_id_column = inputs.get("precinct_id_column")
        edits = tuple(document.get("edits") or ())
        fields = (document.get("privacy") or {}).get("walklist_fields")
        walklist_fields = None if fields is None else tuple(map(str, fields))
        notice_url = (document.get("privacy") or {}).get("notice_url") or None
        paper = (document.get("paper") or {}).get("requested")
        budget_doc = document.get("plan_budget") or {}
        hours = None if budget_doc.get("hours") is None else float(budget_doc["hours"])
        value = budget_doc.get("value") or None
        results = existing("results", budget_doc.get("results"))
        volunteers = existing("volunteers", inputs.get("volunteers"))
    except PlanInputsError:
        raise
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
        raise PlanInputsError(
            f"{folder.summary_path}: does not say how the plan was made "
            f"({type(exc).__name__}: {exc}); make the plan again"
        ) from None
    previous = folder.read_previous_stops()
    if previous is None:
        raise PlanInputsError(f"{folder.stops_path}: missing or without turfs")
    if voters is None or streets is None:
        raise PlanInputsError(f"{folder.summary_path}: 'inputs' names no voter file or street data")
    return PlanRequest(
        voters=voters,
        streets=streets,
        precincts=precincts,
        target=target,
        size=size,
        start_latlon=start_latlon,
        model=model,
        max_snap_m=max_snap_m,
        graph_cache_dir=graph_cache_dir,
        previous_stops=previous,
        precinct_id_column=precinct_id_column,
        columns_file=columns_file,
        previous_edits=edits,
        archive_limits=archive_limits,
        addresses=addresses,
        walklist_fields=walklist_fields,
        privacy_notice_url=notice_url,
        paper=paper,
        hours=hours,
        value=value,
        results=results,
        volunteers=volunteers,
    )


def previous_cut(out: Path, size: TurfSize) -> pd.DataFrame | None:
    """Stops of the plan already in ``out`` when it was cut to the same turf size."""
    folder = PlanFolder(out)
    if not folder.is_plan() or folder.turf_size() != size_record(size):
        return None
    return folder.read_previous_stops()
