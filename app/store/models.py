"""The database tables, as SQLAlchemy 2 typed models.

Plans, turfs, routes, stops and voters are copies of a plan folder and are replaced when the
folder is imported again. Households are kept across imports, keyed by a stable key made from
their address and unit (:func:`app.store.keys.household_key`), so results recorded at a door stay
attached to it when the turfs are re-cut. Results are never rewritten: one row per client id.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    """Base of every table."""

    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: DateTime(timezone=True),
        dict[str, Any]: JSON,
    }


class Plan(Base):
    """One plan folder of the workspace, by name."""

    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    digest: Mapped[str] = mapped_column(String(64))
    """sha256 of the files the import read: an unchanged folder is not imported again."""
    summary: Mapped[dict[str, Any]]
    imported_at: Mapped[datetime]

    turfs: Mapped[list[Turf]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", passive_deletes=True
    )


class Precinct(Base):
    """A precinct code that occurs in a plan."""

    __tablename__ = "precincts"
    __table_args__ = (UniqueConstraint("plan_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(100))


class Turf(Base):
    """A turf of a plan with its figures; ``code`` is the turf id printed on walk lists."""

    __tablename__ = "turfs"
    __table_args__ = (UniqueConstraint("plan_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(100))
    precinct: Mapped[str] = mapped_column(String(100))
    doors: Mapped[int]
    stops: Mapped[int]
    voters: Mapped[int]
    minutes: Mapped[float] = mapped_column(Float)
    walk_m: Mapped[float] = mapped_column(Float)
    drop_off_lat: Mapped[float | None] = mapped_column(Float)
    drop_off_lon: Mapped[float | None] = mapped_column(Float)

    plan: Mapped[Plan] = relationship(back_populates="turfs")
    route: Mapped[Route | None] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, uselist=False
    )


class Route(Base):
    """The walk of a turf along the streets, as ``[[lat, lon], ...]``."""

    __tablename__ = "routes"

    id: Mapped[int] = mapped_column(primary_key=True)
    turf_id: Mapped[int] = mapped_column(ForeignKey("turfs.id", ondelete="CASCADE"), unique=True)
    points: Mapped[list[list[float]]] = mapped_column(JSON)


class Stop(Base):
    """A place one walks to (a house or a building) in a turf, in walking order."""

    __tablename__ = "stops"
    __table_args__ = (UniqueConstraint("plan_id", "stop_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    turf_id: Mapped[int] = mapped_column(ForeignKey("turfs.id", ondelete="CASCADE"), index=True)
    stop_code: Mapped[str] = mapped_column(String(100))
    sequence: Mapped[int]
    address: Mapped[str] = mapped_column(Text)
    precinct: Mapped[str] = mapped_column(String(100))
    doors: Mapped[int]
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)


class Household(Base):
    """A door. Kept across re-imports (by ``key``), pointing at the stop of the latest cut."""

    __tablename__ = "households"
    __table_args__ = (UniqueConstraint("plan_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(40))
    address: Mapped[str] = mapped_column(Text)
    unit: Mapped[str] = mapped_column(String(100))
    stop_id: Mapped[int | None] = mapped_column(
        ForeignKey("stops.id", ondelete="SET NULL"), index=True
    )
    """None when the latest cut no longer visits this door."""


class Voter(Base):
    """A targeted voter of a household, with the fields a walk list can show."""

    __tablename__ = "voters"
    __table_args__ = (Index("ix_voters_household", "household_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"))
    voter_code: Mapped[str] = mapped_column(String(100))
    first_name: Mapped[str] = mapped_column(String(200))
    last_name: Mapped[str] = mapped_column(String(200))
    age: Mapped[int | None]
    party: Mapped[str] = mapped_column(String(50))
    support_score: Mapped[int | None]
    turnout_score: Mapped[int | None]


class User(Base):
    """An organiser, manager or admin account."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime]
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)


class LoginSession(Base):
    """A logged-in browser or script: the token is stored as its sha256 only."""

    __tablename__ = "sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class VolunteerLink(Base):
    """A capability link to one turf: hashed token, allowed voter fields, expiry, revocation."""

    __tablename__ = "volunteer_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    turf_code: Mapped[str] = mapped_column(String(100))
    """The turf by its printed id, so a link outlives a re-cut that keeps the turf."""
    fields: Mapped[list[str]] = mapped_column(JSON)
    label: Mapped[str] = mapped_column(String(200), default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class Result(Base):
    """What happened at a door, once per client-generated id."""

    __tablename__ = "results"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    household_id: Mapped[int] = mapped_column(
        ForeignKey("households.id", ondelete="CASCADE"), index=True
    )
    voter_code: Mapped[str | None] = mapped_column(String(100))
    code: Mapped[str] = mapped_column(String(40))
    answers: Mapped[dict[str, Any]]
    notes: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str | None] = mapped_column(String(40))
    """The language asked for with a ``language_barrier`` result (else None)."""
    turf_code: Mapped[str] = mapped_column(String(100))
    link_id: Mapped[int | None] = mapped_column(
        ForeignKey("volunteer_links.id", ondelete="SET NULL")
    )
    recorded_at: Mapped[datetime]
    received_at: Mapped[datetime]


