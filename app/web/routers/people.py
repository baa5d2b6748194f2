"""The people list as an API: organisers add, change and remove the volunteers they assign.

Names, phone numbers and emails are personal data: only organisers (and admins) see them.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from fastapi import Path as UrlPath
from pydantic import BaseModel, Field, StringConstraints

from app.fields import MAX_ROW_ID, Email, Label, Phone, RowId
from app.store.people import (
    MAX_HOURS,
    Availability,
    PersonInfo,
    add_person,
    list_people,
    remove_person,
    update_person,
)
from app.web.deps import Organiser, Services

router = APIRouter()
PersonId = Annotated[int, UrlPath(ge=1, le=MAX_ROW_ID)]


class PersonIn(BaseModel):
    """A volunteer: a name, and a phone number and/or an email to send their link to."""

    name: Annotated[Label, StringConstraints(min_length=1, strip_whitespace=True)]
    phone: Phone = ""
    email: Email = ""
    home: Annotated[str, StringConstraints(max_length=300, strip_whitespace=True)] = ""
    """Where they start from: "lat, lon" or a street address (who goes where)."""
    hours: float | None = Field(default=None, gt=0, le=MAX_HOURS)
    """Hours they can walk; none: one turf."""
    pairs_with: RowId | None = None
    """The person of the list they walk with."""

    def availability(self) -> Availability | None:
        """Home, hours and partner; None when the request says none of them (kept as they are)."""
        if not {"home", "hours", "pairs_with"} & self.model_fields_set:
            return None
        return Availability(self.home, self.hours, self.pairs_with)


class PersonRemoved(BaseModel):
    """The person is gone; their turfs were taken back and their links revoked."""

    removed: bool
    turfs: int


@router.get("/api/people", responses={401: {}, 403: {}})
def get_people(info: Organiser, services: Services) -> list[PersonInfo]:
    """Everyone on the list, by name, with how many turfs each has."""
    return list_people(services.db)


@router.post("/api/people", status_code=201, responses={401: {}, 403: {}, 422: {}})
def post_person(body: PersonIn, info: Organiser, services: Services) -> PersonInfo:
    """Add a person to the list."""
    return add_person(
        services.db,
        body.name,
        body.phone,
        body.email,
        by=info.account.id,
        availability=body.availability(),
    )


@router.put("/api/people/{person_id}", responses={401: {}, 403: {}, 404: {}, 422: {}})
def put_person(
    person_id: PersonId, body: PersonIn, info: Organiser, services: Services
) -> PersonInfo:
    """Change a person's name, phone or email."""
    return update_person(
        services.db,
        person_id,
        body.name,
        body.phone,
        body.email,
        by=info.account.id,
        availability=body.availability(),
    )


@router.delete("/api/people/{person_id}", responses={401: {}, 403: {}, 404: {}})
def delete_person(person_id: PersonId, info: Organiser, services: Services) -> PersonRemoved:
    """Remove a person: their turfs are taken back and the links made for them revoked."""
    turfs = remove_person(services.db, person_id, by=info.account.id)
    return PersonRemoved(removed=True, turfs=turfs)
