"""Access and erasure for the people list: volunteers' own names, phones and email addresses.

A volunteer may ask what the campaign holds about them, or to be forgotten, as a voter may.
What is held: their row of the people list, the turfs given to them (with the organiser's
notes) and the volunteer links made for them, which carry their name as a label. Erasing them
revokes those links, takes their turfs back, blanks the labels and notes naming them and
deletes their row. The audit log keeps that person ``person/<id>`` was erased, and how much
went, never who they were.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.errors import NotFoundError
from app.store.audit import audit
from app.store.engine import Database, as_utc, utcnow
from app.store.models import Assignment, Person, Plan, VolunteerLink


def _iso(moment: Any) -> str | None:
    return None if moment is None else as_utc(moment).isoformat()


def _person(session: Session, person_id: int) -> Person:
    person = session.get(Person, person_id)
    if person is None:
        raise NotFoundError(f"no person {person_id} on the people list")
    return person


def _their_links(session: Session, person: Person) -> list[VolunteerLink]:
    """Links made for their assignments, and links labelled with their name."""
    given = select(Assignment.link_id).where(
        Assignment.person_id == person.id, Assignment.link_id.is_not(None)
    )
    return list(
        session.scalars(
            select(VolunteerLink)
            .where(or_(VolunteerLink.id.in_(given), VolunteerLink.label == person.name))
            .order_by(VolunteerLink.id)
        )
    )


def person_records(db: Database, person_id: int) -> dict[str, Any]:
    """Everything held about person ``person_id`` of the people list (a subject access)."""
    with db.reading() as session:
        person = _person(session, person_id)
        plans = {i: n for i, n in session.execute(select(Plan.id, Plan.name)).all()}
        assignments = session.scalars(
            select(Assignment).where(Assignment.person_id == person_id).order_by(Assignment.id)
        ).all()
        return {
            "person_id": person.id,
            "name": person.name,
            "phone": person.phone,
            "email": person.email,
            "home": person.home,
            "hours": person.hours,
            "walks_with": person.pairs_with,
            "added_at": _iso(person.created_at),
            "turfs_given": [
                {
                    "plan": plans.get(a.plan_id),
                    "turf": a.turf_code,
                    "note": a.note,
                    "assigned_at": _iso(a.assigned_at),
                }
                for a in assignments
            ],
            "volunteer_links": [
                {
                    "plan": plans.get(link.plan_id),
                    "turf": link.turf_code,
                    "label": link.label,
                    "created_at": _iso(link.created_at),
                    "expires_at": _iso(link.expires_at),
                    "revoked_at": _iso(link.revoked_at),
                }
                for link in _their_links(session, person)
            ],
        }


def erase_person(db: Database, person_id: int, *, by: int | None = None) -> dict[str, int]:
    """Forget person ``person_id``: links revoked, turfs taken back, name gone; the counts."""
    with db.writing() as session:
        person = _person(session, person_id)
        now = utcnow()
        links = _their_links(session, person)
        for link in links:
            if link.revoked_at is None:
                link.revoked_at = now
            link.label = ""
        given = session.scalars(select(Assignment).where(Assignment.person_id == person_id))
        turfs = 0
        for row in given:
            session.delete(row)
            turfs += 1
        # Turfs given by typing their name in, before they were on the list.
        for row in session.scalars(
            select(Assignment).where(
                Assignment.person_id.is_(None), Assignment.volunteer == person.name
            )
        ):
            row.volunteer, row.note = "(erased)", ""
        session.delete(person)
        counts = {"turfs": turfs, "links": len(links)}
        audit(session, "privacy.erase_person", f"person/{person_id}", user_id=by, **counts)
    return counts
