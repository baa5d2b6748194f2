"""The organiser's JSON API and login pages: sessions, volunteer links, imports, exports.

Roles: ``admin`` (everything, accounts too), ``organiser`` (links, imports, exports),
``manager`` (reads plans).
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi import Path as UrlPath
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from app.accounts import (
    ROLES,
    AccountError,
    authenticate,
    create_user,
    end_session,
    start_session,
)
from app.auth import SESSION_COOKIE, Gate
from app.fields import MAX_ROW_ID, Label, Name, Password
from app.security import RateLimiter, client_address
from app.store.audit import audit
from app.store.engine import Database, as_utc
from app.store.links import DEFAULT_FIELDS, LINK_FIELDS, create_link, list_links, revoke_link
from app.store.models import AuditEntry, User
from app.store.plans import PlanImportError, import_plan
from app.store.results import results_per_voter
from app.store.spatial import AreaError, parse_polygon, stops_inside

WRITERS = ("admin", "organiser")
LOGIN_ATTEMPTS_PER_MINUTE = 10
MINIVAN_COLUMNS = (
    "Voter File VANID",
    "Contact Name",
    "Date Canvassed",
    "Result",
    "Contact Type",
    "Canvassed By",
    "Created By",
    "Date Created",
    "Input Type Name",
    "MiniVAN Campaign",
)
VAN_RESULTS = {
    "not_home": "Not Home",
    "refused": "Refused",
    "moved": "Moved",
    "come_back": "Come Back",
    "inaccessible": "Inaccessible",
}
"""MiniVAN result names; supporter_1..5 are a contact made ("Canvassed")."""


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


class LinkIn(BaseModel):
    """A volunteer link to create."""

    turf: Name
    fields: list[Name] = Field(default_factory=lambda: list(DEFAULT_FIELDS), max_length=10)
    days: float = Field(default=7.0, gt=0, le=90)
    label: Label = ""


class LinkOut(BaseModel):
    """A created link: the token is shown this once."""

    id: int
    token: str
    url: str
    expires_at: str


class UserIn(BaseModel):
    """An account to create."""

    username: Name
    password: Password
    role: str = "organiser"


class AreaIn(BaseModel):
    """A polygon drawn on the map: a GeoJSON Polygon or MultiPolygon in lon/lat."""

    geometry: dict[str, Any]


def _safe_next(target: str | None) -> str:
    return target if target and target.startswith("/") and not target.startswith("//") else "/"


def organiser_router(
    db: Database, gate: Gate, plan_folders: Any, render: Any, *, secure_cookies: bool
) -> APIRouter:
    """Login, links, imports and exports; ``plan_folders()`` lists the workspace's plans."""
    router = APIRouter()
    logins = RateLimiter(LOGIN_ATTEMPTS_PER_MINUTE, 60.0)
    logins_per_address = RateLimiter(LOGIN_ATTEMPTS_PER_MINUTE * 3, 60.0)

    def _login(request: Request, username: str, password: str) -> tuple[str, Any]:
        logins_per_address.check(f"ip:{client_address(request)}")
        logins.check(f"user:{username.casefold()}")
        account = authenticate(db, username, password)
        if account is None:
            raise HTTPException(401, "wrong username or password")
        return start_session(db, account)

    def _set_cookie(request: Request, response: Response, token: str) -> None:
        response.set_cookie(
            SESSION_COOKIE,
            token,
            httponly=True,
            samesite="strict",
            # Over HTTPS (directly or via a proxy uvicorn trusts) the cookie never goes plain.
            secure=secure_cookies or request.url.scheme == "https",
            max_age=12 * 3600,
            path="/",
        )

    @router.post("/api/login", responses={401: {}, 429: {}})
    def api_login(body: LoginIn, request: Request, response: Response) -> LoginOut:
        """Log in: sets the session cookie (or returns a bearer token when ``bearer``)."""
        token, info = _login(request, body.username, body.password)
        if not body.bearer:
            _set_cookie(request, response, token)
        return LoginOut(
            username=info.account.username,
            role=info.account.role,
            csrf_token=info.csrf_token,
            token=token if body.bearer else None,
        )

    @router.post("/api/logout")
    def api_logout(request: Request, response: Response) -> dict[str, bool]:
        """Log out (the session is forgotten on the server)."""
        gate.require(request)
        token = request.cookies.get(SESSION_COOKIE) or request.headers.get(
            "authorization", ""
        ).removeprefix("Bearer ")
        end_session(db, token)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return {"ok": True}

    @router.get("/api/me", responses={401: {}})
    def api_me(request: Request) -> LoginOut:
        """The logged-in account and its CSRF token."""
        info = gate.require(request)
        return LoginOut(
            username=info.account.username, role=info.account.role, csrf_token=info.csrf_token
        )

    @router.get("/login", response_class=HTMLResponse, include_in_schema=False)
    def login_page(next: str = "/") -> HTMLResponse:
        return render("login.html", 200, next=_safe_next(next), error=None)

    @router.post("/login", response_class=HTMLResponse, include_in_schema=False)
    def login_form(
        request: Request,
        username: Annotated[str, Form(max_length=100)],
        password: Annotated[str, Form(max_length=1000)],
        next: Annotated[str, Form(max_length=500)] = "/",
    ) -> Response:
        try:
            token, _ = _login(request, username, password)
        except HTTPException as exc:
            return render("login.html", exc.status_code, next=_safe_next(next), error=exc.detail)
        response = RedirectResponse(_safe_next(next), status_code=303)
        _set_cookie(request, response, token)
        return response

    @router.post("/api/users", status_code=201, responses={401: {}, 403: {}, 422: {}})
    def api_create_user(body: UserIn, request: Request) -> dict[str, Any]:
        """Create an account (admins only)."""
        info = gate.require(request, "admin")
        try:
            account = create_user(db, body.username, body.password, body.role, by=info.account.id)
        except AccountError as exc:
            raise HTTPException(422, str(exc)) from None
        return {"id": account.id, "username": account.username, "role": account.role}

    @router.get("/api/roles")
    def api_roles() -> list[str]:
        """The account roles."""
        return list(ROLES)

    @router.post("/api/plans/{name}/links", status_code=201, responses={401: {}, 403: {}, 404: {}})
    def api_create_link(name: str, body: LinkIn, request: Request) -> LinkOut:
        """Create a volunteer link to one turf; the token is in the answer this once."""
        info = gate.require(request, *WRITERS)
        try:
            token, link_id = create_link(
                db,
                name,
                body.turf,
                fields=body.fields,
                expires_in=timedelta(days=body.days),
                label=body.label,
                created_by=info.account.id,
            )
        except LookupError as exc:
            raise HTTPException(404, str(exc)) from None
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from None
        link = next(x for x in list_links(db, name) if x["id"] == link_id)
        return LinkOut(
            id=link_id,
            token=token,
            url=str(request.base_url).rstrip("/") + f"/t/{token}",
            expires_at=str(link["expires_at"]),
        )

    @router.get("/api/plans/{name}/links", responses={401: {}, 403: {}})
    def api_list_links(name: str, request: Request) -> list[dict[str, Any]]:
        """The plan's volunteer links (never their tokens)."""
        gate.require(request, *WRITERS)
        return list_links(db, name)

    @router.get("/api/link-fields")
    def api_link_fields() -> list[str]:
        """Voter fields a link can show."""
        return list(LINK_FIELDS)

    @router.post("/api/links/{link_id}/revoke", responses={401: {}, 403: {}, 404: {}})
    def api_revoke_link(
        link_id: Annotated[int, UrlPath(ge=1, le=MAX_ROW_ID)], request: Request
    ) -> dict[str, bool]:
        """Revoke a link: its page then says to ask for a new one."""
        info = gate.require(request, *WRITERS)
        if not revoke_link(db, link_id, user_id=info.account.id):
            raise HTTPException(404, f"no link {link_id}")
        return {"revoked": True}

    @router.post("/api/plans/import", responses={401: {}, 403: {}, 422: {}})
    def api_import(request: Request) -> list[dict[str, Any]]:
        """Import (again) the workspace's plan folders into the database."""
        info = gate.require(request, *WRITERS)
        reports = []
        for folder in plan_folders():
            try:
                report = import_plan(db, Path(folder))
            except PlanImportError as exc:
                raise HTTPException(422, str(exc)) from None
            reports.append(report.__dict__)
            if report.imported:
                with db.writing() as session:
                    audit(session, "plan.import", report.plan, user_id=info.account.id)
        return reports

    @router.get("/api/audit", responses={401: {}, 403: {}})
    def api_audit(request: Request, limit: int = Query(200, ge=1, le=1000)) -> list[dict[str, Any]]:
        """The newest audit log entries (admins only): logins, links, uploads, exports."""
        gate.require(request, "admin")
        with db.reading() as session:
            rows = session.execute(
                select(AuditEntry, User.username)
                .outerjoin(User, User.id == AuditEntry.user_id)
                .order_by(AuditEntry.id.desc())
                .limit(limit)
            ).all()
        return [
            {
                "at": as_utc(entry.at).isoformat(),
                "user": username,
                "action": entry.action,
                "subject": entry.subject,
                "details": entry.details,
            }
            for entry, username in rows
        ]

    @router.post("/api/plans/{name}/inside", responses={401: {}, 404: {}, 422: {}})
    def api_inside(name: str, body: AreaIn, request: Request) -> dict[str, Any]:
        """Stops, doors and voters of the plan inside a drawn polygon (PostGIS when there)."""
        if not gate.can_read_plans(request):
            raise HTTPException(401, "log in first (POST /api/login)")
        try:
            return stops_inside(db, name, parse_polygon(body.geometry))
        except AreaError as exc:
            raise HTTPException(422, f"geometry: {exc}") from None
        except LookupError as exc:
            raise HTTPException(404, str(exc)) from None

    @router.get(
        "/api/plans/{name}/results.tsv",
        response_class=Response,
        responses={200: {"content": {"text/tab-separated-values": {}}}, 401: {}, 403: {}},
    )
    def api_export_results(name: str, request: Request) -> Response:
        """Results as a MiniVAN Contact History report (tab-separated), for upload to VAN."""
        info = gate.require(request, *WRITERS)
        text, rows = _minivan_export(db, name)
        with db.writing() as session:
            audit(session, "export.results", name, user_id=info.account.id, rows=rows)
        return Response(
            text,
            media_type="text/tab-separated-values; charset=utf-8",
            headers={
                "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}-results.tsv"
            },
        )

    return router


def _minivan_export(db: Database, plan: str) -> tuple[str, int]:
    rows = results_per_voter(db, plan)
    if rows is None:
        raise HTTPException(404, f"no plan named {plan!r} in the database")
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter="\t", lineterminator="\r\n")
    writer.writerow(MINIVAN_COLUMNS)
    for row in rows:
        result, voter = row.result, row.voter
        writer.writerow(
            [
                voter.voter_code,
                f"{voter.last_name}, {voter.first_name}",
                as_utc(result.recorded_at).strftime("%m/%d/%Y"),
                VAN_RESULTS.get(result.code, "Canvassed"),
                "Walk",
                row.canvassed_by,
                "Canvass Planner",
                as_utc(result.received_at).strftime("%m/%d/%Y"),
                "Canvass Planner",
                plan,
            ]
        )
    return buffer.getvalue(), len(rows)
