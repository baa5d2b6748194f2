"""Re-cutting and naming turfs: which turfs of an earlier cut stay, and the ids of new ones.

Turf ids are for people: by precinct, then west to east (``P03-02``), ``T04`` without
precincts, ``NONE-01`` for voters in no precinct. A turf of an earlier cut whose stops are all
still targeted with the same doors keeps its id and walking order, so printed walk lists stay
valid; a manual edit (``app.planning.edits``) decides the kept turfs itself.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from app.planning.edits import AppliedEdit, apply_edit, turf_prefix
from app.planning.request import PlanRequest
from routing.snap import Snapped
from routing.streets import StreetGraph


def turf_ids(
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
        key = turf_prefix(precincts[i]) if with_precincts else ""
        while True:
            counters[key] = counters.get(key, 0) + 1
            candidate = f"{key}-{counters[key]:02d}" if with_precincts else f"T{counters[key]:02d}"
            if candidate not in taken:
                break
        ids[i] = candidate
    return ids


def turfs_to_keep(previous: pd.DataFrame | None, stops: gpd.GeoDataFrame) -> dict[str, np.ndarray]:
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


def apply_request_edit(
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
