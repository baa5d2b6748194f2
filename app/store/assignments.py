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
from app.store.models import Assignment, Plan, Turf, User


@dataclass(frozen=True)
class AssignmentInfo:
    """One turf's assignment as the organiser page shows it."""

    turf: str
    volunteer: str
    note: str
    assigned_at: datetime
    assigned_by: str | None
    turf_exists: bool


def _plan_id(session: Session, plan: str) -> int:
    plan_id = session.scalar(select(Plan.id).where(Plan.name == plan))
    if plan_id is None:
        raise NotFoundError(f"no plan named {plan!r} in the database; import it first")
    return int(plan_id)


def assign_turf(
    db: Database, plan: str, turf: str, volunteer: str, note: str = "", *, by: int | None = None
) -> AssignmentInfo:
    """Give ``turf`` to ``volunteer`` (replacing an earlier assignment of it)."""
    volunteer, note = volunteer.strip(), note.strip()
    if not volunteer:
        raise InvalidError("volunteer: give the name of who walks the turf")
    with db.writing() as session:
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
        row.volunteer, row.note = volunteer[:200], note[:500]
        row.assigned_by, row.assigned_at = by, utcnow()
        # The volunteer's name is personal data: the audit log keeps only the turf.
        audit(session, "turf.assign", f"{plan}/{turf}", user_id=by)
        assigned_at = row.assigned_at
    return AssignmentInfo(turf, volunteer[:200], note[:500], as_utc(assigned_at), None, True)


def unassign_turf(db: Database, plan: str, turf: str, *, by: int | None = None) -> bool:
    """Clear the assignment of ``turf``; False when it had none."""
    with db.writing() as session:
        plan_id = _plan_id(session, plan)
        row = session.scalar(
            select(Assignment).where(Assignment.plan_id == plan_id, Assignment.turf_code == turf)
        )
        if row is not None:
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
    return [
        AssignmentInfo(
            turf=row.turf_code,
            volunteer=row.volunteer,
            note=row.note,
            assigned_at=as_utc(row.assigned_at),
            assigned_by=username,
            turf_exists=row.turf_code in turfs,
        )
        for row, username in rows
    ]
