"""One plan, end to end: inputs -> voters, households, stops -> target -> turfs -> walk lists.

Each stage is a call into geo/, segments/ or routing/; this module only sequences them,
times them and keeps the books so that every input row is accounted for.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from app.turf_edit import AppliedEdit, TurfEdit, apply_edit
from geo.households import assign_households, split_big_buildings, summarise_stops
from geo.join import join_precincts
from geo.layouts import read_column_mapping
from geo.osm import address_points_or_empty
from geo.precincts import PrecinctLayer, read_precincts
from geo.voters import VoterTable, read_voters, reject_rows
from routing._errors import SnappingError
from routing.cutting import cut_turfs, max_doors_per_stop
from routing.snap import Snapped, snap_points
from routing.streets import StreetGraph, load_walk_graph
from routing.turfs import TurfRoute, TurfSize, WalkModel, route_turf
from segments.filter import select

logger = logging.getLogger(__name__)

StageCallback = Callable[[str], None]


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
    columns_file: Path | None = None
    """A TOML/JSON file naming the voter file's columns (see ``geo.layouts``)."""
    edit: TurfEdit | None = None
    """A manual edit of the turfs in ``previous_stops`` (which must be the current stops
    exactly): every turf is kept, the edited ones are routed afresh; nothing is re-cut."""
    previous_edits: tuple[dict[str, Any], ...] = ()
    """Edits made to the plan before (its summary's ``edits``), carried into the new one."""


@dataclass(frozen=True)
class Turf:
    """One turf: its id, its stops' rows in the stops table and its walk."""

    turf_id: str
    precinct: str
    route: TurfRoute
    crosses_barrier: bool = False
    """The turf joins stops on both sides of a barrier street (too few doors on one side)."""
    size_note: str = ""
    """Why the turf is more than 15 % off the target size, if it is."""
    shared_block_faces: int = 0
    """Block faces another turf walks part of (kept whole, a turf would leave the size band)."""


@dataclass
class Plan:
    """The result of a plan run, ready to be written out."""

    request: PlanRequest
    voters: gpd.GeoDataFrame
    """Accepted voters with ``precinct``, ``household_id``, ``stop_id`` and ``target``."""
    rejected: pd.DataFrame
    total_rows: int
    stops: gpd.GeoDataFrame
    """Target stops (EPSG:4326) with ``doors`` and ``voters`` counting target households/voters,
    ``turf`` and ``sequence`` once cut."""
    turfs: list[Turf]
    graph: StreetGraph
    precincts: gpd.GeoDataFrame | None
    counts: dict[str, Any]
    timings_s: dict[str, float]


class _Stages:
    def __init__(self, on_stage: StageCallback | None) -> None:
        self.timings: dict[str, float] = {}
        self._on_stage = on_stage

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        if self._on_stage is not None:
            self._on_stage(name)
        started = time.perf_counter()
        yield
        self.timings[name] = round(time.perf_counter() - started, 3)


def target_mask(voters: gpd.GeoDataFrame, expression: str | None) -> pd.Series:
    """The voters a target expression selects (all of them for ``None`` or blank)."""
    if not expression or not expression.strip():
        return pd.Series(True, index=voters.index, name="target")
    return select(voters, expression, household_column="household_id")


def _turf_ids(
    precincts: list[str],
    centroids_x: list[float],
    with_precincts: bool,
    fixed: list[str | None] | None = None,
) -> list[str]:
    """Stable human ids: by precinct, then west to east (``P03-02``), or ``T01`` without.

    Turfs of voters outside every precinct are ``NONE-01``, ``NONE-02``, ... Turfs kept from
    an earlier cut keep their ``fixed`` id; new turfs take the next free numbers.
    """
    fixed = fixed or [None] * len(precincts)
    taken = {turf_id for turf_id in fixed if turf_id}
    order = sorted(range(len(precincts)), key=lambda i: (precincts[i], centroids_x[i]))
    ids = [turf_id or "" for turf_id in fixed]
    counters: dict[str, int] = {}
    for i in order:
        if ids[i]:
            continue
        # Voters in no precinct still get turfs, named for that: NONE-01, NONE-02, ...
        key = (precincts[i] or "NONE") if with_precincts else ""
        while True:
            counters[key] = counters.get(key, 0) + 1
            candidate = f"{key}-{counters[key]:02d}" if with_precincts else f"T{counters[key]:02d}"
            if candidate not in taken:
                break
        ids[i] = candidate
    return ids


