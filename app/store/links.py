"""Volunteer links: capability tokens to one turf, stored as their sha256 only."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, bindparam, select

from app.errors import InvalidError, NotFoundError
from app.store.audit import audit
from app.store.engine import Database, as_utc, utcnow
from app.store.models import Plan, Turf, VolunteerLink

LINK_FIELDS = ("name", "age", "party", "support_score", "turnout_score")
"""Voter fields an organiser can allow a link to show (``voter_id`` is always sent)."""
DEFAULT_FIELDS = ("name", "age", "party")
DEFAULT_EXPIRY = timedelta(days=7)
MAX_EXPIRY = timedelta(days=90)


class LinkNotFoundError(LookupError):
    """No link has this token (HTTP 404)."""


class LinkGoneError(LookupError):
    """The link was revoked or has expired (HTTP 410)."""


def hash_token(token: str) -> str:
    """The sha256 hex digest under which a token is stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class LinkInfo:
    """A valid link, resolved."""

    id: int
    plan: str
    plan_id: int
    turf_code: str
    fields: tuple[str, ...]
    expires_at: datetime


@dataclass(frozen=True)
class LinkGrant:
    """What a write through a valid link needs, checked in the write's own transaction."""

    id: int
    plan_id: int
    turf_code: str
    plan_imported_at: datetime
    """When the link's plan was last imported: what was derived from the plan before that
    (the turf's households) is stale."""


def _check_fields(fields: Sequence[str]) -> list[str]:
    unknown = [f for f in fields if f not in LINK_FIELDS]
    if unknown:
        raise InvalidError(
            f"unknown voter field(s) {', '.join(unknown)}; choose from {', '.join(LINK_FIELDS)}"
        )
    return list(dict.fromkeys(fields))


def create_link(
    db: Database,
    plan: str,
    turf_id: str,
    *,
    fields: Sequence[str] = DEFAULT_FIELDS,
    expires_in: timedelta = DEFAULT_EXPIRY,
    label: str = "",
    created_by: int | None = None,
    token: str | None = None,
) -> tuple[str, int]:
    """Create a link; returns the raw token (shown once, never stored) and the link's id.

    ``token`` is a token made by the caller (one it can derive again, for a link printed
    later); by default a random one.
    """
    chosen = _check_fields(fields)
    if not timedelta(minutes=1) <= expires_in <= MAX_EXPIRY:
        raise InvalidError("a link must expire between 1 minute and 90 days from now")
    if token is None:
        token = secrets.token_urlsafe(32)
    with db.writing() as session:
        plan_id = session.scalar(select(Plan.id).where(Plan.name == plan))
        if plan_id is None:
            raise NotFoundError(f"no plan named {plan!r} in the database; import it first")
        turf = session.scalar(select(Turf.id).where(Turf.plan_id == plan_id, Turf.code == turf_id))
        if turf is None:
            raise NotFoundError(f"plan {plan!r} has no turf {turf_id!r}")
        now = utcnow()
        link = VolunteerLink(
            token_hash=hash_token(token),
            plan_id=plan_id,
            turf_code=turf_id,
            fields=chosen,
            label=label[:200],
            created_by=created_by,
            created_at=now,
            expires_at=now + expires_in,
            revoked_at=None,
        )
        session.add(link)
        session.flush()
        audit(
            session,
            "link.create",
            f"{plan}/{turf_id}",
            user_id=created_by,
            link_id=link.id,
            fields=chosen,
            expires_at=link.expires_at.isoformat(),
        )
        return token, link.id


def create_volunteer_link(
    database: Database | str,
    plan: str,
    turf_id: str,
    *,
    fields: Sequence[str] = DEFAULT_FIELDS,
    expires_in: timedelta = DEFAULT_EXPIRY,
    label: str = "",
) -> str:
    """Create a volunteer link to turf ``turf_id`` of ``plan``; returns the raw token.

    ``database`` is an open :class:`~app.store.engine.Database` or a database URL (the schema
    is migrated first). The plan must have been imported (``create_app`` imports the
    workspace's plans at start-up). The volunteer page is ``/t/<token>``.
    """
    if isinstance(database, Database):
        return create_link(
            database, plan, turf_id, fields=fields, expires_in=expires_in, label=label
        )[0]
    db = Database(database)
    try:
        db.migrate()
        return create_link(db, plan, turf_id, fields=fields, expires_in=expires_in, label=label)[0]
    finally:
        db.dispose()


