"""Turf assignments as an API: everyone logged in sees who walks what; organisers change it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, StringConstraints

from app.fields import Label, Note
from app.store.assignments import AssignmentInfo, assign_turf, list_assignments, unassign_turf
from app.web.deps import Organiser, Reader, Services

router = APIRouter()


class AssignmentIn(BaseModel):
    """Who walks the turf (a name, or a pair: "Ana & Ben") and an optional note."""

    volunteer: Annotated[Label, StringConstraints(min_length=1)]
    note: Note = ""


class Removed(BaseModel):
    """Whether there was an assignment to clear."""

    removed: bool


@router.get("/api/plans/{name}/assignments", responses={401: {}, 404: {}})
def get_assignments(name: str, _: Reader, services: Services) -> list[AssignmentInfo]:
    """Who walks which turf (``turf_exists`` false: a re-cut or an edit removed the turf)."""
    return list_assignments(services.db, name)


@router.put("/api/plans/{name}/turfs/{turf}/assignment", responses={401: {}, 403: {}, 404: {}})
def put_assignment(
    name: str, turf: str, body: AssignmentIn, info: Organiser, services: Services
) -> AssignmentInfo:
    """Give the turf to a volunteer, replacing who had it."""
    return assign_turf(services.db, name, turf, body.volunteer, body.note, by=info.account.id)


@router.delete("/api/plans/{name}/turfs/{turf}/assignment", responses={401: {}, 403: {}, 404: {}})
def delete_assignment(name: str, turf: str, info: Organiser, services: Services) -> Removed:
    """Take the turf back from whoever had it."""
    return Removed(removed=unassign_turf(services.db, name, turf, by=info.account.id))
