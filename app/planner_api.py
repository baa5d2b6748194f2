"""Organisers make a plan in the browser: count a target live, then cut turfs in the background.

The voter file and precinct layer are uploads (``app.uploads_api``); street data is the
embedded demo extract or a file an administrator put in ``<workspace>/streets/`` (a city's
``.osm.pbf`` is too big for a form). Reading a voter file is the slow part of counting a
target, so the last few prepared files stay in memory and each new expression is only a
filter over them. Cutting runs one plan at a time in a worker thread, writes the plan folder
exactly as ``canvass plan`` does and imports it; the page polls the job for its stage.
"""

from __future__ import annotations

import logging
import re
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, Field
from sqlalchemy import select

from app.auth import Gate
from app.fields import Expression, Name, RowId
from app.outputs import write_plan
from app.pipeline import PlanRequest, PreparedVoters, prepare_voters, run_plan, target_mask
from app.store.engine import Database
from app.store.models import Upload
from geo._errors import InputError
from geo.sample import demo_osm_path
from routing._errors import SnappingError, StreetDataError
from routing.turfs import TurfSize
from segments._errors import FilterError
from segments.universe import universe_size

logger = logging.getLogger(__name__)

DEMO_STREETS = "demo"
STREET_SUFFIXES = (".osm.pbf", ".osm", ".osm.bz2", ".graphml")
PREPARED_KEEP = 2
"""How many prepared voter files stay in memory for live counts."""
_PLAN_NAME = re.compile(r"^[A-Za-z0-9][\w.-]{0,80}$")
_ORGANISERS = ("admin", "organiser")


class UniverseIn(BaseModel):
    """A target to count on uploaded files."""

    voters_upload: RowId = Field(description="id of a voters upload")
    precincts_upload: RowId | None = Field(None, description="id of a precincts upload")
    streets: Name = Field(DEMO_STREETS, description="street data id from GET /api/streets")
    target: Expression = Field("", description="filter expression; blank: everyone")


class PlanIn(UniverseIn):
    """A plan to cut from uploaded files."""

    name: Name = Field(description="plan (folder) name: letters, digits, . _ -")
    turf_minutes: float | None = Field(120.0, gt=0, le=24 * 60)
    turf_doors: int | None = Field(None, gt=0, le=10_000)


