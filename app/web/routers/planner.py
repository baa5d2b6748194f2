"""The new-plan page and its API: street data, live target counts, plan runs and their jobs."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, Field

from app.fields import Expression, Name, RowId
from app.privacy.fields import DEFAULT_FIELDS, FIELD_CHOICES, FIELD_LABELS
from app.services.next_pass import start_next_pass
from app.services.plan_jobs import DEMO_STREETS, PlanSource
from app.web.deps import Organiser, Services
from geo.effort import TurfSize

router = APIRouter()
WalklistField = Literal["name", "age_band", "age", "party", "support_score", "turnout_score"]
"""What ``app.privacy.fields.FIELD_CHOICES`` allows (checked against it in the tests)."""


class UniverseIn(BaseModel):
    """A target to count on uploaded files."""

    voters_upload: RowId = Field(description="id of a voters upload")
    precincts_upload: RowId | None = Field(None, description="id of a precincts upload")
    addresses_upload: RowId | None = Field(
        None, description="id of an addresses upload, to place voters without coordinates"
    )
    streets: Name = Field(DEMO_STREETS, description="street data id from GET /api/streets")
    target: Expression = Field("", description="filter expression; blank: everyone")

    def source(self) -> PlanSource:
        """The files and target as the planner takes them."""
        return PlanSource(
            voters_upload=self.voters_upload,
            precincts_upload=self.precincts_upload,
            addresses_upload=self.addresses_upload,
            streets=self.streets,
            target=self.target,
        )


class PlanIn(UniverseIn):
    """A plan to cut from uploaded files."""

    name: Name = Field(description="plan (folder) name: letters, digits, . _ -")
    turf_minutes: float | None = Field(120.0, gt=0, le=24 * 60)
    turf_doors: int | None = Field(None, gt=0, le=10_000)
    walklist_fields: list[WalklistField] | None = Field(
        None,
        max_length=len(FIELD_CHOICES),
        description="voter fields of the printed and downloadable walk lists; default: name "
        "and age band",
    )
    paper: Literal["A4", "Letter"] | None = Field(
        None,
        description="paper the walk lists print on; null: Letter for a US voter file or doors "
        "in the US, Canada or Mexico, A4 elsewhere",
    )
    hours: float | None = Field(None, gt=0, le=1_000_000, description="volunteer-hours")
    value: Expression = Field("", description="what a target voter is worth; blank: 1")
    regions: str = Field(
        "",
        max_length=100,
        description="split the plan by region, each a task on the Dask cluster: a voter or "
        "precinct column (county) or auto:N (whole precincts, about N voters); blank: one plan",
    )

    def size(self) -> TurfSize:
        """The turf size asked for: doors when given, else minutes (default 120)."""
        if self.turf_doors:
            return TurfSize(minutes=None, doors=self.turf_doors)
        if self.turf_minutes:
            return TurfSize(minutes=self.turf_minutes)
        return TurfSize()


@router.get("/api/streets", responses={401: {}, 403: {}})
def streets(info: Organiser, services: Services) -> list[dict[str, str]]:
    """Street data a plan can use: the embedded demo extract and files in streets/."""
    return services.planner.street_choices()


@router.post("/api/universe", responses={401: {}, 403: {}, 404: {}, 422: {}})
def universe(body: UniverseIn, info: Organiser, services: Services) -> dict[str, Any]:
    """Count a target on uploaded files: voters, doors, stops and estimated hours."""
    return services.planner.count(body.source())


@router.post("/api/plans", status_code=202, responses={401: {}, 403: {}, 409: {}, 422: {}})
def create_plan(body: PlanIn, info: Organiser, services: Services) -> dict[str, Any]:
    """Cut a plan from uploaded files in the background; poll the returned job."""
    fields = None if body.walklist_fields is None else tuple(dict.fromkeys(body.walklist_fields))
    job = services.planner.start(
        body.name,
        body.source(),
        body.size(),
        walklist_fields=fields,
        paper=body.paper,
        hours=body.hours,
        value=body.value,
        regions=body.regions,
    )
    return job.as_dict()


@router.post(
    "/api/plans/{name}/next-pass",
    status_code=202,
    responses={401: {}, 403: {}, 404: {}, 409: {}, 422: {}},
)
def next_pass(name: str, info: Organiser, services: Services) -> dict[str, Any]:
    """Plan the next pass from the plan's stored results (``<name>-p2``); poll the job."""
    job = start_next_pass(services.planner, services.db, name, user_id=info.account.id)
    return job.as_dict()


@router.get("/api/jobs/{job_id}", responses={401: {}, 403: {}, 404: {}})
def job(job_id: str, info: Organiser, services: Services) -> dict[str, Any]:
    """A plan run's status and stage; ``url`` of the plan once it is done."""
    return services.jobs.job(job_id).as_dict()


@router.get("/plans/new", response_class=HTMLResponse, include_in_schema=False)
def new_plan_page(request: Request, services: Services) -> Any:
    """The new-plan page (login first)."""
    info, _ = services.gate.session(request)
    if info is None and not services.gate.has_accounts():
        # Set-up mode: the first admin is made first, then plans can be made.
        return RedirectResponse("/setup", status_code=303)
    if info is None:
        return RedirectResponse("/login?next=/plans/new", status_code=303)
    listed = request.query_params.get("do_not_contact", "")
    return services.render(
        "new_plan.html",
        200,
        csrf_token=info.csrf_token,
        do_not_contact=int(listed) if listed.isdigit() else 0,
        walklist_choices=[(f, FIELD_LABELS[f]) for f in FIELD_CHOICES],
        walklist_defaults=DEFAULT_FIELDS,
    )
