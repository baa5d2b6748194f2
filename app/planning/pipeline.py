"""One plan, end to end: inputs -> voters, households, stops -> target -> turfs -> walk lists.

Each stage is a call into geo/, segments/ or routing/; this module only sequences them,
times them and keeps the books so that every input row is accounted for.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from app.planning.analysis import PlanAnalysis, analyse
from app.planning.assign import Suggestion, read_plan_volunteers, suggest_for_plan
from app.planning.budget import PlanBudget, plan_budget, voter_values
from app.planning.budget_recut import (
    area_groups,
    door_values,
    main_precinct,
    recut_budget,
    worth_levels,
)
from app.planning.heap import frozen_heap
from app.planning.next_pass import apply_results, still_open
from app.planning.progress import Progress, Stages
from app.planning.recut import apply_request_edit, turf_ids, turfs_to_keep
from app.planning.request import PlanRequest
from app.privacy.exclude import leave_out
from geo.address_sources import read_address_sources
from geo.geocode import SOURCES
from geo.households import assign_households, split_big_buildings, summarise_stops
from geo.join import join_precincts
from geo.layouts import read_column_mapping
from geo.osm import address_points_or_empty
from geo.precincts import PrecinctLayer, read_precincts
from geo.voters import VoterTable, read_voters, reject_rows, require_voters
from routing._errors import SnappingError, StreetDataError
from routing.cutting import CutTurf, cut_turfs, max_doors_per_stop
from routing.snap import Snapped, snap_points
from routing.streets import StreetGraph, load_walk_graph
from routing.turfs import GroupWalks, TurfRoute, route_turfs
from segments.filter import select


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
    analysis: PlanAnalysis
    """Size, hours and hot spots of the target universe (drawn by the heatmaps)."""
    budget: PlanBudget | None = None
    """Turf priorities within the volunteer-hours (``request.hours``), if given."""
    suggestion: Suggestion | None = None
    """Who goes where (``request.volunteers``), if given."""


def target_mask(voters: gpd.GeoDataFrame, expression: str | None) -> pd.Series:
    """The voters a target expression selects (all of them for ``None`` or blank)."""
    if not expression or not expression.strip():
        return pd.Series(True, index=voters.index, name="target")
    return select(voters, expression, household_column="household_id")


@dataclass
class PreparedVoters:
    """A voter file read, joined to its precincts and grouped into households and stops."""

    table: VoterTable
    """Accepted and rejected rows (``table.accepted`` is ``voters`` before targeting)."""
    voters: gpd.GeoDataFrame
    """Accepted voters with ``precinct``, ``household_id``, ``stop_id`` and ``unit_key``."""
    layer: PrecinctLayer | None
    join_counts: dict[str, Any]
    privacy: dict[str, Any] = field(default_factory=dict)
    """Voters left out: ``do_not_contact`` and ``erased`` counts (no names)."""


def prepare_voters(request: PlanRequest, stages: Stages | None = None) -> PreparedVoters:
    """Read the voters and precincts of ``request``, join them and group households.

    The first stages of a plan; the server also runs them alone to count a target before
    anything is cut.
    """
    stages = stages or Stages()
    columns = None
    if request.columns_file is not None:
        columns = read_column_mapping(request.columns_file)
    # Address data is read (once) only if some row has to be geocoded.
    table = read_voters(
        request.voters,
        columns=columns,
        address_points=lambda: address_points_or_empty(request.streets),
        address_sources=(
            (lambda: read_address_sources(request.addresses, archive_limits=request.archive_limits))
            if request.addresses
            else None
        ),
        archive_limits=request.archive_limits,
        stages=stages.stage,
    )
    privacy: dict[str, Any] = {"do_not_contact": 0, "erased": 0}
    if request.privacy is not None:
        table, privacy = leave_out(table, request.privacy)
    require_voters(table, path=request.voters)
    layer = None
    with stages.stage("read_precincts"):
        if request.precincts is not None:
            layer = read_precincts(
                request.precincts,
                id_column=request.precinct_id_column,
                archive_limits=request.archive_limits,
            )
    with stages.stage("precinct_join"):
        table, join_counts = join_precincts(table, layer)
    require_voters(table, path=request.voters, after="the precinct join")
    with stages.stage("households"):
        voters = table.accepted.copy()
        voters[["stop_id", "household_id", "unit_key"]] = assign_households(voters)
    return PreparedVoters(
        table=table, voters=voters, layer=layer, join_counts=join_counts, privacy=privacy
    )


@dataclass
class _Snap:
    """Target stops that reach a street, where they meet it, and the drop-off point."""

    stops: gpd.GeoDataFrame
    snapped: Snapped
    x: np.ndarray
    y: np.ndarray
    start: Snapped | None
    counts: dict[str, Any]


def _split_big_buildings(voters: gpd.GeoDataFrame, request: PlanRequest) -> None:
    """A building with more target doors than one turf holds becomes parts by units."""
    target = voters["target"].to_numpy()
    voters.loc[target, "stop_id"] = split_big_buildings(
        voters.loc[target, "stop_id"],
        voters.loc[target, "household_id"],
        voters.loc[target, "unit"],
        max_doors=max_doors_per_stop(request.size, request.model),
    ).to_numpy()


def _snap_stops(
    request: PlanRequest, graph: StreetGraph, table: VoterTable, voters: gpd.GeoDataFrame
) -> tuple[_Snap, VoterTable]:
    """Snap the target stops to the streets; voters of stops too far from any are rejected."""
    stops = summarise_stops(voters.loc[voters["target"]])
    x, y = graph.to_metric(stops.geometry.x.to_numpy(), stops.geometry.y.to_numpy())
    snapped = snap_points(graph, x, y, max_distance_m=request.max_snap_m)
    island_stops = stops.loc[snapped.on_island & ~snapped.too_far]
    counts = {
        "stops": len(stops),
        "too_far": int(snapped.too_far.sum()),
        "median_offset_m": round(float(np.median(snapped.offset_m)), 1) if len(stops) else 0,
        # Snapped to the main network, but a disconnected street lies closer: check them.
        "nearest_street_disconnected": len(island_stops),
        "nearest_street_disconnected_examples": list(island_stops["address"].head(10)),
    }
    if len(stops) and bool(snapped.too_far.all()):
        raise StreetDataError(_no_overlap(request, graph, stops))
    table = replace(table, accepted=voters)
    far_stops = set(stops.loc[snapped.too_far, "stop_id"])
    if far_stops:
        far_voters = voters["stop_id"].isin(far_stops) & voters["target"]
        table = reject_rows(
            table,
            far_voters,
            f"address more than {request.max_snap_m:.0f} m from any walkable street in the "
            "street data (is the OSM extract large enough?)",
        )
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
    return _Snap(stops, snapped, x, y, start, counts), table


def _extent(west: float, south: float, east: float, north: float) -> str:
    return f"lon {west:.3f} to {east:.3f}, lat {south:.3f} to {north:.3f}"


def _no_overlap(request: PlanRequest, graph: StreetGraph, stops: gpd.GeoDataFrame) -> str:
    """Why no target stop reached a street: the two areas, side by side."""
    x0, y0, x1, y1 = graph.edges.total_bounds
    lon, lat = graph.to_lonlat(np.array([x0, x1]), np.array([y0, y1]))
    voters = _extent(*(float(v) for v in stops.total_bounds))
    streets = _extent(float(lon[0]), float(lat[0]), float(lon[1]), float(lat[1]))
    return (
        f"the street data {request.streets} does not cover the voters of {request.voters}: "
        f"no target address is within {request.max_snap_m:.0f} m of its streets. The voters "
        f"lie at {voters}; the streets cover {streets}. Use an extract of the voters' area."
    )


def _route_turfs(
    request: PlanRequest,
    graph: StreetGraph,
    snap: _Snap,
    cut: list[CutTurf],
    walks: dict[str, GroupWalks],
    rerouted: frozenset[str],
    with_precincts: bool,
    progress: Progress,
) -> list[Turf]:
    """Route every turf (kept ones in their old order), name the new ones, sorted by id."""
    doors = snap.stops["doors"].to_numpy()
    target_size = float(request.size.doors or request.size.minutes or 0.0)

    def size_of(route: TurfRoute, members: np.ndarray) -> float:
        if request.size.doors is not None:
            return float(doors[members].sum())
        return route.minutes

    routes = []
    jobs = [
        (piece.group, piece.members, piece.turf_id is not None and piece.turf_id not in rerouted)
        for piece in cut
    ]
    for route in route_turfs(graph, walks, jobs, doors, model=request.model):
        routes.append(route)
        progress.advance()
    ids = turf_ids(
        [piece.precinct for piece in cut],
        [float(snap.x[piece.members].mean()) for piece in cut],
        with_precincts=with_precincts,
        fixed=[piece.turf_id for piece in cut],
    )
    return sorted(
        (
            Turf(
                turf_id=i,
                precinct=piece.precinct,
                route=r,
                crosses_barrier=piece.crosses_barrier,
                size_note=piece.size_note(target_size, size_of(r, piece.members)),
                shared_block_faces=piece.shared_faces,
            )
            for i, piece, r in zip(ids, cut, routes, strict=True)
        ),
        key=lambda t: t.turf_id,
    )


def _place_in_turfs(
    stops: gpd.GeoDataFrame, voters: gpd.GeoDataFrame, turfs: list[Turf]
) -> gpd.GeoDataFrame:
    """Give stops their turf, sequence and leg; the voters of target stops likewise."""
    stops["turf"] = ""
    stops["sequence"] = 0
    stops["leg_m"] = 0.0
    for turf in turfs:
        positions = np.asarray(turf.route.stops)
        stops.loc[positions, "turf"] = turf.turf_id
        stops.loc[positions, "sequence"] = np.arange(1, len(positions) + 1)
        stops.loc[positions, "leg_m"] = np.round(turf.route.legs_m, 1)
    placed = voters.merge(stops[["stop_id", "turf", "sequence"]], on="stop_id", how="left")
    placed = placed.set_index(voters.index)
    placed.loc[~placed["target"], ["turf", "sequence"]] = [None, None]
    return placed


def run_plan(
    request: PlanRequest,
    *,
    progress: Progress | None = None,
    prepared: PreparedVoters | None = None,
) -> Plan:
    """Run every stage of a plan in memory; ``app.outputs.writer.write_plan`` saves it.

    ``prepared``: voters already read and joined (one region of a plan split by region, see
    ``app.services.region_plans``) instead of reading ``request.voters``.
    """
    with frozen_heap():  # the libraries' objects: out of the full collections' way
        return _run_plan(request, progress=progress, prepared=prepared)


def _run_plan(
    request: PlanRequest, *, progress: Progress | None, prepared: PreparedVoters | None
) -> Plan:
    stages = Stages(progress)
    prepared = prepared or prepare_voters(request, stages)
    table, voters, layer = prepared.table, prepared.voters, prepared.layer
    with stages.stage("target"):
        # The next pass (--results): households know their knocks; closed doors leave.
        voters, pass_suffix = apply_results(voters, request.results)
        voters["target"] = target_mask(voters, request.target).to_numpy()
        if request.results is not None:
            voters["target"] &= still_open(voters).to_numpy()
        # Evaluated here so that a mistake in it stops the plan before the slow stages.
        values = voter_values(voters, request.value) if request.hours is not None else None
        volunteers = read_plan_volunteers(request)  # a bad row stops the plan here, too
    with stages.stage("street_graph"):
        graph = load_walk_graph(request.streets, cache_dir=request.graph_cache_dir)
    building_count = int(voters["stop_id"].nunique())
    with stages.stage("snap"):
        _split_big_buildings(voters, request)
        snap, table = _snap_stops(request, graph, table, voters)
        voters, stops = table.accepted, snap.stops
    with stages.stage("cut_turfs", total=len(stops)) as cutting:  # stops cut
        with_precincts = layer is not None
        precincts = stops["precinct"].fillna("").astype(str).to_numpy()
        edited = apply_request_edit(
            request, stops, graph, snap.snapped, snap.x, snap.y, with_precincts
        )
        cut, walks = cut_turfs(
            graph,
            snap.snapped,
            snap.x,
            snap.y,
            stops["doors"].to_numpy(),
            stops["precinct"].fillna("").astype(str).to_numpy(),
            size=request.size,
            model=request.model,
            keep_precincts=with_precincts,
            start=snap.start,
            keep=edited.keep if edited else turfs_to_keep(request.previous_stops, stops),
            on_cut=cutting.advance,
        )
        rerouted = edited.changed if edited else frozenset()
        if edited:
            cut = [
                replace(piece, precinct=edited.precincts.get(str(piece.turf_id), piece.precinct))
                for piece in cut
            ]
    with stages.stage("route_turfs", total=len(cut)) as routing:
        turfs = _route_turfs(request, graph, snap, cut, walks, rerouted, with_precincts, routing)
        if pass_suffix:  # a pass's turfs are new turfs: ids of their own (P01-02-p2)
            turfs = [
                t
                if t.turf_id.endswith(pass_suffix)
                else replace(t, turf_id=t.turf_id + pass_suffix)
                for t in turfs
            ]
        unplaced, voters = voters, _place_in_turfs(stops, voters, turfs)
    budget = None
    if request.hours is not None and values is not None:
        with stages.stage("budget"):
            hours, model = request.hours, request.model

            def choose(turfs: list[Turf], voters: pd.DataFrame, trim: bool = True) -> PlanBudget:
                routes = {t.turf_id: (t.route.minutes, t.route.legs_m) for t in turfs}
                return plan_budget(voters, routes, hours=hours, values=values,
                                   expression=request.value, model=model, trim=trim)  # fmt: skip

            def cut_and_place(area: set[str]) -> tuple[list[Turf], pd.DataFrame]:
                # The area's stops and the others as groups of their own, in each precinct.
                groups = area_groups(precincts, stops["stop_id"].to_numpy(), area)
                pieces, area_walks = cut_turfs(
                    graph, snap.snapped, snap.x, snap.y, stops["doors"].to_numpy(), groups,
                    size=request.size, model=model, keep_precincts=True, start=snap.start,
                )  # fmt: skip
                pieces = [replace(p, precinct=main_precinct(precincts, p.members)) for p in pieces]
                new = _route_turfs(request, graph, snap, pieces, area_walks, frozenset(),
                                   with_precincts, stages.progress)  # fmt: skip
                new = [replace(t, turf_id=t.turf_id + pass_suffix) for t in new]
                return new, _place_in_turfs(stops, unplaced, new)

            budget = choose(turfs, voters)
            if edited is None:  # a manual edit's turfs stand as the organiser left them
                recut = recut_budget(
                    budget, turfs, voters,
                    areas=worth_levels(door_values(voters, values)),
                    cut_and_place=cut_and_place,
                    choose_whole=lambda t, v: choose(t, v, trim=False),
                )  # fmt: skip
                turfs, budget = recut.turfs, recut.budget
                voters = _place_in_turfs(stops, unplaced, turfs)
    suggestion = None
    if volunteers is not None:
        with stages.stage("assign"):
            minutes = pd.DataFrame(
                {"turf": [t.turf_id for t in turfs], "minutes": [t.route.minutes for t in turfs]}
            )
            budgeted = None if budget is None else budget.turfs
            suggestion = suggest_for_plan(volunteers, minutes, stops, budgeted)
    with stages.stage("analysis"):
        analysis = analyse(voters, stops, model=request.model)

    counts = {
        "voters": {
            "total": table.total,
            "accepted": len(table.accepted),
            "rejected": len(table.rejected),
            "layout": table.layout,
            "columns": table.columns,
            "source": {s: int((table.accepted["source"] == s).sum()) for s in SOURCES},
        },
        "geocoding": table.geocoding,
        "households": int(voters["household_id"].nunique()),
        "stops": building_count,
        "precinct_join": prepared.join_counts,
        "target": {
            "expression": request.target or "",
            "voters": int(voters["target"].sum()),
            "households": int(voters.loc[voters["target"], "household_id"].nunique()),
            "stops": len(stops),
        },
        "snap": snap.counts,
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
    counts["privacy"] = prepared.privacy
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
        analysis=analysis,
        budget=budget,
        suggestion=suggestion,
    )