@dataclass
class PlanJob:
    """One background plan run."""

    id: str
    name: str
    status: str = "queued"
    """queued, running, done or failed."""
    stage: str = ""
    error: str = ""
    stages_done: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The job as the API shows it."""
        return {
            "id": self.id,
            "plan": self.name,
            "status": self.status,
            "stage": self.stage,
            "stages_done": list(self.stages_done),
            "error": self.error,
            "url": f"/plans/{self.name}" if self.status == "done" else None,
        }


def street_sources(streets_dir: Path) -> dict[str, Path]:
    """Street data the server offers: the embedded demo and files in ``streets_dir``."""
    sources = {DEMO_STREETS: demo_osm_path()}
    if streets_dir.is_dir():
        for path in sorted(streets_dir.iterdir()):
            if path.is_file() and path.name.lower().endswith(STREET_SUFFIXES):
                sources[path.name] = path
    return sources


class Planner:
    """Uploads to plans: prepared voter files kept for live counts, and the job queue."""

    def __init__(
        self,
        db: Database,
        workspace: Path,
        uploads_dir: Path,
        streets_dir: Path,
        on_written: Callable[[Path], object],
    ) -> None:
        self.db = db
        self.workspace = workspace
        self.uploads_dir = uploads_dir
        self.streets_dir = streets_dir
        self.on_written = on_written
        self._prepared: OrderedDict[tuple[int, int | None, str], PreparedVoters] = OrderedDict()
        self._lock = threading.Lock()
        self._jobs: dict[str, PlanJob] = {}
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="plan")

    def _upload(self, upload_id: int | None, kind: str) -> Path | None:
        if upload_id is None:
            return None
        with self.db.reading() as session:
            row = session.scalar(select(Upload).where(Upload.id == upload_id))
        if row is None or row.kind != kind:
            raise HTTPException(404, f"no {kind} upload with id {upload_id}")
        path = self.uploads_dir / row.stored_as
        if not path.is_file():
            raise HTTPException(
                410, f"the file of {kind} upload {upload_id} is gone; upload it again"
            )
        return path

    def request(self, body: UniverseIn) -> PlanRequest:
        """The plan request of ``body`` (404 for unknown uploads or street data)."""
        voters = self._upload(body.voters_upload, "voters")
        assert voters is not None
        streets = street_sources(self.streets_dir).get(body.streets)
        if streets is None:
            raise HTTPException(404, f"no street data {body.streets!r}; see GET /api/streets")
        size = TurfSize()
        if isinstance(body, PlanIn) and body.turf_doors:
            size = TurfSize(minutes=None, doors=body.turf_doors)
        elif isinstance(body, PlanIn) and body.turf_minutes:
            size = TurfSize(minutes=body.turf_minutes)
        return PlanRequest(
            voters=voters,
            precincts=self._upload(body.precincts_upload, "precincts"),
            streets=streets,
            target=body.target or None,
            size=size,
        )

    def prepared(self, body: UniverseIn) -> PreparedVoters:
        """The voter file of ``body`` read, joined and grouped (kept for the next count)."""
        key = (body.voters_upload, body.precincts_upload, body.streets)
        with self._lock:
            if key in self._prepared:
                self._prepared.move_to_end(key)
                return self._prepared[key]
            prepared = prepare_voters(self.request(body))
            self._prepared[key] = prepared
            while len(self._prepared) > PREPARED_KEEP:
                self._prepared.popitem(last=False)
            return prepared

    def count(self, body: UniverseIn) -> dict[str, Any]:
        """Size of the target of ``body``; 422 with the position for a bad expression."""
        prepared = self.prepared(body)
        try:
            mask = target_mask(prepared.voters, body.target or None)
        except FilterError as exc:
            raise HTTPException(
                422,
                {
                    "message": str(exc),
                    "position": exc.position,
                    "fields": sorted(map(str, prepared.voters.columns.drop("geometry"))),
                },
            ) from None
        size = universe_size(prepared.voters, target=mask)
        return {
            "voters": {
                "total": prepared.table.total,
                "accepted": len(prepared.voters),
                "rejected": len(prepared.table.rejected),
            },
            "target": size.as_dict(),
            "precinct_join": prepared.join_counts,
        }

    def start(self, body: PlanIn) -> PlanJob:
        """Queue a plan run; 409 if a plan of that name exists or is being made."""
        if not _PLAN_NAME.match(body.name):
            raise HTTPException(422, "plan name: letters, digits, '.', '_' and '-' (up to 80)")
        request = self.request(body)
        folder = self.workspace / body.name

        def work(on_stage: Callable[[str], None]) -> None:
            plan = run_plan(request, on_stage=on_stage)
            on_stage("write_outputs")
            write_plan(plan, folder)
            on_stage("import")
            self.on_written(folder)

        conflict = f"a plan named {body.name!r} exists; choose another name"
        return self.submit(body.name, work, conflict=conflict, new_plan=True)

    def submit(
        self,
        name: str,
        work: Callable[[Callable[[str], None]], object],
        *,
        conflict: str,
        new_plan: bool = False,
    ) -> PlanJob:
        """Queue ``work(on_stage)`` as a job of plan ``name`` (one plan at a time, in order).

        409 with ``conflict`` while a job of that plan is queued or running, or, for a
        ``new_plan``, when its folder exists already.
        """
        with self._lock:
            if self.busy(name) or (new_plan and (self.workspace / name).exists()):
                raise HTTPException(409, conflict)
            job = PlanJob(id=uuid.uuid4().hex, name=name)
            self._jobs[job.id] = job
        self._worker.submit(self._run, job, work)
        return job

    def busy(self, name: str) -> bool:
        """Whether plan ``name`` has a job queued or running."""
        return any(
            j.name == name and j.status in ("queued", "running") for j in list(self._jobs.values())
        )

    def _run(self, job: PlanJob, work: Callable[[Callable[[str], None]], object]) -> None:
        job.status = "running"

        def on_stage(name: str) -> None:
            if job.stage:
                job.stages_done.append(job.stage)
            job.stage = name

        try:
            work(on_stage)
        except (InputError, FilterError, StreetDataError, SnappingError, ValueError) as exc:
            job.status, job.error = "failed", str(exc)
            return
        except Exception as exc:  # a bug: say so on the page rather than hang the job
            logger.exception("plan %s failed", job.name)
            job.status, job.error = "failed", f"unexpected error: {type(exc).__name__}: {exc}"
            return
        job.stages_done.append(job.stage)
        job.stage, job.status = "", "done"

    def job(self, job_id: str) -> PlanJob:
        """A job by id (404 if unknown)."""
        found = self._jobs.get(job_id)
        if found is None:
            raise HTTPException(404, "no such job")
        return found

    def shutdown(self) -> None:
        """Let a running plan finish; no new ones start."""
        self._worker.shutdown(wait=True, cancel_futures=True)


def planner_router(planner: Planner, gate: Gate, render: Callable[..., HTMLResponse]) -> APIRouter:
    """Routes of the new-plan page and its API (organisers and admins)."""
    router = APIRouter()

    @router.get("/api/streets", responses={401: {}, 403: {}})
    def streets(request: Request) -> list[dict[str, str]]:
        """Street data a plan can use: the embedded demo extract and files in streets/."""
        gate.require(request, *_ORGANISERS)
        return [
            {"id": key, "label": "Helsinki demo (embedded)" if key == DEMO_STREETS else key}
            for key in street_sources(planner.streets_dir)
        ]

    @router.post("/api/universe", responses={401: {}, 403: {}, 404: {}, 422: {}})
    def universe(body: UniverseIn, request: Request) -> dict[str, Any]:
        """Count a target on uploaded files: voters, doors, stops and estimated hours."""
        gate.require(request, *_ORGANISERS)
        try:
            return planner.count(body)
        except InputError as exc:
            raise HTTPException(422, {"message": str(exc)}) from None

    @router.post("/api/plans", status_code=202, responses={401: {}, 403: {}, 409: {}, 422: {}})
    def create_plan(body: PlanIn, request: Request) -> dict[str, Any]:
        """Cut a plan from uploaded files in the background; poll the returned job."""
        gate.require(request, *_ORGANISERS)
        return planner.start(body).as_dict()

    @router.get("/api/jobs/{job_id}", responses={401: {}, 403: {}, 404: {}})
    def job(job_id: str, request: Request) -> dict[str, Any]:
        """A plan run's status and stage; ``url`` of the plan once it is done."""
        gate.require(request, *_ORGANISERS)
        return planner.job(job_id).as_dict()

    @router.get("/plans/new", response_class=HTMLResponse, include_in_schema=False)
    def new_plan_page(request: Request) -> Any:
        info, _ = gate.session(request)
        if info is None:
            return RedirectResponse("/login?next=/plans/new", status_code=303)
        return render("new_plan.html", 200, csrf_token=info.csrf_token)

    return router
