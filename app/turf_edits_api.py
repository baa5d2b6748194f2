"""Organisers edit a cut plan's turfs from the plan page: split one, merge some, draw one.

Each request is checked at once against the plan's ``stops.csv`` (unknown plan 404, unknown
turf or empty polygon 422, input files gone 410) and then queued as a job of the
``app.planner_api.Planner`` (one job at a time; 409 while the plan has one queued or
running). The job makes the plan again from its recorded inputs with the edit applied
(``app.pipeline.request_from_plan``, ``PlanRequest.edit``): every other turf keeps its id
and walking order, the edited turfs are routed afresh. The folder is replaced atomically,
imported into the database (results stay with their households) and the edit is written to
the audit log. What was done is the last entry of the plan summary's ``edits``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any, Literal

import pandas as pd
import shapely
from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field

from app.auth import Gate
from app.fields import Name
from app.outputs import write_plan
from app.pipeline import PlanInputsError, request_from_plan, run_plan
from app.planner_api import PlanJob, Planner
from app.store.audit import audit
from app.turf_edit import TurfEdit, TurfEditError
from routing.graph_cache import default_cache_dir

_ORGANISERS = ("admin", "organiser")
MAX_MERGE = 50
"""Most turfs one merge may name."""

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


def polygon_from_geojson(geometry: PolygonIn | MultiPolygonIn) -> shapely.Geometry:
    """The shapely polygon of a GeoJSON geometry; 422 for a shape with no area."""
    try:
        shape = shapely.geometry.shape(geometry.model_dump())
    except (ValueError, TypeError, IndexError, shapely.errors.ShapelyError) as exc:
        raise HTTPException(422, f"the drawn shape is not a polygon ({exc})") from None
    bounds = shapely.bounds(shape)
    if not (-180 <= bounds[0] <= bounds[2] <= 180 and -90 <= bounds[1] <= bounds[3] <= 90):
        raise HTTPException(422, "the polygon is not in longitude, latitude (WGS 84)")
    shape = shapely.make_valid(shape)
    if isinstance(shape, shapely.GeometryCollection):
        parts = [g for g in shape.geoms if isinstance(g, shapely.Polygon | shapely.MultiPolygon)]
        shape = shapely.union_all(parts) if parts else shapely.Polygon()
    if not isinstance(shape, shapely.Polygon | shapely.MultiPolygon) or shape.area == 0:
        raise HTTPException(422, "the drawn shape has no area: draw a polygon around the stops")
    return shape


class TurfEditor:
    """Checks edits against a plan folder and queues them on the planner's job queue."""

    def __init__(self, planner: Planner, plan_dir: Callable[[str], Path]) -> None:
        self.planner = planner
        self.plan_dir = plan_dir
        """The folder of a plan by name; raises a 404 HTTPException for an unknown plan."""

    def _stops(self, folder: Path) -> pd.DataFrame:
        try:
            stops = pd.read_csv(folder / "stops.csv", dtype={"stop_id": str, "turf": str})
        except (OSError, pd.errors.ParserError, UnicodeDecodeError):
            stops = None
        if stops is None or not {"stop_id", "turf", "lat", "lon"} <= set(stops.columns):
            raise HTTPException(404, f"plan {folder.name!r} has no turfs to edit")
        return stops

    def check(self, name: str, edit: TurfEdit) -> Path:
        """The plan's folder if ``edit`` can be made to it (404, 410 or 422 otherwise)."""
        folder = self.plan_dir(name)
        stops = self._stops(folder)
        sizes = stops["turf"].value_counts()
        unknown = [t for t in edit.turfs if t not in sizes.index]
        if unknown:
            raise HTTPException(422, f"plan {name!r} has no turf {', '.join(map(repr, unknown))}")
        if edit.kind == "split" and sizes[edit.turfs[0]] < 2:
            raise HTTPException(422, f"turf {edit.turfs[0]!r} has one stop and cannot be split")
        if edit.kind == "draw":
            assert edit.polygon is not None
            points = shapely.points(stops["lon"].to_numpy(), stops["lat"].to_numpy())
            if not shapely.covers(edit.polygon, points).any():
                raise HTTPException(422, "the drawn polygon contains no stop of this plan")
        try:
            request_from_plan(folder)
        except PlanInputsError as exc:
            raise HTTPException(410, str(exc)) from None
        return folder

    def start(self, name: str, edit: TurfEdit, *, user_id: int | None) -> PlanJob:
        """Check ``edit`` and queue it; the job makes, writes and imports the edited plan."""
        conflict = f"plan {name!r} is being changed; wait for that job to finish"
        if self.planner.busy(name):  # its folder may be being replaced: do not read it now
            raise HTTPException(409, conflict)
        folder = self.check(name, edit)

        def work(on_stage: Callable[[str], None]) -> None:
            on_stage("read_plan")
            request = replace(
                request_from_plan(folder, graph_cache_dir=default_cache_dir()), edit=edit
            )
            plan = run_plan(request, on_stage=on_stage)
            on_stage("write_outputs")
            write_plan(plan, folder)
            on_stage("import")
            self.planner.on_written(folder)
            record = plan.counts["edits"][-1]
            with self.planner.db.writing() as session:
                audit(
                    session,
                    "plan.edit",
                    name,
                    user_id=user_id,
                    kind=record["kind"],
                    turfs=record["turfs"],
                    new=record["new"],
                    removed=record["removed"],
                    stops_moved=record["stops_moved"],
                )

        return self.planner.submit(name, work, conflict=conflict)


