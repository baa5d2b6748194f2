"""A turf as a volunteer's phone sees it: stops in walking order, doors, allowed voter fields."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import RowMapping, select

from app.privacy.exclude import hidden_at_doors
from app.privacy.keys import PrivacyKeys
from app.store.engine import Database
from app.store.links import LinkInfo
from app.store.models import Household, Route, Stop, Turf, Voter
from geo.households import natural_key


def _voter(voter: RowMapping, fields: tuple[str, ...]) -> dict[str, Any]:
    shown: dict[str, Any] = {"voter_id": voter["voter_code"]}
    for name in fields:
        if name == "name":
            shown["name"] = f"{voter['first_name']} {voter['last_name']}".strip()
        else:
            shown[name] = voter[name]
    return shown


def _left_out(
    households: Sequence[Any], voters: Sequence[Any], keys: PrivacyKeys | None
) -> tuple[set[int], set[int]]:
    """Households (their row ids) and voters (their positions) a live link no longer shows.

    A person who opted out or was erased since the plan was cut goes at once, without a
    re-cut (issue 21); so does a household that opted out, or whose target voters all did.
    """
    if keys is None or not (keys.do_not_contact or keys.erased) or not households:
        return set(), set()
    door = {h.id: (h.address or "", h.unit or "") for h in households}
    people = [
        (v.voter_code or "", v.first_name or "", v.last_name or "", *door[v.household_id])
        for v in voters
    ]
    hidden, closed = hidden_at_doors(people, list(door.values()), keys)
    ids = list(door)
    gone = {ids[i] for i in closed}
    left: dict[int, int] = {}
    for i, v in enumerate(voters):
        left[v.household_id] = left.get(v.household_id, 0) + (i not in hidden)
    gone |= {h for h, count in left.items() if count == 0}
    return gone, hidden


def turf_walk(
    db: Database, link: LinkInfo, *, keys: PrivacyKeys | None = None
) -> dict[str, Any] | None:
    """The ``turf`` and ``stops`` parts of ``GET /api/v/{token}/turf``; None if the turf is gone.

    With ``keys`` (``app.store.privacy.stored_keys``), people and households who must not be
    contacted are left out, and stops left with no household.
    """
    # Columns, not ORM objects: a turf has hundreds of voters, and building an object for each
    # was most of the time of a volunteer's first request.
    with db.reading() as session:
        turf = session.execute(
            select(
                Turf.id,
                Turf.code,
                Turf.precinct,
                Turf.doors,
                Turf.stops,
                Turf.minutes,
                Turf.walk_m,
                Turf.drop_off_lat,
                Turf.drop_off_lon,
            ).where(Turf.plan_id == link.plan_id, Turf.code == link.turf_code)
        ).first()
        if turf is None:
            return None
        route = session.scalar(select(Route.points).where(Route.turf_id == turf.id))
        stops = session.execute(
            select(
                Stop.id, Stop.stop_code, Stop.sequence, Stop.address, Stop.lat, Stop.lon, Stop.doors
            )
            .where(Stop.turf_id == turf.id)
            .order_by(Stop.sequence, Stop.id)
        ).all()
        households = session.execute(
            select(
                Household.id, Household.stop_id, Household.key, Household.unit, Household.address
            )
            .join(Stop, Stop.id == Household.stop_id)
            .where(Stop.turf_id == turf.id)
            .order_by(Household.id)
        ).all()
        voters = session.execute(
            select(
                Voter.household_id,
                Voter.voter_code,
                Voter.first_name,
                Voter.last_name,
                Voter.age,
                Voter.party,
                Voter.support_score,
                Voter.turnout_score,
            )
            .join(Household, Household.id == Voter.household_id)
            .join(Stop, Stop.id == Household.stop_id)
            .where(Stop.turf_id == turf.id)
            .order_by(Voter.id)
        ).all()
    gone, gone_voters = _left_out(households, voters, keys)
    by_household: dict[int, list[dict[str, Any]]] = {}
    for number, voter in enumerate(voters):
        if number in gone_voters:
            continue
        by_household.setdefault(voter.household_id, []).append(_voter(voter._mapping, link.fields))
    by_stop: dict[int, list[dict[str, Any]]] = {}
    for household in households:
        assert household.stop_id is not None
        if household.id in gone:
            continue
        by_stop.setdefault(household.stop_id, []).append(
            {
                "household_id": household.key,
                "unit": household.unit,
                "voters": by_household.get(household.id, []),
            }
        )
    drop_off = (
        {"lat": turf.drop_off_lat, "lon": turf.drop_off_lon}
        if turf.drop_off_lat is not None and turf.drop_off_lon is not None
        else None
    )
    return {
        "turf": {
            "id": turf.code,
            "precinct": turf.precinct,
            "doors": turf.doors,
            "stops": turf.stops,
            "minutes": turf.minutes,
            "walk_m": turf.walk_m,
            "drop_off": drop_off,
            "route": route or [],
        },
        "stops": [
            {
                "stop_id": stop.stop_code,
                "sequence": stop.sequence,
                "address": stop.address,
                "lat": stop.lat,
                "lon": stop.lon,
                "doors": stop.doors,
                "households": sorted(
                    by_stop.get(stop.id, []), key=lambda h: natural_key(h["unit"])
                ),
            }
            for stop in stops
            if stop.id in by_stop or not gone
        ],
    }
