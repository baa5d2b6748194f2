"""Organiser, manager and admin accounts: argon2 password hashes and login sessions.

A session is a random token (sent as an HttpOnly cookie, or as ``Authorization: Bearer`` by
scripts) stored as its sha256 with a CSRF token that cookie-authenticated writes must echo.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select

from app.store.audit import audit
from app.store.engine import Database, as_utc, utcnow
from app.store.models import LoginSession, User

ROLES = ("admin", "organiser", "manager")
"""admin: everything incl. accounts; organiser: plans, links, exports; manager: reads."""
SESSION_LIFETIME = timedelta(hours=12)
MIN_PASSWORD_LENGTH = 10
_USERNAME = re.compile(r"[A-Za-z0-9_.@-]{2,100}")
_hasher = PasswordHasher()
# Verifying against this when the user does not exist keeps the timing of both cases alike.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class AccountError(ValueError):
    """A username, role or password that cannot be used; the message says why."""


@dataclass(frozen=True)
class Account:
    """A logged-in user as the web app sees it."""

    id: int
    username: str
    role: str


@dataclass(frozen=True)
class SessionInfo:
    """A valid login session."""

    account: Account
    csrf_token: str
    expires_at: datetime


def new_csrf_token() -> str:
    """A random token a page sends back in the ``X-CSRF-Token`` header or a form field."""
    return secrets.token_urlsafe(32)


def _session_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_user(
    db: Database, username: str, password: str, role: str = "organiser", *, by: int | None = None
) -> Account:
    """Create an account; raises AccountError for a bad name, role or short password."""
    if not _USERNAME.fullmatch(username):
        raise AccountError("username: 2-100 characters of letters, digits and _ . @ - (no spaces)")
    if role not in ROLES:
        raise AccountError(f"role: one of {', '.join(ROLES)}, not {role!r}")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"password: at least {MIN_PASSWORD_LENGTH} characters")
    with db.writing() as session:
        if session.scalar(select(User.id).where(User.username == username)) is not None:
            raise AccountError(f"username: {username!r} is taken")
        user = User(
            username=username,
            password_hash=_hasher.hash(password),
            role=role,
            created_at=utcnow(),
            disabled=False,
        )
        session.add(user)
        session.flush()
        audit(session, "user.create", username, user_id=by, role=role)
        return Account(id=user.id, username=username, role=role)


def count_users(db: Database) -> int:
    """How many accounts exist."""
    with db.reading() as session:
        return int(session.scalar(select(func.count()).select_from(User)) or 0)


def authenticate(db: Database, username: str, password: str) -> Account | None:
    """The account when the password is right, else None (same work either way)."""
    user = None
    if _USERNAME.fullmatch(username):  # no other name can exist (and PostgreSQL refuses NULs)
        with db.reading() as session:
            user = session.scalar(select(User).where(User.username == username))
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or user.disabled:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        with db.writing() as session:
            stored = session.get(User, user.id)
            if stored is not None:
                stored.password_hash = _hasher.hash(password)
    return Account(id=user.id, username=user.username, role=user.role)


def start_session(db: Database, account: Account) -> tuple[str, SessionInfo]:
    """A new login session for ``account``: the raw token (for the cookie) and its info."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    info = SessionInfo(
        account=account, csrf_token=new_csrf_token(), expires_at=now + SESSION_LIFETIME
    )
    with db.writing() as session:
        session.execute(delete(LoginSession).where(LoginSession.expires_at < now))
        session.add(
            LoginSession(
                token_hash=_session_hash(token),
                csrf_token=info.csrf_token,
                user_id=account.id,
                created_at=now,
                expires_at=info.expires_at,
            )
        )
        audit(session, "login", account.username, user_id=account.id)
    return token, info


def session_for(db: Database, token: str | None) -> SessionInfo | None:
    """The valid session of ``token``, or None."""
    if not token or len(token) > 200:
        return None
    with db.reading() as session:
        row = session.execute(
            select(LoginSession, User)
            .join(User, User.id == LoginSession.user_id)
            .where(LoginSession.token_hash == _session_hash(token))
        ).first()
    if row is None:
        return None
    login, user = row
    expires_at = as_utc(login.expires_at)
    if user.disabled or expires_at <= utcnow():
        return None
    return SessionInfo(
        account=Account(id=user.id, username=user.username, role=user.role),
        csrf_token=login.csrf_token,
        expires_at=expires_at,
    )


def end_session(db: Database, token: str) -> None:
    """Log out: forget the session of ``token``."""
    with db.writing() as session:
        session.execute(delete(LoginSession).where(LoginSession.token_hash == _session_hash(token)))
