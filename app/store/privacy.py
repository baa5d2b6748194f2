"""The privacy store: opt-outs and erasure tombstones (salted hashes), and erasing rows.

Keys are made by ``app.privacy.keys`` from a voter id, a name with an address, or a door's
address; only their salted hashes are stored, with the salt in its own one-row table.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterable
from typing import Any
from weakref import WeakKeyDictionary

import pandas as pd
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from app.privacy.keys import DO_NOT_CONTACT, ERASED, PrivacyKeys, hash_key, key_texts
from app.store.engine import Database, as_utc, utcnow
from app.store.models import Household, Plan, PrivacyKey, PrivacySalt, Result, Stop, Turf, Voter

OPT_OUT_CODE = "do_not_contact"
"""The door result (``segments.door_results``) that makes a person or household an opt-out."""


def _salt(session: Session) -> str:
    salt = session.scalar(select(PrivacySalt.salt).order_by(PrivacySalt.id).limit(1))
    if salt is None:
        salt = secrets.token_hex(16)
        session.add(PrivacySalt(salt=salt))
        session.flush()
    return salt


def _add(session: Session, texts: Iterable[str], kind: str, source: str) -> int:
    """Store the hashes of ``texts`` as ``kind`` (those stored already are skipped)."""
    salt = _salt(session)
    hashes = {hash_key(salt, t) for t in texts if t}
    if not hashes:
        return 0
    known = set(
        session.scalars(
            select(PrivacyKey.key).where(PrivacyKey.kind == kind, PrivacyKey.key.in_(hashes))
        )
    )
    now = utcnow()
    for key in sorted(hashes - known):
        session.add(PrivacyKey(key=key, kind=kind, source=source, created_at=now))
    return len(hashes - known)


def add_keys(db: Database, texts: Iterable[str], *, kind: str, source: str) -> int:
    """Store key texts (``app.privacy.keys``) as opt-outs or tombstones; how many were new."""
    with db.writing() as session:
        return _add(session, list(texts), kind, source)


def _door_texts(rows: list[tuple[Any, ...]]) -> list[str]:
    """Key texts of door results: ``(voter_code, first, last, address, unit)`` rows."""
    if not rows:
        return []
    frame = pd.DataFrame(
        rows, columns=["voter_id", "first_name", "last_name", "address", "unit"]
    ).fillna("")
    texts = key_texts(frame)
    person = frame["voter_id"] != ""
    found = [*texts.loc[person, "voter"], *texts.loc[person, "person"]]
    found += list(texts.loc[~person, "door"])  # no voter named: the whole household
    return [t for t in found if t]


def absorb_door_results(db: Database) -> int:
    """Turn "Do not contact" results recorded at doors into stored opt-outs; how many new."""
    with db.writing() as session:
        rows = session.execute(
            select(
                Result.voter_code,
                Voter.first_name,
                Voter.last_name,
                Household.address,
                Household.unit,
            )
            .join(Household, Household.id == Result.household_id)
            .outerjoin(
                Voter,
                (Voter.household_id == Result.household_id)
                & (Voter.voter_code == Result.voter_code),
            )
            .where(Result.code == OPT_OUT_CODE)
        ).all()
        return _add(session, _door_texts([tuple(r) for r in rows]), DO_NOT_CONTACT, "door")


class _StoredKeys:
    """The keys of each open database, read again only when one was added or removed.

    Every phone's turf request checks them (``app.store.walk``): a campaign's opt-out list may
    hold tens of thousands, and reading them all per request would cost more than the turf.
    """

    def __init__(self) -> None:
        self._known: WeakKeyDictionary[Database, tuple[tuple[Any, ...], PrivacyKeys]] = (
            WeakKeyDictionary()
        )
        self._lock = threading.Lock()

    def read(self, db: Database) -> PrivacyKeys:
        with db.reading() as session:
            salt = session.scalar(select(PrivacySalt.salt).order_by(PrivacySalt.id).limit(1))
            mark = (salt, *session.execute(select(func.count(), func.max(PrivacyKey.id))).one())
            with self._lock:
                known = self._known.get(db)
            if known is not None and known[0] == mark:
                return known[1]
            rows = session.execute(select(PrivacyKey.kind, PrivacyKey.key)).all() if salt else []
        keys = PrivacyKeys(
            salt=salt or "",
            do_not_contact=frozenset(k for kind, k in rows if kind == DO_NOT_CONTACT),
            erased=frozenset(k for kind, k in rows if kind == ERASED),
        )
        with self._lock:
            self._known[db] = (mark, keys)
        return keys


_STORED = _StoredKeys()


def stored_keys(db: Database) -> PrivacyKeys:
    """The opt-outs and tombstones stored so far, read only (door results not absorbed)."""
    return _STORED.read(db)


def privacy_keys(db: Database) -> PrivacyKeys:
    """Every opt-out and tombstone, with the salt to match voters against them."""
    absorb_door_results(db)
    with db.writing() as session:
        _salt(session)
    return stored_keys(db)


def key_counts(db: Database) -> dict[str, int]:
    """How many opt-out and tombstone keys are stored (for the admin page)."""
    with db.reading() as session:
        rows = session.execute(select(PrivacyKey.kind)).scalars().all()
    return {kind: sum(1 for r in rows if r == kind) for kind in (DO_NOT_CONTACT, ERASED)}


def voter_records(db: Database, voter_code: str) -> list[dict[str, Any]]:
    """Everything the database holds about voter ``voter_code``, per plan (for an export)."""
    with db.reading() as session:
        rows = session.execute(
            select(Voter, Household, Plan.name)
            .join(Household, Household.id == Voter.household_id)
            .join(Plan, Plan.id == Voter.plan_id)
            .where(Voter.voter_code == voter_code)
            .order_by(Plan.name)
        ).all()
        found = []
        for voter, household, plan in rows:
            turf = session.scalar(
                select(Turf.code)
                .join(Stop, Stop.turf_id == Turf.id)
                .where(Stop.id == household.stop_id)
            )
            results = session.scalars(
                select(Result)
                .where(Result.household_id == household.id)
                .where((Result.voter_code == voter_code) | Result.voter_code.is_(None))
                .order_by(Result.recorded_at)
            ).all()
            found.append(
                {
                    "plan": plan,
                    "voter_id": voter.voter_code,
                    "first_name": voter.first_name,
                    "last_name": voter.last_name,
                    "age": voter.age,
                    "party": voter.party,
                    "support_score": voter.support_score,
                    "turnout_score": voter.turnout_score,
                    "address": household.address,
                    "unit": household.unit,
                    "turf": turf,
                    "door_results": [
                        {
                            "result": r.code,
                            "for": "this voter" if r.voter_code else "the household",
                            "answers": r.answers,
                            "notes": r.notes,
                            "recorded_at": as_utc(r.recorded_at).isoformat(),
                        }
                        for r in results
                    ],
                }
            )
    return found


def erase_voter_rows(session: Session, voter_code: str) -> dict[str, Any]:
    """Delete voter ``voter_code`` and their results; blank their households' notes.

    Household results stay as counts (a door was knocked), without the notes, which may
    name the person. Returns the plans they were in and what was removed.
    """
    rows = session.execute(
        select(Voter.household_id, Plan.name)
        .join(Plan, Plan.id == Voter.plan_id)
        .where(Voter.voter_code == voter_code)
    ).all()
    households = sorted({h for h, _ in rows})
    removed = session.execute(delete(Result).where(Result.voter_code == voter_code))
    if households:
        session.execute(update(Result).where(Result.household_id.in_(households)).values(notes=""))
    voters = session.execute(delete(Voter).where(Voter.voter_code == voter_code))
    return {
        "plans": sorted({p for _, p in rows}),
        "voter_rows": int(getattr(voters, "rowcount", 0) or 0),
        "results": int(getattr(removed, "rowcount", 0) or 0),
    }
