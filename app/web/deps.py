"""Who is asking, and what the routes get handed: typed dependencies for ``Depends``.

Cookie-authenticated writes must carry the session's CSRF token (``X-CSRF-Token`` header or a
``csrf_token`` form field); bearer-token requests are not sent by browsers on their own, so
they need none. Routes declare what they need with the ``Annotated`` types below: ``Reader``
(anyone who may read plans), ``LoggedIn``, ``Organiser``, ``Admin``, and ``Services``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse

from app.services.accounts import SessionInfo, count_users, session_for
from app.services.dashboard import AnalysisCache
from app.services.jobs import JobQueue
from app.services.plan_jobs import Planner
from app.services.survey import SurveyStore
from app.services.turf_edits import TurfEditor
from app.services.workspace import Workspace
from app.settings import Settings
from app.store.engine import Database
from app.web.security import CSRF_HEADER, RateLimiter, csrf_matches

SESSION_COOKIE = "canvass_session"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
WRITERS = ("admin", "organiser")
LOG_IN_FIRST = "log in first (POST /api/login)"


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


Render = Callable[..., HTMLResponse]


@dataclass(frozen=True)
class AppServices:
    """Everything the routes of one app share, built once at start-up (``app.web.app``)."""

    settings: Settings
    db: Database
    gate: Gate
    workspace: Workspace
    jobs: JobQueue
    planner: Planner
    editor: TurfEditor
    survey: SurveyStore
    analyses: AnalysisCache
    render: Render
    logins: RateLimiter
    logins_per_address: RateLimiter
    result_posts: RateLimiter
    setup_token: str
    """Needed by the first-admin page when the server is not on loopback (printed at start)."""
    link_key: bytes
    """The workspace's key for links shown again and printed (``app.services.volunteer_share``)."""


async def _services(request: Request) -> AppServices:
    # async: FastAPI would run a plain function in the thread pool, a thread hop per request.
    services: AppServices = request.app.state.services
    return services


def _reader(request: Request, services: Annotated[AppServices, Depends(_services)]) -> None:
    if not services.gate.can_read_plans(request):
        raise HTTPException(401, LOG_IN_FIRST)


def _roles(*roles: str) -> Callable[..., SessionInfo]:
    def require(
        request: Request, services: Annotated[AppServices, Depends(_services)]
    ) -> SessionInfo:
        return services.gate.require(request, *roles)

    return require


def _organiser_form(
    request: Request,
    services: Annotated[AppServices, Depends(_services)],
    csrf_token: Annotated[str | None, Form(max_length=100)] = None,
) -> SessionInfo:
    return services.gate.require(request, *WRITERS, csrf_form_token=csrf_token)


Services = Annotated[AppServices, Depends(_services)]
Reader = Annotated[None, Depends(_reader)]
"""Anyone who may read plans (logged in, or anyone in set-up mode); 401 otherwise."""
LoggedIn = Annotated[SessionInfo, Depends(_roles())]
Organiser = Annotated[SessionInfo, Depends(_roles(*WRITERS))]
"""An organiser or admin (CSRF checked on cookie writes); 401/403 otherwise."""
OrganiserForm = Annotated[SessionInfo, Depends(_organiser_form)]
"""An organiser or admin posting a form (the CSRF token may come as a form field)."""
Admin = Annotated[SessionInfo, Depends(_roles("admin"))]
