"""Who is asking: the login session of a request, role checks and the CSRF rule.

Cookie-authenticated writes must carry the session's CSRF token (``X-CSRF-Token`` header or a
``csrf_token`` form field); bearer-token requests are not sent by browsers on their own, so
they need none.
"""

from __future__ import annotations

from fastapi import HTTPException, Request

from app.accounts import SessionInfo, count_users, session_for
from app.security import CSRF_HEADER, csrf_matches
from app.store.engine import Database

SESSION_COOKIE = "canvass_session"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class Gate:
    """Decides who may read and write, for one app."""

    def __init__(self, db: Database, *, open_without_accounts: bool = True) -> None:
        self.db = db
        self.open_without_accounts = open_without_accounts
        self._has_accounts = False

    def has_accounts(self) -> bool:
        """True once any account exists (cached: accounts are never all removed)."""
        if not self._has_accounts:
            self._has_accounts = count_users(self.db) > 0
        return self._has_accounts

    def session(self, request: Request) -> tuple[SessionInfo | None, bool]:
        """The request's session and whether it came from the cookie."""
        header = request.headers.get("authorization", "")
        if header.lower().startswith("bearer "):
            return session_for(self.db, header[7:].strip()), False
        return session_for(self.db, request.cookies.get(SESSION_COOKIE)), True

    def can_read_plans(self, request: Request) -> bool:
        """Anyone logged in; while no account exists, everyone (set-up mode, see README).

        Set-up mode is off when the app was told so (``canvass serve`` on a non-loopback host).
        """
        if self.open_without_accounts and not self.has_accounts():
            return True
        info, _ = self.session(request)
        return info is not None

    def require(
        self, request: Request, *roles: str, csrf_form_token: str | None = None
    ) -> SessionInfo:
        """The session of an account with one of ``roles``; 401/403 otherwise (CSRF on writes)."""
        info, from_cookie = self.session(request)
        if info is None:
            raise HTTPException(401, "log in first (POST /api/login or /login)")
        if roles and info.account.role not in roles:
            raise HTTPException(403, f"this needs the role {' or '.join(roles)}")
        if from_cookie and request.method not in SAFE_METHODS:
            given = request.headers.get(CSRF_HEADER) or csrf_form_token
            if not csrf_matches(info.csrf_token, given):
                raise HTTPException(
                    403, "missing or wrong CSRF token: send the X-CSRF-Token header from login"
                )
        return info
