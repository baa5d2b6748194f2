"""Who goes where from the people list: a suggestion the organiser accepts or changes.

The turfs not given to anyone yet go to the people of the list who have a home, within the
hours they have left in this plan (hours minus the minutes of the turfs they already walk
here; without hours, one turf, so none more for someone who has one), a pair walking
together. Homes typed as an address are placed with the plan's own address data (its OSM
extract and ``--addresses`` files), as its voters were. Applying gives each accepted turf
to its person and makes their link, as giving a turf by hand does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from app.errors import InvalidError, NotFoundError
from app.plan_folder import PlanFolder
from app.planning.assign import suggest, turfs_to_give
from app.services.volunteer_share import Share, assign_and_share
from app.store.assignments import list_assignments
from app.store.engine import Database
from app.store.people import Availability, PersonInfo, add_person, list_people, pair_people
from geo._errors import InputError
from geo.address import ADDRESS_PARTS, parse_address
from geo.address_sources import read_address_sources
from geo.osm import address_points_or_empty
from geo.volunteers import geocode_homes, read_volunteers, split_home


@dataclass(frozen=True)
class SuggestedTurf:
    """One turf of the suggestion: who walks it (and with whom) and their travel to it."""

    turf: str
    person_id: int
    person: str
    partner_id: int | None
    partner: str
    travel_km: float
    minutes: float


@dataclass(frozen=True)
class LeftOut:
    """Someone of the list the suggestion could not use, and why."""

    person_id: int
    person: str
    reason: str


@dataclass(frozen=True)
class PeopleSuggestion:
    """The suggestion, its counts (as ``summary.json``'s) and who was left out."""

    turfs: list[SuggestedTurf]
    record: dict[str, Any]
    left_out: list[LeftOut]


def _homes(people: list[PersonInfo], folder: PlanFolder) -> dict[int, tuple[float, float] | str]:
    """Each person's home as (lat, lon), or why it cannot be used."""
    homes: dict[int, tuple[float, float] | str] = {}
    typed = {p.id: split_home(p.home) for p in people}
    addresses = {pid: text for pid, text in typed.items() if isinstance(text, str) and text}
    for pid, home in typed.items():
        homes[pid] = home if not isinstance(home, str) else "no home: give one in People"
    if not addresses:
        return homes
    inputs = folder.read_summary().get("inputs") or {}
    streets, files = inputs.get("streets"), [Path(p) for p in inputs.get("addresses") or ()]
    parts = parse_address(pd.Series(addresses)).loc[:, list(ADDRESS_PARTS)]
    found = geocode_homes(
        parts,
        address_points=(lambda: address_points_or_empty(streets)) if streets else None,
        address_sources=(lambda: read_address_sources(files)) if files else None,
    )
    for pid in addresses:
        if found.source[pid]:
            homes[pid] = (float(found.lat[pid]), float(found.lon[pid]))
        else:
            homes[pid] = f"home address not found ({found.reason[pid]}); give it as lat, lon"
    return homes


def people_from_volunteers(db: Database, folder: PlanFolder, *, by: int | None) -> tuple[int, int]:
    """Add the volunteers of the plan's ``--volunteers`` file to the people list.

    Someone already on the list by the same name is not added again. Homes are kept as the
    ``lat, lon`` the file gave or its address was placed at, with the hours and pairs of the
    file. Returns how many were added and how many were on the list already.
    """
    inputs = folder.read_summary().get("inputs") or {}
    path = inputs.get("volunteers")
    if not path:
        raise InvalidError(f"plan {folder.name!r} was made without a volunteers file")
    if not Path(path).is_file():
        raise InvalidError(f"the volunteers file of plan {folder.name!r} is gone ({path})")
    streets, files = inputs.get("streets"), [Path(p) for p in inputs.get("addresses") or ()]
    try:
        volunteers = read_volunteers(
            path,
            address_points=(lambda: address_points_or_empty(streets)) if streets else None,
            address_sources=(lambda: read_address_sources(files)) if files else None,
        )
    except InputError as exc:
        raise InvalidError(str(exc)) from None
    known = {p.name.casefold(): p.id for p in list_people(db)}
    ids, added = [], 0
    for name, lat, lon, minutes in volunteers.frame[["name", "lat", "lon", "minutes"]].itertuples(
        index=False
    ):
        if name.casefold() not in known:
            home = f"{lat:.6f}, {lon:.6f}"
            hours = None if np.isnan(minutes) else round(minutes / 60, 2)
            person = add_person(db, name, by=by, availability=Availability(home, hours))
            known[name.casefold()], added = person.id, added + 1
        ids.append(known[name.casefold()])
    for a, b in volunteers.pairs:
        pair_people(db, ids[a], ids[b], by=by)
    return added, len(volunteers.frame) - added


def suggest_from_people(db: Database, folder: PlanFolder) -> PeopleSuggestion:
    """The best assignment of the plan's unassigned turfs to the people of the list."""
    plan = folder.name
    summary = folder.read_summary()
    stops = folder.read_stops()
    if stops is None or not summary.get("turfs"):
        raise InvalidError(f"plan {plan!r} has no turfs to give")
    turfs = pd.DataFrame(summary["turfs"])
    minutes = turfs.set_index(turfs["turf"].astype(str))["minutes"].astype(float)
    taken = [a for a in list_assignments(db, plan) if a.turf_exists]
    used: dict[int, float] = {}
    for a in taken:
        if a.person_id is not None:
            used[a.person_id] = used.get(a.person_id, 0.0) + float(minutes.get(a.turf, 0.0))
    turfs = turfs.loc[~turfs["turf"].astype(str).isin({a.turf for a in taken})]
    people = list_people(db)
    homes = _homes(people, folder)
    rows, left_out = [], []
    for person in people:
        home = homes[person.id]
        left = None if person.hours is None else person.hours * 60 - used.get(person.id, 0.0)
        reason = home if isinstance(home, str) else ""
        if not reason and person.id in used and (left is None or left <= 0):
            reason = "walks a turf of this plan already, with no hours left"
        if reason:
            left_out.append(LeftOut(person.id, person.name, reason))
            continue
        assert not isinstance(home, str)
        rows.append({"id": person.id, "name": person.name, "lat": home[0], "lon": home[1],
                     "minutes": np.nan if left is None else left})  # fmt: skip
    volunteers = pd.DataFrame(rows, columns=["id", "name", "lat", "lon", "minutes"])
    position = {pid: i for i, pid in enumerate(volunteers["id"])}
    pairs = sorted(
        {
            (min(position[p.id], position[q]), max(position[p.id], position[q]))
            for p in people
            if (q := p.pairs_with) is not None and p.id in position and q in position
        }
    )
    given = turfs_to_give(turfs, stops)
    result = suggest(volunteers, pairs, given)
    ids = volunteers["id"].tolist()
    suggested = [
        SuggestedTurf(
            turf=str(row["turf"]),
            person_id=int(ids[row["person"]]),
            person=str(row["volunteer"]),
            partner_id=None if row["partner"] < 0 else int(ids[row["partner"]]),
            partner=str(row["with"]),
            travel_km=float(row["travel_km"]),
            minutes=float(row["minutes"]),
        )
        for row in result.rows.to_dict(orient="records")
    ]
    return PeopleSuggestion(suggested, result.record, left_out)


def apply_suggestion(
    db: Database,
    key: bytes,
    folder: PlanFolder,
    accepted: Sequence[tuple[str, int, str]],
    *,
    link_base: str,
    by: int | None,
) -> list[Share]:
    """Give each accepted turf (turf, person id, note) to its person and make their link.

    Everything is checked first, so a mistake gives nothing away.
    """
    plan = folder.name
    turfs = {str(t["turf"]) for t in folder.read_summary().get("turfs") or ()}
    people = {p.id for p in list_people(db)}
    for turf, person_id, _ in accepted:
        if turf not in turfs:
            raise NotFoundError(f"plan {plan!r} has no turf {turf!r}")
        if person_id not in people:
            raise NotFoundError(f"no person {person_id}")
    if len({turf for turf, _, _ in accepted}) < len(accepted):
        raise InvalidError("turfs: each turf once")
    return [
        assign_and_share(db, key, plan, turf, person_id, link_base=link_base, note=note, by=by)
        for turf, person_id, note in accepted
    ]
