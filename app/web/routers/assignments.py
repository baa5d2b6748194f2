"""Turf assignments as an API: everyone logged in sees who walks what; organisers change it.

Giving a turf to a person of the people list makes its volunteer link in the same step and
answers with everything to hand it over: the URL, its QR code, and ``sms:``/``mailto:`` links
with a short message. A walk list printed for the assignment carries the same link.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field, StringConstraints, model_validator

from app.fields import Label, Name, Note, RowId
from app.services.assignment_print import print_for_assignment
from app.services.volunteer_share import DEFAULT_DAYS, Share, assign_and_share, assignment_share
from app.store.assignments import AssignmentInfo, assign_turf, list_assignments, unassign_turf
from app.store.links import DEFAULT_FIELDS
from app.web.deps import AppServices, Organiser, Reader, Services

router = APIRouter()
NO_STORE = {"Cache-Control": "no-store"}
"""Answers holding a volunteer link: never kept by a cache shared with others."""


class AssignmentIn(BaseModel):
    """Who walks the turf, and an optional note.

    A person of the people list (their link is made at once), or a name typed in ("Ana & Ben").
    """

    person: RowId | None = None
    volunteer: Annotated[Label, StringConstraints(strip_whitespace=True)] = ""
    note: Note = ""
    fields: list[Name] = Field(default_factory=lambda: list(DEFAULT_FIELDS), max_length=10)
    days: float = Field(default=DEFAULT_DAYS, gt=0, le=90)
    """How long the link made for a person lasts."""

    @model_validator(mode="after")
    def _someone(self) -> AssignmentIn:
        if self.person is None and not self.volunteer:
            raise ValueError("give a person of the people list, or the name of who walks it")
        return self


class LinkIn(BaseModel):
    """What a link made for an assignment shows and how long it lasts."""

    fields: list[Name] = Field(default_factory=lambda: list(DEFAULT_FIELDS), max_length=10)
    days: float = Field(default=DEFAULT_DAYS, gt=0, le=90)


class ShareOut(BaseModel):
    """A turf's volunteer link, ready to hand over."""

    turf: str
    volunteer: str
    url: str
    expires_at: datetime
    created: bool
    """Made now; False: the assignment's link, made before, shown again."""
    qr: str
    """QR code of the URL (SVG data URI)."""
    message: str
    sms: str
    mailto: str


class AssignmentOut(BaseModel):
    """A turf's assignment; ``link`` when it was given to a person of the list."""

    turf: str
    volunteer: str
    note: str
    assigned_at: datetime
    assigned_by: str | None
    turf_exists: bool
    person_id: int | None
    link_active: bool
    link: ShareOut | None = None


class Removed(BaseModel):
    """Whether there was an assignment to clear."""

    removed: bool


def link_base_for(request: Request, services: AppServices) -> str:
    """The configured public URL, else the address this request reached the server at."""
    return services.settings.public_url or str(request.base_url).rstrip("/")


def share_out(share: Share) -> ShareOut:
    """A volunteer link as the API answers it (URL, QR code, SMS and email text)."""
    return ShareOut(**{name: getattr(share, name) for name in ShareOut.model_fields})


def _out(info: AssignmentInfo, share: Share | None = None) -> AssignmentOut:
    fields = {name: getattr(info, name) for name in AssignmentOut.model_fields if name != "link"}
    if share is not None:
        fields["link_active"] = True
    return AssignmentOut(**fields, link=None if share is None else share_out(share))


@router.get("/api/plans/{name}/assignments", responses={401: {}, 404: {}})
def get_assignments(name: str, _: Reader, services: Services) -> list[AssignmentInfo]:
    """Who walks which turf (``turf_exists`` false: a re-cut or an edit removed the turf)."""
    return list_assignments(services.db, name)


@router.put(
    "/api/plans/{name}/turfs/{turf}/assignment", responses={401: {}, 403: {}, 404: {}, 422: {}}
)
def put_assignment(
    name: str,
    turf: str,
    body: AssignmentIn,
    request: Request,
    info: Organiser,
    services: Services,
    response: Response,
) -> AssignmentOut:
    """Give the turf to a person (making their link) or to a named volunteer."""
    by = info.account.id
    if body.person is None:
        return _out(assign_turf(services.db, name, turf, body.volunteer, body.note, by=by))
    share = assign_and_share(
        services.db,
        services.link_key,
        name,
        turf,
        body.person,
        link_base=link_base_for(request, services),
        note=body.note,
        fields=body.fields,
        days=body.days,
        by=by,
    )
    response.headers.update(NO_STORE)
    assigned = next(a for a in list_assignments(services.db, name) if a.turf == turf)
    return _out(assigned, share)


@router.post(
    "/api/plans/{name}/turfs/{turf}/assignment/link", responses={401: {}, 403: {}, 404: {}}
)
def post_assignment_link(
    name: str,
    turf: str,
    body: LinkIn,
    request: Request,
    info: Organiser,
    services: Services,
    response: Response,
) -> ShareOut:
    """The assigned volunteer's link: the one made before while it works, else a new one."""
    share = assignment_share(
        services.db,
        services.link_key,
        name,
        turf,
        link_base=link_base_for(request, services),
        fields=body.fields,
        days=body.days,
        by=info.account.id,
    )
    response.headers.update(NO_STORE)
    return share_out(share)


@router.delete("/api/plans/{name}/turfs/{turf}/assignment", responses={401: {}, 403: {}, 404: {}})
def delete_assignment(name: str, turf: str, info: Organiser, services: Services) -> Removed:
    """Take the turf back from whoever had it (the link made for them stops working)."""
    return Removed(removed=unassign_turf(services.db, name, turf, by=info.account.id))


@router.get(
    "/plans/{name}/print/{turf}.{form}",
    responses={401: {}, 403: {}, 404: {}},
    response_class=Response,
)
def print_assignment(
    name: str,
    turf: str,
    form: Literal["html", "pdf"],
    request: Request,
    info: Organiser,
    services: Services,
) -> Response:
    """The turf's walk list printed for the person it is given to, with their link."""
    body, _ = print_for_assignment(
        services.db,
        services.link_key,
        services.workspace.folder(name),
        turf,
        form,
        link_base=link_base_for(request, services),
        by=info.account.id,
        notice_url=services.settings.privacy_notice_url,
    )
    media = "text/html; charset=utf-8" if form == "html" else "application/pdf"
    headers = {**NO_STORE, "Content-Disposition": f'inline; filename="walklist-{turf}.{form}"'}
    return Response(body, media_type=media, headers=headers)