def _turfs_to_keep(previous: pd.DataFrame | None, stops: gpd.GeoDataFrame) -> dict[str, np.ndarray]:
    """Turfs of the previous cut whose stops are all still targeted with the same doors.

    Each kept turf's positions come in its previous walking order.
    """
    if previous is None or previous.empty:
        return {}
    current = pd.DataFrame(
        {"position": np.arange(len(stops)), "doors": stops["doors"].to_numpy()},
        index=stops["stop_id"].to_numpy(),
    )
    keep: dict[str, np.ndarray] = {}
    ordered = previous.sort_values(["turf", "sequence"], kind="stable")
    for turf_id, members in ordered.groupby("turf", sort=True):
        found = current.reindex(members["stop_id"].to_numpy())
        unchanged = found["doors"].to_numpy() == members["doors"].to_numpy()
        if found["position"].notna().all() and unchanged.all():
            keep[str(turf_id)] = found["position"].to_numpy().astype(int)
    return keep


def read_previous_stops(plan_dir: Path) -> pd.DataFrame | None:
    """The ``stops.csv`` of an earlier plan in ``plan_dir`` (stop_id, turf, sequence, doors)."""
    path = plan_dir / "stops.csv"
    if not path.is_file():
        return None
    frame = pd.read_csv(path, dtype={"stop_id": str, "turf": str})
    columns = ["stop_id", "turf", "sequence", "doors"]
    if not set(columns) <= set(frame.columns):
        return None
    return frame[columns]


def _apply_edit(
    request: PlanRequest,
    stops: gpd.GeoDataFrame,
    graph: StreetGraph,
    snapped: Snapped,
    x: np.ndarray,
    y: np.ndarray,
    with_precincts: bool,
) -> AppliedEdit | None:
    """The request's manual edit applied to its previous turfs (None without an edit)."""
    if request.edit is None:
        return None
    if request.previous_stops is None:
        raise ValueError("a turf edit needs the plan's turfs as cut (its stops.csv)")
    return apply_edit(
        request.edit,
        request.previous_stops,
        stops["stop_id"].astype(str).tolist(),
        precincts=stops["precinct"].fillna("").astype(str).to_numpy(),
        with_precincts=with_precincts,
        graph=graph,
        snapped=snapped,
        x=x,
        y=y,
        doors=stops["doors"].to_numpy(),
        model=request.model,
        earlier_edits=request.previous_edits,
    )


class PlanInputsError(ValueError):
    """A written plan cannot be made again: an input file is gone or its summary is unusable."""


def request_from_plan(plan_dir: Path, *, graph_cache_dir: Path | None = None) -> PlanRequest:
    """The request a written plan was made from (its summary.json), with its turfs as cut.

    ``previous_stops`` and ``previous_edits`` come from the folder, so a run of the request
    keeps the plan's turfs (and its edit history). Raises ``PlanInputsError`` naming the file
    when an input is gone or the summary does not say how the plan was made.
    """
    summary_path = plan_dir / "summary.json"
    try:
        document = json.loads(summary_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PlanInputsError(f"{summary_path}: missing; {plan_dir} is not a plan") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PlanInputsError(f"{summary_path}: not valid JSON ({exc})") from None

    def existing(kind: str, value: object) -> Path | None:
        if value is None:
            return None
        path = Path(str(value))
        if kind == "streets" and str(value).startswith("place:"):
            return path  # fetched by name (online), not a file
        if not path.is_file():
            raise PlanInputsError(
                f"the {kind} file of plan {plan_dir.name!r} is gone ({path}): put it back, "
                "or make the plan again from new files"
            )
        return path

    try:
        inputs = document["inputs"]
        voters = existing("voters", inputs["voters"])
        streets = existing("streets", inputs["streets"])
        precincts = existing("precincts", inputs.get("precincts"))
        columns_file = existing("columns", inputs.get("columns_file"))
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
        )
        start = inputs.get("start_latlon")
        start_latlon = None if start is None else (float(start[0]), float(start[1]))
        max_snap_m = float(inputs.get("max_snap_m", PlanRequest.max_snap_m))
        target = (document.get("target") or {}).get("expression") or None
        precinct_id_column = inputs.get("precinct_id_column")
        edits = tuple(document.get("edits") or ())
    except PlanInputsError:
        raise
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
        raise PlanInputsError(
            f"{summary_path}: does not say how the plan was made ({type(exc).__name__}: {exc}); "
            "make the plan again"
        ) from None
    previous = read_previous_stops(plan_dir)
    if previous is None:
        raise PlanInputsError(f"{plan_dir / 'stops.csv'}: missing or without turfs")
    if voters is None or streets is None:
        raise PlanInputsError(f"{summary_path}: 'inputs' names no voter file or street data")
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
    )


