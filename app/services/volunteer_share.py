"""Give a turf to a person and hand them its link in one step: on screen, by SMS, by email.

A volunteer link is stored as the hash of its token only, so a token cannot be read back from
the database. The link made for an assignment is still shown again and printed on its walk
list later: its token is derived from a random seed kept with the assignment and the server's
link key, a file in the workspace (``.canvass/link.key``), never in the database. Someone with
a copy of the database alone cannot open any turf; with a new key, old assignment links are
simply made again.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import quote

from app.errors import BrokenStateError, NotFoundError
from app.outputs.qr_codes import qr_svg_data_uri
from app.store.assignments import (
    assign_turf,
    assignment_link,
    keep_assignment_link,
    list_assignments,
)
from app.store.engine import Database
from app.store.links import (
    DEFAULT_FIELDS,
    LinkGoneError,
    LinkNotFoundError,
    create_link,
    resolve_link,
)
from app.store.people import PersonInfo, get_person, phone_digits

LINK_KEY_FILE = Path(".canvass") / "link.key"
DEFAULT_DAYS = 14.0
"""How long a link made on assigning lasts: a campaign's weekends, not a single shift."""


def load_link_key(files_root: Path) -> bytes:
    """The workspace's link key, made on first use (by whichever server process is first)."""
    path = files_root / LINK_KEY_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        # Written aside and linked into place: two processes starting at once agree on one key.
        spare = path.with_name(f".link.key.{os.getpid()}.{secrets.token_hex(4)}")
        spare.write_text(secrets.token_hex(32), encoding="ascii")
        spare.chmod(0o600)
        try:
            os.link(spare, path)
        except FileExistsError:
            pass
        finally:
            spare.unlink()
    key = path.read_bytes().strip()
    if len(key) < 32:
        raise BrokenStateError(f"{path}: too short to be a link key; delete it to make a new one")
    return key


def derive_token(key: bytes, seed: str) -> str:
    """The link token of ``seed`` under ``key`` (43 URL-safe characters, like a random one)."""
    digest = hmac.new(key, b"volunteer-link:" + seed.encode("ascii"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class Share:
    """A turf's link as the organiser hands it over."""

    turf: str
    volunteer: str
    url: str
    expires_at: datetime
    created: bool
    """Made now (False: the assignment's link, made before, shown again)."""
    qr: str
    """The QR code of ``url`` as an SVG data URI."""
    message: str
    sms: str
    """An ``sms:`` link to the person's phone (any phone when none is known) with ``message``."""
    mailto: str
    """A ``mailto:`` link to the person's email with ``message``."""


def share_message(volunteer: str, turf: str, url: str) -> str:
    """The short message that goes with a link.

    Examples
    --------
    >>> share_message("Ana Lee", "P01-02", "https://c.example.org/t/abc")
    'Hi Ana, your canvassing turf P01-02: https://c.example.org/t/abc (open it on your phone; it keeps working without signal once opened)'
    """  # noqa: E501
    first = volunteer.split()[0] if volunteer.split() else volunteer
    return (
        f"Hi {first}, your canvassing turf {turf}: {url} "
        "(open it on your phone; it keeps working without signal once opened)"
    )


def share_links(person: PersonInfo | None, subject: str, message: str) -> tuple[str, str]:
    """The ``sms:`` and ``mailto:`` links that open a message prefilled with ``message``.

    ``sms:NUMBER?&body=`` is the form both Android and iOS read.
    """
    phone = phone_digits(person.phone) if person and person.phone else ""
    email = quote(person.email, safe="@") if person and person.email else ""
    sms = f"sms:{phone}?&body={quote(message, safe='')}"
    mailto = f"mailto:{email}?subject={quote(subject, safe='')}&body={quote(message, safe='')}"
    return sms, mailto


def assign_and_share(
    db: Database,
    key: bytes,
    plan: str,
    turf: str,
    person_id: int,
    *,
    link_base: str,
    note: str = "",
    fields: Sequence[str] = DEFAULT_FIELDS,
    days: float = DEFAULT_DAYS,
    by: int | None = None,
) -> Share:
    """Give ``turf`` to a person of the list and make (or reuse) its link, in one step."""
    assign_turf(db, plan, turf, note=note, person_id=person_id, by=by)
    return assignment_share(
        db, key, plan, turf, link_base=link_base, fields=fields, days=days, by=by
    )


def assignment_share(
    db: Database,
    key: bytes,
    plan: str,
    turf: str,
    *,
    link_base: str,
    fields: Sequence[str] = DEFAULT_FIELDS,
    days: float = DEFAULT_DAYS,
    by: int | None = None,
) -> Share:
    """The link of the assignment of ``turf``: the one made before while it works, else a new one.

    Raises NotFoundError when the turf is not assigned.
    """
    assignment = next((a for a in list_assignments(db, plan) if a.turf == turf), None)
    if assignment is None:
        raise NotFoundError(f"turf {turf!r} of plan {plan!r} is not assigned to anyone")
    person = get_person(db, assignment.person_id) if assignment.person_id is not None else None
    token, expires_at, created = _reuse(db, key, plan, turf)
    if token is None:
        seed = secrets.token_urlsafe(24)
        token = derive_token(key, seed)
        link_id = create_link(
            db,
            plan,
            turf,
            fields=fields,
            expires_in=timedelta(days=days),
            label=assignment.volunteer,
            created_by=by,
            token=token,
        )[1]
        keep_assignment_link(db, plan, turf, link_id, seed)
        expires_at, created = resolve_link(db, token).expires_at, True
    assert expires_at is not None
    url = f"{link_base.rstrip('/')}/t/{token}"
    message = share_message(assignment.volunteer, turf, url)
    sms, mailto = share_links(person, f"Your canvassing turf {turf}", message)
    return Share(
        turf=turf,
        volunteer=assignment.volunteer,
        url=url,
        expires_at=expires_at,
        created=created,
        qr=qr_svg_data_uri(url),
        message=message,
        sms=sms,
        mailto=mailto,
    )


def _reuse(
    db: Database, key: bytes, plan: str, turf: str
) -> tuple[str | None, datetime | None, bool]:
    stored = assignment_link(db, plan, turf)
    if stored is None or not stored.active:
        return None, None, True
    token = derive_token(key, stored.seed)
    try:
        link = resolve_link(db, token)
    except (LinkNotFoundError, LinkGoneError):
        return None, None, True  # made under another key: make a new one
    if link.id != stored.link_id:
        return None, None, True
    return token, link.expires_at, False
