"""Who goes where on the plan page: suggest turfs to the people of the list, then apply.

The suggestion names people: organisers only, never cached. Applying gives the accepted turfs
in one step, each with its volunteer link (as ``PUT .../assignment`` does for one turf).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from app.fields import Label, Note, RowId
from app.services.suggest import (
    LeftOut,
    SuggestedTurf,
    apply_suggestion,
    people_from_volunteers,
    suggest_from_people,
)
from app.web.deps import Organiser, Services
from app.web.routers.assignments import NO_STORE, ShareOut, link_base_for, share_out

router = APIRouter()


class SuggestionOut(BaseModel):
    """Who walks which unassigned turf, the totals, and who could not be used and why."""

    turfs: list[SuggestedTurf]
    record: dict[str, Any]
    left_out: list[LeftOut]


class AcceptedTurf(BaseModel):
    """A turf of the suggestion as accepted (or changed) by the organiser."""

    turf: Label
    person: RowId
    note: Note = ""


class PeopleAdded(BaseModel):
    """The volunteers file's people: how many were added, how many were on the list already."""

    added: int
    already: int


class ApplyIn(BaseModel):
    """The turfs to give, each to a person of the list."""

    turfs: list[AcceptedTurf] = Field(min_length=1, max_length=2000)


@router.post(
    "/api/plans/{name}/assignments/suggestion", responses={401: {}, 403: {}, 404: {}, 422: {}}
)
def post_suggestion(
    name: str, info: Organiser, services: Services, response: Response
) -> SuggestionOut:
    """Suggest the unassigned turfs to the people with a home, least travel within hours."""
    found = suggest_from_people(services.db, services.workspace.folder(name))
    response.headers.update(NO_STORE)
    return SuggestionOut(turfs=found.turfs, record=found.record, left_out=found.left_out)


@router.post("/api/plans/{name}/assignments/apply", responses={401: {}, 403: {}, 404: {}, 422: {}})
def post_apply(
    name: str,
    body: ApplyIn,
    request: Request,
    info: Organiser,
    services: Services,
    response: Response,
) -> list[ShareOut]:
    """Give every accepted turf to its person and make their links, in one step."""
    shares = apply_suggestion(
        services.db,
        services.link_key,
        services.workspace.folder(name),
        [(t.turf, t.person, t.note) for t in body.turfs],
        link_base=link_base_for(request, services),
        by=info.account.id,
    )
    response.headers.update(NO_STORE)
    return [share_out(share) for share in shares]


@router.post(
    "/api/plans/{name}/people/from-volunteers", responses={401: {}, 403: {}, 404: {}, 422: {}}
)
def post_people_from_volunteers(name: str, info: Organiser, services: Services) -> PeopleAdded:
    """Add the volunteers of the plan's volunteers file to the people list (not twice)."""
    added, already = people_from_volunteers(
        services.db, services.workspace.folder(name), by=info.account.id
    )
    return PeopleAdded(added=added, already=already)
