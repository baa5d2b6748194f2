"""Volunteer links: organisers create, list and revoke them; the token is shown once."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi import Path as UrlPath
from pydantic import BaseModel, Field

from app.errors import NotFoundError
from app.fields import MAX_ROW_ID, Label, Name
from app.store.links import DEFAULT_FIELDS, LINK_FIELDS, create_link, list_links, revoke_link
from app.web.deps import Organiser, Services

router = APIRouter()


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


@router.post("/api/plans/{name}/links", status_code=201, responses={401: {}, 403: {}, 404: {}})
def api_create_link(
    name: str, body: LinkIn, request: Request, info: Organiser, services: Services
) -> LinkOut:
    """Create a volunteer link to one turf; the token is in the answer this once."""
    token, link_id = create_link(
        services.db,
        name,
        body.turf,
        fields=body.fields,
        expires_in=timedelta(days=body.days),
        label=body.label,
        created_by=info.account.id,
    )
    link = next(x for x in list_links(services.db, name) if x["id"] == link_id)
    return LinkOut(
        id=link_id,
        token=token,
        url=(services.settings.public_url or str(request.base_url).rstrip("/")) + f"/t/{token}",
        expires_at=str(link["expires_at"]),
    )


@router.get("/api/plans/{name}/links", responses={401: {}, 403: {}})
def api_list_links(name: str, info: Organiser, services: Services) -> list[dict[str, Any]]:
    """The plan's volunteer links (never their tokens)."""
    return list_links(services.db, name)


@router.get("/api/link-fields")
def api_link_fields() -> list[str]:
    """Voter fields a link can show."""
    return list(LINK_FIELDS)


@router.post("/api/links/{link_id}/revoke", responses={401: {}, 403: {}, 404: {}})
def api_revoke_link(
    link_id: Annotated[int, UrlPath(ge=1, le=MAX_ROW_ID)], info: Organiser, services: Services
) -> dict[str, bool]:
    """Revoke a link: its page then says to ask for a new one."""
    if not revoke_link(services.db, link_id, user_id=info.account.id):
        raise NotFoundError(f"no link {link_id}")
    return {"revoked": True}
