"""Organisers split, merge and draw turfs of a cut plan (``app.services.turf_edits``)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from app.fields import Name
from app.planning.edits import TurfEdit
from app.services.accounts import SessionInfo
from app.services.turf_edits import polygon_from_geojson
from app.web.deps import AppServices, Organiser, Services

MAX_MERGE = 50
"""Most turfs one merge may name."""

router = APIRouter()

FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]
Position = Annotated[
    list[FiniteFloat],
    Field(min_length=2, max_length=3, description="[longitude, latitude] (WGS 84)"),
]
Ring = Annotated[
    list[Position],
    Field(min_length=3, max_length=20_000, description="a ring; closed or not"),
]
PolygonRings = Annotated[
    list[Ring], Field(min_length=1, max_length=100, description="outer ring, then holes")
]


class SplitIn(BaseModel):
    """A turf to split in two."""

    turf: Name = Field(description="id of the turf to split, e.g. P01-03")


class MergeIn(BaseModel):
    """Turfs to merge into one."""

    turfs: list[Name] = Field(
        min_length=2,
        max_length=MAX_MERGE,
        description="ids of the turfs to merge; all go into the first, whose id stays",
    )


class PolygonIn(BaseModel):
    """A GeoJSON Polygon in longitude, latitude."""

    type: Literal["Polygon"]
    coordinates: PolygonRings


class MultiPolygonIn(BaseModel):
    """A GeoJSON MultiPolygon in longitude, latitude."""

    type: Literal["MultiPolygon"]
    coordinates: list[PolygonRings] = Field(min_length=1, max_length=100)


class DrawIn(BaseModel):
    """A turf drawn on the map: the stops inside leave their turfs for a new one."""

    geometry: PolygonIn | MultiPolygonIn = Field(
        discriminator="type", description="GeoJSON Polygon or MultiPolygon (lon/lat)"
    )


class JobOut(BaseModel):
    """A background job, as POST /api/plans and GET /api/jobs/{id} show it."""

    id: str
    plan: str
    status: str = Field(description="queued, running, done or failed")
    stage: str = Field(description="the stage running now ('' when queued or finished)")
    stages_done: list[str]
    done: int = Field(description="items of the current stage done (turfs routed, written, ...)")
    total: int | None = Field(description="items the current stage has, when it counts them")
    error: str = Field(description="why the job failed ('' otherwise)")
    url: str | None = Field(description="the plan's page once the job is done")


class ErrorOut(BaseModel):
    """An error: a message, or FastAPI's list of body validation errors."""

    detail: str | list[dict[str, Any]]


def _error(description: str) -> dict[str, Any]:
    return {"model": ErrorOut, "description": description}


RESPONSES: dict[int | str, dict[str, Any]] = {
    401: _error("not logged in"),
    403: _error("not an organiser or admin, or a cookie session without the CSRF token"),
    404: _error("no plan of that name"),
    409: _error("the plan has an edit (or another job) queued or running"),
    410: _error("an input file the plan was made from is gone: it cannot be made again"),
    422: _error("an edit that cannot be made: unknown turf, empty polygon, ..."),
}


def _queue(name: str, edit: TurfEdit, info: SessionInfo, services: AppServices) -> dict[str, Any]:
    return services.editor.start(name, edit, user_id=info.account.id).as_dict()


@router.post(
    "/api/plans/{name}/turfs/split",
    summary="Split a turf in two",
    status_code=202,
    response_model=JobOut,
    responses=RESPONSES,
)
def split(name: str, body: SplitIn, info: Organiser, services: Services) -> dict[str, Any]:
    """Split a turf in two of about equal effort, along its own walk.

    The first half keeps the turf's id; the second gets the next unused number of its
    precinct (P01-03 -> P01-03 and P01-08 when P01-07 is the highest so far). Both are
    routed afresh; no other turf changes. Answers 202 with the job: poll
    GET /api/jobs/{id} until ``status`` is ``done`` (or ``failed``, with ``error``).
    """
    return _queue(name, TurfEdit("split", (body.turf,)), info, services)


@router.post(
    "/api/plans/{name}/turfs/merge",
    summary="Merge turfs",
    status_code=202,
    response_model=JobOut,
    responses=RESPONSES,
)
def merge(name: str, body: MergeIn, info: Organiser, services: Services) -> dict[str, Any]:
    """Merge turfs into the first one named, which keeps its id and is routed afresh.

    The other turfs disappear. Answers 202 with the job (poll GET /api/jobs/{id}); 422
    when a turf is named twice or is not in the plan.
    """
    return _queue(name, TurfEdit("merge", tuple(body.turfs)), info, services)


@router.post(
    "/api/plans/{name}/turfs/draw",
    summary="Draw a turf on the map",
    status_code=202,
    response_model=JobOut,
    responses=RESPONSES,
)
def draw(name: str, body: DrawIn, info: Organiser, services: Services) -> dict[str, Any]:
    """Make a turf of every stop inside a polygon drawn on the map (lon/lat).

    The stops leave their turfs (which are routed afresh; a turf left empty
    disappears); the new turf gets the next unused id of the precinct most of its stops
    are in. Answers 202 with the job (poll GET /api/jobs/{id}); 422 when the polygon
    holds no stop of the plan.
    """
    polygon = polygon_from_geojson(body.geometry.model_dump())
    return _queue(name, TurfEdit("draw", polygon=polygon), info, services)