@dataclass
class PreparedVoters:
    """A voter file read, joined to its precincts and grouped into households and stops."""

    table: VoterTable
    """Accepted and rejected rows (``table.accepted`` is ``voters`` before targeting)."""
    voters: gpd.GeoDataFrame
    """Accepted voters with ``precinct``, ``household_id``, ``stop_id`` and ``unit_key``."""
    layer: PrecinctLayer | None
    join_counts: dict[str, Any]


def prepare_voters(request: PlanRequest, stages: _Stages | None = None) -> PreparedVoters:
    """Read the voters and precincts of ``request``, join them and group households.

    The first stages of a plan; the server also runs them alone to count a target before
    anything is cut.
    """
    stages = stages or _Stages(None)
    with stages.stage("read_voters"):
        columns = None
        if request.columns_file is not None:
            columns = read_column_mapping(request.columns_file)
        # Address points are read (once) only if some row has to be geocoded.
        table = read_voters(
            request.voters,
            columns=columns,
            address_points=lambda: address_points_or_empty(request.streets),
        )
    layer = None
    with stages.stage("read_precincts"):
        if request.precincts is not None:
            layer = read_precincts(request.precincts, id_column=request.precinct_id_column)
    with stages.stage("precinct_join"):
        table, join_counts = join_precincts(table, layer)
    with stages.stage("households"):
        voters = table.accepted.copy()
        voters[["stop_id", "household_id", "unit_key"]] = assign_households(voters)
    return PreparedVoters(table=table, voters=voters, layer=layer, join_counts=join_counts)


