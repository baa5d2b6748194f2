"""The people list: volunteers an organiser gives turfs to, with how to reach them.

Names, phone numbers and email addresses are personal data: the audit log records that a
person was added, changed or removed (by id), never what they are called or how to reach
them. Removing a person takes their turfs back and revokes the links made for them, so
someone who leaves keeps no way into the voters' data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.errors import InvalidError, NotFoundError
from app.fields import check_email, check_phone
from app.store.audit import audit
from app.store.engine import Database, utcnow
from app.store.models import Assignment, Person, VolunteerLink


@dataclass(frozen=True)
class PersonInfo:
    """One person of the list, as the organiser page shows them."""

    id: int
    name: str
    phone: str
    email: str
    turfs: int
    """Turfs given to them, in every plan."""
    home: str = ""
    """Where they start from: ``"lat, lon"`` or an address (geocoded with a plan's data)."""
    hours: float | None = None
    """Hours they can walk; None: one turf."""
    pairs_with: int | None = None
    """The person they walk with (who names them back)."""


@dataclass(frozen=True)
class Availability:
    """Who goes where (issue 18): a person's home, hours and partner, as given."""

    home: str = ""
    hours: float | None = None
    pairs_with: int | None = None


MAX_HOURS = 24.0
"""Most hours a person can be given in one plan (as in a volunteers file)."""


def check_availability(availability: Availability, person_id: int | None) -> Availability:
    """The home trimmed, the hours and partner checked; InvalidError naming the field."""
    home = availability.home.strip()
    if len(home) > 300 or "\x00" in home:
        raise InvalidError("home: at most 300 characters, no NUL")
    hours = availability.hours
    if hours is not None and not 0 < hours <= MAX_HOURS:
        raise InvalidError(f"hours: above 0 and at most {MAX_HOURS:g}, or none for one turf")
    if person_id is not None and availability.pairs_with == person_id:
        raise InvalidError("pairs_with: someone else than the person themselves")
    return Availability(home, hours, availability.pairs_with)


def _pair(session: Session, person: Person, partner_id: int | None) -> None:
    """Make ``person`` and the partner walk together, undoing their earlier pairs."""
    if partner_id is not None and session.get(Person, partner_id) is None:
        raise NotFoundError(f"pairs_with: no person {partner_id}")
    for other in session.scalars(
        select(Person).where(Person.pairs_with == person.id, Person.id != partner_id)
    ):
        other.pairs_with = None
    person.pairs_with = partner_id
    if partner_id is not None:
        partner = session.get(Person, partner_id)
        assert partner is not None
        if partner.pairs_with not in (None, person.id):
            earlier = session.get(Person, partner.pairs_with)
            if earlier is not None:
                earlier.pairs_with = None
        partner.pairs_with = person.id


def check_person(name: str, phone: str = "", email: str = "") -> tuple[str, str, str]:
    """The fields of a person, trimmed; InvalidError naming the field that cannot be used."""
    name = name.strip()
    if not name:
        raise InvalidError("name: give the person's name")
    if len(name) > 200 or "\x00" in name:
        raise InvalidError("name: at most 200 characters, no NUL")
    try:
        phone = check_phone(phone)
    except ValueError as exc:
        raise InvalidError(f"phone: {exc}") from None
    try:
        email = check_email(email)
    except ValueError as exc:
        raise InvalidError(f"email: {exc}") from None
    return name, phone, email


def phone_digits(phone: str) -> str:
    """The phone number as an ``sms:`` link wants it: digits and a leading ``+`` only.

    Examples
    --------
    >>> phone_digits("+358 (40) 123-4567")
    '+358401234567'
    """
    digits = re.sub(r"[^0-9]", "", phone)
    return ("+" + digits) if phone.strip().startswith("+") else digits


def _info(session: Session, person: Person) -> PersonInfo:
    turfs = session.scalar(
        select(func.count()).select_from(Assignment).where(Assignment.person_id == person.id)
    )
    return _as_info(person, int(turfs or 0))


def _as_info(person: Person, turfs: int) -> PersonInfo:
    return PersonInfo(
        person.id, person.name, person.phone, person.email, turfs,
        person.home or "", person.hours, person.pairs_with,
    )  # fmt: skip


def add_person(
    db: Database,
    name: str,
    phone: str = "",
    email: str = "",
    *,
    by: int | None = None,
    availability: Availability | None = None,
) -> PersonInfo:
    """Add a person to the list (two people may share a name: they are told apart by id)."""
    name, phone, email = check_person(name, phone, email)
    given = check_availability(availability or Availability(), None)
    with db.writing() as session:
        person = Person(name=name, phone=phone, email=email, created_by=by, created_at=utcnow())
        person.home, person.hours = given.home, given.hours
        session.add(person)
        session.flush()
        _pair(session, person, given.pairs_with)
        audit(session, "person.add", f"person/{person.id}", user_id=by)
        return _as_info(person, 0)


def update_person(
    db: Database,
    person_id: int,
    name: str,
    phone: str = "",
    email: str = "",
    *,
    by: int | None,
    availability: Availability | None = None,
) -> PersonInfo:
    """Change a person's name, phone or email; their assignments show the new name.

    ``availability`` (home, hours, partner) is kept as it was when None.
    """
    name, phone, email = check_person(name, phone, email)
    given = None if availability is None else check_availability(availability, person_id)
    with db.writing() as session:
        person = session.get(Person, person_id)
        if person is None:
            raise NotFoundError(f"no person {person_id}")
        person.name, person.phone, person.email = name, phone, email
        if given is not None:
            person.home, person.hours = given.home, given.hours
            _pair(session, person, given.pairs_with)
        for row in session.scalars(select(Assignment).where(Assignment.person_id == person_id)):
            row.volunteer = name
        audit(session, "person.update", f"person/{person_id}", user_id=by)
        return _info(session, person)


def pair_people(db: Database, person_id: int, partner_id: int, *, by: int | None) -> None:
    """Make two people of the list walk together (undoing their earlier pairs)."""
    if person_id == partner_id:
        raise InvalidError("pairs_with: someone else than the person themselves")
    with db.writing() as session:
        person = session.get(Person, person_id)
        if person is None:
            raise NotFoundError(f"no person {person_id}")
        _pair(session, person, partner_id)
        audit(session, "person.update", f"person/{person_id}", user_id=by)


def remove_person(db: Database, person_id: int, *, by: int | None) -> int:
    """Remove a person: their turfs are taken back and their links revoked.

    Returns how many turfs they had.
    """
    with db.writing() as session:
        person = session.get(Person, person_id)
        if person is None:
            raise NotFoundError(f"no person {person_id}")
        rows = session.scalars(select(Assignment).where(Assignment.person_id == person_id)).all()
        now = utcnow()
        for row in rows:
            link = session.get(VolunteerLink, row.link_id) if row.link_id is not None else None
            if link is not None and link.revoked_at is None:
                link.revoked_at = now
                audit(session, "link.revoke", link.turf_code, user_id=by, link_id=link.id)
            session.delete(row)
        session.delete(person)
        audit(session, "person.remove", f"person/{person_id}", user_id=by, turfs=len(rows))
    return len(rows)


def list_people(db: Database) -> list[PersonInfo]:
    """Everyone on the list, by name."""
    with db.reading() as session:
        counts = dict(
            session.execute(
                select(Assignment.person_id, func.count())
                .where(Assignment.person_id.is_not(None))
                .group_by(Assignment.person_id)
            ).all()
        )
        people = session.scalars(select(Person).order_by(Person.name, Person.id)).all()
        return [_as_info(p, int(counts.get(p.id, 0))) for p in people]


def get_person(db: Database, person_id: int) -> PersonInfo:
    """One person; NotFoundError when there is none with this id."""
    with db.reading() as session:
        person = session.get(Person, person_id)
        if person is None:
            raise NotFoundError(f"no person {person_id}")
        return _info(session, person)
