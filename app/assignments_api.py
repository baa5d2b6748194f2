"""Turf assignments as an API: everyone logged in sees who walks what; organisers change it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, StringConstraints

from app.auth import Gate
from app.fields import Label, Note
from app.store.assignments import (
    AssignmentInfo,
    assign_turf,
    list_assignments,
    unassign_turf,
)
from app.store.engine import Database

EDITORS = ("admin", "organiser")


class AssignmentIn(BaseModel):
    """Who walks the turf (a name, or a pair: "Ana & Ben") and an optional note."""

    volunteer: Annotated[Label, StringConstraints(min_length=1)]
    note: Note = ""


class Removed(BaseModel):
    """Whether there was an assignment to clear."""

    removed: bool


def assignments_router(db: Database, gate: Gate) -> APIRouter:
    """GET the plan's assignments; PUT and DELETE one turf's."""
    router = APIRouter()

    @router.get("/api/plans/{name}/assignments", responses={401: {}, 404: {}})
    def get_assignments(name: str, request: Request) -> list[AssignmentInfo]:
        """Who walks which turf (``turf_exists`` false: a re-cut or an edit removed the turf)."""
        if not gate.can_read_plans(request):
            raise HTTPException(401, "log in first (POST /api/login)")
        try:
            return list_assignments(db, name)
        except LookupError as exc:
            raise HTTPException(404, str(exc)) from None

    @router.put("/api/plans/{name}/turfs/{turf}/assignment", responses={401: {}, 403: {}, 404: {}})
    def put_assignment(
        name: str, turf: str, body: AssignmentIn, request: Request
    ) -> AssignmentInfo:
        """Give the turf to a volunteer, replacing who had it."""
        info = gate.require(request, *EDITORS)
        try:
            made = assign_turf(db, name, turf, body.volunteer, body.note, by=info.account.id)
        except LookupError as exc:
            raise HTTPException(404, str(exc)) from None
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from None
        return made

    @router.delete(
        "/api/plans/{name}/turfs/{turf}/assignment", responses={401: {}, 403: {}, 404: {}}
    )
    def delete_assignment(name: str, turf: str, request: Request) -> Removed:
        """Take the turf back from whoever had it."""
        info = gate.require(request, *EDITORS)
        try:
            return Removed(removed=unassign_turf(db, name, turf, by=info.account.id))
        except LookupError as exc:
            raise HTTPException(404, str(exc)) from None

    return router