def run_plan(request: PlanRequest, *, on_stage: StageCallback | None = None) -> Plan:
    """Run every stage of a plan in memory; see ``app.outputs.write_plan`` to save it."""
    stages = _Stages(on_stage)
    prepared = prepare_voters(request, stages)
    table, voters, layer, join_counts = (
        prepared.table,
        prepared.voters,
        prepared.layer,
        prepared.join_counts,
    )
    with stages.stage("target"):
        voters["target"] = target_mask(voters, request.target).to_numpy()
    with stages.stage("street_graph"):
        graph = load_walk_graph(request.streets, cache_dir=request.graph_cache_dir)

    building_count = int(voters["stop_id"].nunique())
    with stages.stage("snap"):
        # A building with more target doors than one turf holds becomes parts by units.
        target = voters["target"].to_numpy()
        voters.loc[target, "stop_id"] = split_big_buildings(
            voters.loc[target, "stop_id"],
            voters.loc[target, "household_id"],
            voters.loc[target, "unit"],
            max_doors=max_doors_per_stop(request.size, request.model),
        ).to_numpy()
        target_voters = voters.loc[voters["target"]]
        stops = summarise_stops(target_voters)
        x, y = graph.to_metric(stops.geometry.x.to_numpy(), stops.geometry.y.to_numpy())
        snapped = snap_points(graph, x, y, max_distance_m=request.max_snap_m)
        island_stops = stops.loc[snapped.on_island & ~snapped.too_far]
        snap_counts = {
            "stops": len(stops),
            "too_far": int(snapped.too_far.sum()),
            "median_offset_m": round(float(np.median(snapped.offset_m)), 1) if len(stops) else 0,
            # Snapped to the main network, but a disconnected street lies closer: check them.
            "nearest_street_disconnected": len(island_stops),
            "nearest_street_disconnected_examples": list(island_stops["address"].head(10)),
        }
        far_stops = set(stops.loc[snapped.too_far, "stop_id"])
        if far_stops:
            far_voters = voters["stop_id"].isin(far_stops) & voters["target"]
            table = reject_rows(
                replace(table, accepted=voters),
                far_voters,
                f"address more than {request.max_snap_m:.0f} m from any walkable street in the "
                "street data (is the OSM extract large enough?)",
            )
            voters = table.accepted
            keep = ~snapped.too_far
            stops = stops.loc[keep].reset_index(drop=True)
            snapped = snapped.subset(np.flatnonzero(keep))
            x, y = x[keep], y[keep]
        # Where each stop meets the street: maps draw a short connector from the door to it.
        foot = shapely.get_coordinates(
            shapely.line_interpolate_point(
                graph.edges.geometry.to_numpy()[snapped.edge], snapped.position_m
            )
        )
        stops["street_lon"], stops["street_lat"] = graph.to_lonlat(foot[:, 0], foot[:, 1])
        start = None
        if request.start_latlon is not None:
            sx, sy = graph.to_metric(
                np.array([request.start_latlon[1]]), np.array([request.start_latlon[0]])
            )
            start = snap_points(graph, sx, sy, max_distance_m=request.max_snap_m)
            if bool(start.too_far[0]):
                raise SnappingError(
                    f"the start point {request.start_latlon} is more than "
                    f"{request.max_snap_m:.0f} m from any walkable street"
                )

    turfs: list[Turf] = []
    with stages.stage("cut_turfs"):
        doors = stops["doors"].to_numpy()
        edited = _apply_edit(request, stops, graph, snapped, x, y, layer is not None)
        cut, walks = cut_turfs(
            graph,
            snapped,
            x,
            y,
            doors,
            stops["precinct"].fillna("").astype(str).to_numpy(),
            size=request.size,
            model=request.model,
            keep_precincts=layer is not None,
            start=start,
            keep=edited.keep if edited else _turfs_to_keep(request.previous_stops, stops),
        )
        rerouted = edited.changed if edited else frozenset()
        if edited:
            cut = [
                replace(piece, precinct=edited.precincts.get(str(piece.turf_id), piece.precinct))
                for piece in cut
            ]
    with stages.stage("route_turfs"):
        target_size = float(request.size.doors or request.size.minutes or 0.0)

        def _turf_size(route: TurfRoute, members: np.ndarray) -> float:
            if request.size.doors is not None:
                return float(doors[members].sum())
            return route.minutes

        routes = [
            route_turf(
                graph,
                walks[piece.group],
                piece.members,
                doors,
                model=request.model,
                keep_order=piece.turf_id is not None and piece.turf_id not in rerouted,
            )
            for piece in cut
        ]
        ids = _turf_ids(
            [piece.precinct for piece in cut],
            [float(x[piece.members].mean()) for piece in cut],
            with_precincts=layer is not None,
            fixed=[piece.turf_id for piece in cut],
        )
        turfs = sorted(
            (
                Turf(
                    turf_id=i,
                    precinct=piece.precinct,
                    route=r,
                    crosses_barrier=piece.crosses_barrier,
                    size_note=piece.size_note(target_size, _turf_size(r, piece.members)),
                    shared_block_faces=piece.shared_faces,
                )
                for i, piece, r in zip(ids, cut, routes, strict=True)
            ),
            key=lambda t: t.turf_id,
        )
        stops["turf"] = ""
        stops["sequence"] = 0
        stops["leg_m"] = 0.0
        for turf in turfs:
            positions = np.asarray(turf.route.stops)
            stops.loc[positions, "turf"] = turf.turf_id
            stops.loc[positions, "sequence"] = np.arange(1, len(positions) + 1)
            stops.loc[positions, "leg_m"] = np.round(turf.route.legs_m, 1)
        voters = voters.merge(
            stops[["stop_id", "turf", "sequence"]], on="stop_id", how="left"
        ).set_index(voters.index)
        voters.loc[~voters["target"], ["turf", "sequence"]] = [None, None]

    counts = {
        "voters": {
            "total": table.total,
            "accepted": len(table.accepted),
            "rejected": len(table.rejected),
            "layout": table.layout,
            "columns": table.columns,
            "source": {
                s: int((table.accepted["source"] == s).sum())
                for s in ("file", "osm_address", "interpolated")
            },
        },
        "geocoding": table.geocoding,
        "households": int(voters["household_id"].nunique()),
        "stops": building_count,
        "precinct_join": join_counts,
        "target": {
            "expression": request.target or "",
            "voters": int(voters["target"].sum()),
            "households": int(voters.loc[voters["target"], "household_id"].nunique()),
            "stops": len(stops),
        },
        "snap": snap_counts,
        "recut": {
            "kept_turfs": sum(p.turf_id is not None and p.turf_id not in rerouted for p in cut),
            "new_turfs": sum(p.turf_id is None or p.turf_id in rerouted for p in cut),
        },
        "street_graph": {
            "source": graph.source,
            "nodes": graph.node_count,
            "edges": len(graph.edges),
            "disconnected_edges_dropped": graph.dropped_edges,
            "crs": graph.crs.to_string(),
        },
    }
    edits = [*request.previous_edits, *([edited.record] if edited else [])]
    if edits:
        counts["edits"] = edits
    return Plan(
        request=request,
        voters=voters,
        rejected=table.rejected,
        total_rows=table.total,
        stops=stops,
        turfs=turfs,
        graph=graph,
        precincts=None if layer is None else layer.polygons,
        counts=counts,
        timings_s=stages.timings,
    )