def turf_edits_router(planner: Planner, gate: Gate, plan_dir: Callable[[str], Path]) -> APIRouter:
    """Routes that split, merge and draw turfs of a plan (organisers and admins)."""
    router = APIRouter()
    editor = TurfEditor(planner, plan_dir)

    def queue(name: str, edit: Callable[[], TurfEdit], request: Request) -> dict[str, Any]:
        info = gate.require(request, *_ORGANISERS)
        try:
            made = edit()
        except TurfEditError as exc:
            raise HTTPException(422, str(exc)) from None
        return editor.start(name, made, user_id=info.account.id).as_dict()

    def drawn(body: DrawIn) -> TurfEdit:
        return TurfEdit("draw", polygon=polygon_from_geojson(body.geometry))

    @router.post(
        "/api/plans/{name}/turfs/split",
        summary="Split a turf in two",
        status_code=202,
        response_model=JobOut,
        responses=RESPONSES,
    )
    def split(name: str, body: SplitIn, request: Request) -> dict[str, Any]:
        """Split a turf in two of about equal effort, along its own walk.

        The first half keeps the turf's id; the second gets the next unused number of its
        precinct (P01-03 -> P01-03 and P01-08 when P01-07 is the highest so far). Both are
        routed afresh; no other turf changes. Answers 202 with the job: poll
        GET /api/jobs/{id} until ``status`` is ``done`` (or ``failed``, with ``error``).
        """
        return queue(name, lambda: TurfEdit("split", (body.turf,)), request)

    @router.post(
        "/api/plans/{name}/turfs/merge",
        summary="Merge turfs",
        status_code=202,
        response_model=JobOut,
        responses=RESPONSES,
    )
    def merge(name: str, body: MergeIn, request: Request) -> dict[str, Any]:
        """Merge turfs into the first one named, which keeps its id and is routed afresh.

        The other turfs disappear. Answers 202 with the job (poll GET /api/jobs/{id}); 422
        when a turf is named twice or is not in the plan.
        """
        return queue(name, lambda: TurfEdit("merge", tuple(body.turfs)), request)

    @router.post(
        "/api/plans/{name}/turfs/draw",
        summary="Draw a turf on the map",
        status_code=202,
        response_model=JobOut,
        responses=RESPONSES,
    )
    def draw(name: str, body: DrawIn, request: Request) -> dict[str, Any]:
        """Make a turf of every stop inside a polygon drawn on the map (lon/lat).

        The stops leave their turfs (which are routed afresh; a turf left empty
        disappears); the new turf gets the next unused id of the precinct most of its stops
        are in. Answers 202 with the job (poll GET /api/jobs/{id}); 422 when the polygon
        holds no stop of the plan.
        """
        return queue(name, lambda: drawn(body), request)

    return router
