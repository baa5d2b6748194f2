"""The first admin, made in the browser while no account exists (then the page is gone).

On this machine's loopback (set-up mode) anyone at the keyboard may make it; on any other
address the page also needs the one-time token ``canvass serve`` prints, so that nobody on the
network can claim the server first. The new admin is logged in at once.
"""

from __future__ import annotations

import secrets
import threading
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.services.accounts import AccountError, create_user, start_session
from app.web.deps import AppServices, Services
from app.web.routers.accounts import set_session_cookie

router = APIRouter()
_making = threading.Lock()
"""Two set-up forms sent at once make one admin, not two."""


def _open(services: AppServices, token: str | None) -> bool:
    """Whether the set-up page may be used by this request."""
    if services.gate.has_accounts():
        return False
    if services.settings.open_without_accounts:
        return True
    return bool(token) and secrets.compare_digest(services.setup_token, str(token))


@router.get("/setup", response_class=HTMLResponse, include_in_schema=False)
def setup_page(services: Services, token: str | None = None) -> Response:
    """The form for the first admin, while there is none."""
    if not _open(services, token):
        raise HTTPException(404, "no such page")
    return services.render("setup.html", 200, token=token or "", error=None)


@router.post("/setup", response_class=HTMLResponse, include_in_schema=False)
def setup_form(
    request: Request,
    services: Services,
    username: Annotated[str, Form(max_length=100)],
    password: Annotated[str, Form(max_length=1000)],
    token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Make the first admin and log them in; the page is closed from then on."""
    with _making:
        if not _open(services, token):
            raise HTTPException(404, "no such page")
        try:
            account = create_user(services.db, username, password, "admin")
        except AccountError as exc:
            return services.render("setup.html", 422, token=token, error=str(exc))
    session, _ = start_session(services.db, account)
    response = RedirectResponse("/?welcome=1", status_code=303)
    set_session_cookie(request, response, session)
    return response