class AuditEntry(Base):
    """Who did what: link creation and revocation, exports, logins, imports. No personal data."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(50))
    subject: Mapped[str] = mapped_column(String(300), default="")
    details: Mapped[dict[str, Any]]


class Upload(Base):
    """A voter file or precinct layer an organiser uploaded, checked by the geo/ readers.

    The file itself is kept under ``<workspace>/.canvass/uploads/`` by its sha256; voter rows
    stay in the file (this row has their counts), precinct polygons become rows.
    """

    __tablename__ = "uploads"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    """``voters`` or ``precincts``."""
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size_bytes: Mapped[int]
    stored_as: Mapped[str] = mapped_column(String(300))
    """Path of the kept file relative to the uploads folder."""
    report: Mapped[dict[str, Any]]
    """Counts: total/accepted/rejected rows and layout, or features/repaired/dropped."""
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]


class UploadedPrecinct(Base):
    """One polygon of an uploaded precinct layer (GeoJSON geometry in EPSG:4326)."""

    __tablename__ = "uploaded_precincts"
    __table_args__ = (UniqueConstraint("upload_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    upload_id: Mapped[int] = mapped_column(ForeignKey("uploads.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(100))
    geometry: Mapped[dict[str, Any]]


class Assignment(Base):
    """Who walks a turf: the organiser's note of the volunteer (or pair) it is given to."""

    __tablename__ = "assignments"
    __table_args__ = (UniqueConstraint("plan_id", "turf_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    turf_code: Mapped[str] = mapped_column(String(100))
    """The turf by its printed id, so the assignment outlives a re-cut that keeps the turf."""
    volunteer: Mapped[str] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(String(500), default="")
    assigned_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    assigned_at: Mapped[datetime]
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
    """The person of the people list it is given to (None: a name typed in, or removed)."""
    link_id: Mapped[int | None] = mapped_column(
        ForeignKey("volunteer_links.id", ondelete="SET NULL")
    )
    """The volunteer link made for this assignment, shown again and printed on its walk list."""
    link_seed: Mapped[str | None] = mapped_column(String(64))
    """What the link's token is derived from with the server's link key (never the token)."""


class Person(Base):
    """A volunteer an organiser can give turfs to: how to reach them (personal data)."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    # Who goes where (issue 18): where they start from ("lat, lon" or an address), how many
    # hours they can walk (None: one turf), and who they walk with (both rows name the other).
    home: Mapped[str] = mapped_column(String(300), default="", server_default="")
    hours: Mapped[float | None] = mapped_column(Float)
    pairs_with: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL", name="fk_people_pairs_with_people")
    )


class JobRecord(Base):
    """A background job of a plan (cut, edit), kept where every server process can see it."""

    __tablename__ = "plan_jobs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    plan: Mapped[str] = mapped_column(String(200), index=True)
    status: Mapped[str] = mapped_column(String(16))
    """queued, running, done or failed."""
    stage: Mapped[str] = mapped_column(String(64), default="")
    progress: Mapped[dict[str, Any]]
    """``stages_done`` (list), ``done`` and ``total`` of the current stage."""
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    """Touched at each stage: a job not touched for long belongs to a process that is gone."""


class PrivacyKey(Base):
    """An opt-out or an erasure tombstone: a salted hash of a voter id, name+address or door.

    No personal data: the hash cannot be turned back into the person, yet a re-imported
    voter file row with the same id, name and address, or door hashes to it again.
    """

    __tablename__ = "privacy_keys"
    __table_args__ = (UniqueConstraint("key", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(20))
    """``do_not_contact`` or ``erased``."""
    source: Mapped[str] = mapped_column(String(20))
    """``door`` (a result recorded at the door), ``list`` (an imported list) or ``request``."""
    created_at: Mapped[datetime]


class PrivacySalt(Base):
    """The one random salt of the privacy keys (made on first use)."""

    __tablename__ = "privacy_salt"

    id: Mapped[int] = mapped_column(primary_key=True)
    salt: Mapped[str] = mapped_column(String(64))
