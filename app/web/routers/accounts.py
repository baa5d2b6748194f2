"""Logging in and out (API and page) and accounts.

Roles: ``admin`` (everything, accounts too), ``organiser`` (links, imports, exports),
``manager`` (reads plans).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel

from app.fields import Name, Password
from app.services.accounts import (
    ROLES,
    SessionInfo,
    authenticate,
    create_user,
    end_session,
    start_session,
)
from app.web.deps import SESSION_COOKIE, Admin, AppServices, LoggedIn, Services
from app.web.security import client_address

router = APIRouter()
SESSION_MAX_AGE_S = 12 * 3600


class LoginIn(BaseModel):
    """Credentials; ``bearer`` asks for a token in the body instead of a cookie (scripts)."""

    username: Name
    password: Password
    bearer: bool = False


class LoginOut(BaseModel):
    """The logged-in account and the CSRF token its cookie-authenticated writes must send."""

    username: str
    role: str
    csrf_token: str
    token: str | None = None


class UserIn(BaseModel):
    """An account to create."""

    username: Name
    password: Password
    role: str = "organiser"


def _safe_next(target: str | None) -> str:
    return target if target and target.startswith("/") and not target.startswith("//") else "/"


def _login(
    services: AppServices, request: Request, username: str, password: str
) -> tuple[str, SessionInfo]:
    services.logins_per_address.check(f"ip:{client_address(request)}")
    services.logins.check(f"user:{username.casefold()}")
    account = authenticate(services.db, username, password)
    if account is None:
        raise HTTPException(401, "wrong username or password")
    return start_session(services.db, account)


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    """Give the browser its session cookie (HttpOnly, SameSite=Strict, Secure over HTTPS)."""
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        # Over HTTPS (directly or via a proxy uvicorn trusts) the cookie never goes plain.
        secure=request.url.scheme == "https",
        max_age=SESSION_MAX_AGE_S,
        path="/",
    )


@router.post("/api/login", responses={401: {}, 429: {}})
def api_login(body: LoginIn, request: Request, response: Response, services: Services) -> LoginOut:
    """Log in: sets the session cookie (or returns a bearer token when ``bearer``)."""
    token, info = _login(services, request, body.username, body.password)
    if not body.bearer:
        set_session_cookie(request, response, token)
    return LoginOut(
        username=info.account.username,
        role=info.account.role,
        csrf_token=info.csrf_token,
        token=token if body.bearer else None,
    )


@router.post("/api/logout")
def api_logout(
    request: Request, response: Response, info: LoggedIn, services: Services
) -> dict[str, bool]:
    """Log out (the session is forgotten on the server)."""
    token = request.cookies.get(SESSION_COOKIE) or request.headers.get(
        "authorization", ""
    ).removeprefix("Bearer ")
    end_session(services.db, token)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return {"ok": True}


@router.get("/api/me", responses={401: {}})
def api_me(info: LoggedIn) -> LoginOut:
    """The logged-in account and its CSRF token."""
    return LoginOut(
        username=info.account.username, role=info.account.role, csrf_token=info.csrf_token
    )


@router.get("/login", response_class=HTMLResponse, include_in_schema=False)
def login_page(services: Services, next: str = "/") -> HTMLResponse:
    """The login page; ``next`` is where to go after (this site only)."""
    return services.render("login.html", 200, next=_safe_next(next), error=None)


@router.post("/login", response_class=HTMLResponse, include_in_schema=False)
def login_form(
    request: Request,
    services: Services,
    username: Annotated[str, Form(max_length=100)],
    password: Annotated[str, Form(max_length=1000)],
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    """The login form: a session cookie and a redirect to ``next``, or the page again."""
    try:
        token, _ = _login(services, request, username, password)
    except HTTPException as exc:
        return services.render(
            "login.html", exc.status_code, next=_safe_next(next), error=exc.detail
        )
    response = RedirectResponse(_safe_next(next), status_code=303)
    set_session_cookie(request, response, token)
    return response


@router.post("/api/users", status_code=201, responses={401: {}, 403: {}, 422: {}})
def api_create_user(body: UserIn, info: Admin, services: Services) -> dict[str, Any]:
    """Create an account (admins only)."""
    account = create_user(services.db, body.username, body.password, body.role, by=info.account.id)
    return {"id": account.id, "username": account.username, "role": account.role}


@router.get("/api/roles")
def api_roles() -> list[str]:
    """The account roles."""
    return list(ROLES)
