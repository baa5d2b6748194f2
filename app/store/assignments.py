"""Which volunteer (or pair) walks which turf: set, cleared and listed by organisers.

An assignment names the turf by its printed id, like a volunteer link, so it stays when a
re-cut keeps the turf; when a re-cut or an edit removes the turf, the assignment is listed
with ``turf_exists`` false so the organiser sees who has lost their turf.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import InvalidError, NotFoundError
from app.store.audit import audit
from app.store.engine import Database, as_utc, utcnow
from app.store.models import Assignment, Person, Plan, Turf, User, VolunteerLink


@dataclass(frozen=True)
class AssignmentInfo:
    """One turf's assignment as the organiser page shows it."""

    turf: str
    volunteer: str
    note: str
    assigned_at: datetime
    assigned_by: str | None
    turf_exists: bool
    person_id: int | None = None
    """The person of the people list it is given to (None: a name typed in)."""
    link_active: bool = False
    """Whether the link made for this assignment still opens the turf."""


@dataclass(frozen=True)
class AssignmentLink:
    """The link made for an assignment: its id and what its token is derived from."""

    link_id: int
    seed: str
    active: bool


def _plan_id(session: Session, plan: str) -> int:
    plan_id = session.scalar(select(Plan.id).where(Plan.name == plan))
    if plan_id is None:
        raise NotFoundError(f"no plan named {plan!r} in the database; import it first")
    return int(plan_id)


def assign_turf(
    db: Database,
    plan: str,
    turf: str,
    volunteer: str = "",
    note: str = "",
    *,
    person_id: int | None = None,
    by: int | None = None,
) -> AssignmentInfo:
    """Give ``turf`` to a person of the list or to ``volunteer`` (a name), replacing who had it.

    Given to someone else than before, the link made for the earlier assignment is revoked:
    whoever loses the turf loses its voters too.
    """
    volunteer, note = volunteer.strip(), note.strip()
    with db.writing() as session:
        if person_id is not None:
            person = session.get(Person, person_id)
            if person is None:
                raise NotFoundError(f"no person {person_id}")
            volunteer = person.name
        if not volunteer:
            raise InvalidError("volunteer: give the name of who walks the turf")
        plan_id = _plan_id(session, plan)
        if (
            session.scalar(select(Turf.id).where(Turf.plan_id == plan_id, Turf.code == turf))
            is None
        ):
            raise NotFoundError(f"plan {plan!r} has no turf {turf!r}")
        row = session.scalar(
            select(Assignment).where(Assignment.plan_id == plan_id, Assignment.turf_code == turf)
        )
        if row is None:
            row = Assignment(plan_id=plan_id, turf_code=turf)
            session.add(row)
        elif (row.person_id, row.volunteer) != (person_id, volunteer[:200]):
            _revoke_link(session, row, by)
        row.volunteer, row.note, row.person_id = volunteer[:200], note[:500], person_id
        row.assigned_by, row.assigned_at = by, utcnow()
        # The volunteer's name is personal data: the audit log keeps only the turf.
        audit(session, "turf.assign", f"{plan}/{turf}", user_id=by)
        assigned_at = row.assigned_at
        active = _active_link(session, row) is not None
    return AssignmentInfo(
        turf, volunteer[:200], note[:500], as_utc(assigned_at), None, True, person_id, active
    )


def _active_link(session: Session, row: Assignment) -> VolunteerLink | None:
    link = session.get(VolunteerLink, row.link_id) if row.link_id is not None else None
    if link is None or link.revoked_at is not None or as_utc(link.expires_at) <= utcnow():
        return None
    return link


def _revoke_link(session: Session, row: Assignment, by: int | None) -> None:
    link = _active_link(session, row)
    if link is not None:
        link.revoked_at = utcnow()
        audit(session, "link.revoke", link.turf_code, user_id=by, link_id=link.id)
    row.link_id, row.link_seed = None, None


def assignment_link(db: Database, plan: str, turf: str) -> AssignmentLink | None:
    """The link made for the assignment of ``turf``, or None (no assignment or no link)."""
    with db.reading() as session:
        row = _assignment(session, plan, turf)
        if row is None or row.link_id is None or row.link_seed is None:
            return None
        return AssignmentLink(row.link_id, row.link_seed, _active_link(session, row) is not None)


def keep_assignment_link(db: Database, plan: str, turf: str, link_id: int, seed: str) -> None:
    """Remember ``link_id`` (its token derived from ``seed``) as the assignment's link."""
    with db.writing() as session:
        row = _assignment(session, plan, turf)
        if row is None:
            raise NotFoundError(f"turf {turf!r} of plan {plan!r} is not assigned to anyone")
        row.link_id, row.link_seed = link_id, seed


def _assignment(session: Session, plan: str, turf: str) -> Assignment | None:
    plan_id = _plan_id(session, plan)
    return session.scalar(
        select(Assignment).where(Assignment.plan_id == plan_id, Assignment.turf_code == turf)
    )


def unassign_turf(db: Database, plan: str, turf: str, *, by: int | None = None) -> bool:
    """Clear the assignment of ``turf`` (revoking its link); False when it had none."""
    with db.writing() as session:
        plan_id = _plan_id(session, plan)
        row = session.scalar(
            select(Assignment).where(Assignment.plan_id == plan_id, Assignment.turf_code == turf)
        )
        if row is not None:
            _revoke_link(session, row, by)
            session.delete(row)
            audit(session, "turf.unassign", f"{plan}/{turf}", user_id=by)
    return row is not None


def list_assignments(db: Database, plan: str) -> list[AssignmentInfo]:
    """The plan's assignments in turf order."""
    with db.reading() as session:
        plan_id = _plan_id(session, plan)
        turfs = set(session.scalars(select(Turf.code).where(Turf.plan_id == plan_id)))
        rows = session.execute(
            select(Assignment, User.username)
            .outerjoin(User, User.id == Assignment.assigned_by)
            .where(Assignment.plan_id == plan_id)
            .order_by(Assignment.turf_code)
        ).all()
        now = utcnow()
        # Compared here, not in SQL: SQLite keeps times as text without their zone.
        live = {
            link_id
            for link_id, expires_at in session.execute(
                select(VolunteerLink.id, VolunteerLink.expires_at).where(
                    VolunteerLink.plan_id == plan_id, VolunteerLink.revoked_at.is_(None)
                )
            )
            if as_utc(expires_at) > now
        }
    return [
        AssignmentInfo(
            turf=row.turf_code,
            volunteer=row.volunteer,
            note=row.note,
            assigned_at=as_utc(row.assigned_at),
            assigned_by=username,
            turf_exists=row.turf_code in turfs,
            person_id=row.person_id,
            link_active=row.link_id in live,
        )
        for row, username in rows
    ]