def _refuse_gone(revoked_at: datetime | None, expires_at: datetime) -> None:
    if revoked_at is not None:
        raise LinkGoneError("this link was revoked")
    if expires_at <= utcnow():
        raise LinkGoneError("this link has expired")


def _token_hash(token: str) -> str:
    if not token or len(token) > 200:
        raise LinkNotFoundError("unknown link")
    return hash_token(token)


_GRANT = (
    select(
        VolunteerLink.id,
        VolunteerLink.plan_id,
        VolunteerLink.turf_code,
        VolunteerLink.revoked_at,
        VolunteerLink.expires_at,
        Plan.imported_at,
    )
    .join(Plan, Plan.id == VolunteerLink.plan_id)
    .where(VolunteerLink.token_hash == bindparam("token_hash"))
)


def check_link(connection: Connection, token: str) -> LinkGrant:
    """The valid link of ``token``, read in ``connection``'s transaction (one indexed query).

    Nothing about a link is cached, so a link revoked or expired is refused on its next
    request. Raises LinkNotFoundError or LinkGoneError.
    """
    row = connection.execute(_GRANT, {"token_hash": _token_hash(token)}).first()
    if row is None:
        raise LinkNotFoundError("unknown link")
    link_id, plan_id, turf_code, revoked_at, expires_at, imported_at = row
    _refuse_gone(revoked_at, as_utc(expires_at))
    return LinkGrant(id=link_id, plan_id=plan_id, turf_code=turf_code, plan_imported_at=imported_at)


def resolve_link(db: Database, token: str) -> LinkInfo:
    """The valid link of ``token``; raises LinkNotFoundError or LinkGoneError."""
    token_hash = _token_hash(token)
    with db.reading() as session:
        row = session.execute(
            select(VolunteerLink, Plan.name)
            .join(Plan, Plan.id == VolunteerLink.plan_id)
            .where(VolunteerLink.token_hash == token_hash)
        ).first()
    if row is None:
        raise LinkNotFoundError("unknown link")
    link, plan_name = row
    expires_at = as_utc(link.expires_at)
    _refuse_gone(link.revoked_at, expires_at)
    return LinkInfo(
        id=link.id,
        plan=plan_name,
        plan_id=link.plan_id,
        turf_code=link.turf_code,
        fields=tuple(link.fields),
        expires_at=expires_at,
    )


def revoke_link(db: Database, link_id: int, *, user_id: int | None = None) -> bool:
    """Revoke a link; False when there is no such link."""
    with db.writing() as session:
        link = session.get(VolunteerLink, link_id)
        if link is None:
            return False
        if link.revoked_at is None:
            link.revoked_at = utcnow()
            audit(session, "link.revoke", link.turf_code, user_id=user_id, link_id=link_id)
        return True


def list_links(db: Database, plan: str) -> list[dict[str, object]]:
    """The links of a plan (never their tokens), newest first."""
    with db.reading() as session:
        rows = session.scalars(
            select(VolunteerLink)
            .join(Plan, Plan.id == VolunteerLink.plan_id)
            .where(Plan.name == plan)
            .order_by(VolunteerLink.id.desc())
        ).all()
    now = utcnow()
    return [
        {
            "id": link.id,
            "turf": link.turf_code,
            "label": link.label,
            "fields": list(link.fields),
            "created_at": as_utc(link.created_at).isoformat(),
            "expires_at": as_utc(link.expires_at).isoformat(),
            "revoked": link.revoked_at is not None,
            "active": link.revoked_at is None and as_utc(link.expires_at) > now,
        }
        for link in rows
    ]


__all__ = [
    "DEFAULT_FIELDS",
    "LINK_FIELDS",
    "LinkGoneError",
    "LinkGrant",
    "LinkInfo",
    "LinkNotFoundError",
    "check_link",
    "create_link",
    "create_volunteer_link",
    "hash_token",
    "list_links",
    "resolve_link",
    "revoke_link",
]
