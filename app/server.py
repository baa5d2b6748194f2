"""The web app: a workspace's plans, each with its turfs, maps and walk lists.

Plans are folders written by ``canvass plan``/``canvass demo``; the server reads their
``summary.json`` once per request of the index (cheap) and serves their files as they are.
At start-up the plan folders are imported into the database (``app.store``), where volunteer
links and the results recorded at doors live. Organiser pages need a login once an account
exists; until then the workspace is in set-up mode and its plans are readable by anyone who
can reach the server, except when ``canvass serve`` listens on a non-loopback address.
"""

from __future__ import annotations

import json
import logging
import os
import re
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.types import Scope

from app.assets import static_dir
from app.assignments_api import assignments_router
from app.auth import Gate
from app.dashboard import dashboard_router
from app.openapi import describe_error_details
from app.organiser_api import organiser_router
from app.planner_api import Planner, planner_router
from app.security import (
    DEFAULT_TILE_URL,
    BodySizeLimit,
    RefuseNulInAddress,
    SecurityHeaders,
)
from app.store.engine import SQLITE_FILE, Database, open_database
from app.store.plans import PlanImportError, import_plan
from app.survey import SurveyStore
from app.survey_api import survey_router
from app.turf_edits_api import turf_edits_router
from app.uploads_api import uploads_router
from app.volunteer_api import volunteer_router
from app.volunteer_assets import register_volunteer_assets
from app.walklists import render_page

logger = logging.getLogger(__name__)
TILE_URL_ENV = "CANVASS_TILE_URL"
MAX_UPLOAD_BYTES = 50_000_000
"""Largest upload (voter file, precinct layer) the server reads."""
MAX_REQUEST_BYTES = 1_000_000
"""Largest other request body (JSON: 100 results with notes are far smaller)."""

_PLAN_NAME = re.compile(r"^[\w.-]+$")


def _is_plan(folder: Path) -> bool:
    return (folder / "summary.json").is_file()


class Workspace:
    """A folder of plan folders (or a single plan folder)."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    @property
    def files_root(self) -> Path:
        """The folder whose children are plan folders."""
        return self.root.parent if _is_plan(self.root) else self.root

    def plans(self) -> list[str]:
        """Names of the plans, sorted."""
        if _is_plan(self.root):
            return [self.root.name]
        if not self.root.is_dir():
            return []
        return sorted(
            p.name
            for p in self.root.iterdir()
            if p.is_dir() and not p.name.startswith(".") and _is_plan(p)
        )

    def summary(self, name: str) -> dict[str, Any]:
        """The ``summary.json`` of plan ``name``; 404 when there is no such plan."""
        if not _PLAN_NAME.match(name) or name not in self.plans():
            raise HTTPException(status_code=404, detail=f"no plan named {name!r}")
        document: dict[str, Any] = json.loads(
            (self.files_root / name / "summary.json").read_text(encoding="utf-8")
        )
        return document


class PlanFiles(StaticFiles):
    """A plan's files, only inside plan folders (never ``.canvass/`` or other dotfiles)."""

    def __init__(self, space: Workspace, gate: Gate) -> None:
        super().__init__(directory=space.files_root, html=True)
        self.space = space
        self.gate = gate

    async def get_response(self, path: str, scope: Scope) -> Response:
        """404 outside a plan folder, 401 without read access, else the file."""
        parts = Path(path).parts
        if not parts or parts[0] not in self.space.plans() or any(p.startswith(".") for p in parts):
            raise HTTPException(status_code=404, detail="no such file")
        if not self.gate.can_read_plans(Request(scope)):
            raise HTTPException(status_code=401, detail="log in first")
        return await super().get_response(path, scope)


def _render(template: str, status: int, **context: object) -> HTMLResponse:
    return HTMLResponse(render_page(template, **context), status_code=status)


def import_plans(db: Database, space: Workspace) -> None:
    """Import the workspace's plan folders; a folder that cannot be read is logged, skipped."""
    for name in space.plans():
        try:
            report = import_plan(db, space.files_root / name)
        except PlanImportError as exc:
            logger.warning("plan %s not imported: %s", name, exc)
            continue
        if report.imported:
            logger.info("imported plan %s: %d turfs, %d stops", name, report.turfs, report.stops)


def create_app(
    workspace: Path,
    database_url: str | None = None,
    *,
    tile_url: str | None = None,
    open_without_accounts: bool = True,
) -> FastAPI:
    """Build the FastAPI app serving the plans under ``workspace``.

    ``database_url`` (else ``$DATABASE_URL``, else ``<workspace>/.canvass/canvass.db``) is
    migrated and the workspace's plans imported before the app is returned. ``tile_url`` is
    the map tile template the volunteer page uses (default: ``$CANVASS_TILE_URL`` or
    OpenStreetMap's); the CSP lets images come from its host. ``open_without_accounts``:
    whether plans are readable without login while no account exists (set-up mode).
    """
    space = Workspace(workspace)
    space.files_root.mkdir(parents=True, exist_ok=True)
    db = open_database(database_url, space.files_root)
    import_plans(db, space)
    tiles = tile_url or os.environ.get(TILE_URL_ENV) or DEFAULT_TILE_URL
    gate = Gate(db, open_without_accounts=open_without_accounts)
    app = FastAPI(title="Canvass Planner", version="0.1.0")
    app.state.db = db
    app.state.gate = gate
    app.add_middleware(RefuseNulInAddress)
    app.add_middleware(SecurityHeaders, tile_url=tiles)
    app.add_middleware(
        BodySizeLimit, max_bytes=MAX_REQUEST_BYTES, max_upload_bytes=MAX_UPLOAD_BYTES
    )
    app.mount("/static", StaticFiles(directory=static_dir()), name="static")
    app.mount("/files", PlanFiles(space, gate), name="files")
    survey = SurveyStore(space.files_root)
    survey.load()  # a broken survey file stops the server here, with the file's problems
    app.include_router(
        volunteer_router(db, _render, tiles, page_template="volunteer.html", survey=survey)
    )
    app.include_router(survey_router(db, gate, survey))
    app.include_router(assignments_router(db, gate))
    describe_error_details(app)
    register_volunteer_assets(app)  # the page's service worker, manifest and Leaflet
    app.include_router(
        organiser_router(
            db,
            gate,
            lambda: [space.files_root / p for p in space.plans()],
            _render,
            secure_cookies=False,
        )
    )
    uploads_dir = space.files_root / SQLITE_FILE.parent / "uploads"
    app.include_router(uploads_router(db, gate, uploads_dir))
    planner = Planner(
        db,
        space.files_root,
        uploads_dir,
        streets_dir=space.files_root / "streets",
        on_written=lambda folder: import_plan(db, folder),
    )
    app.state.planner = planner
    app.include_router(planner_router(planner, gate, _render))

    def plan_dir(name: str) -> Path:
        space.summary(name)  # 404 for anything but a plan of the workspace
        return space.files_root / name

    app.include_router(dashboard_router(db, gate, plan_dir, _render, tiles))
    app.include_router(turf_edits_router(planner, gate, plan_dir))

    def readable(request: Request) -> None:
        if not gate.can_read_plans(request):
            raise HTTPException(status_code=401, detail="log in first (POST /api/login)")

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def index(request: Request) -> Any:
        if not gate.can_read_plans(request):
            return RedirectResponse("/login?next=/", status_code=303)
        plans = space.plans()
        if len(plans) == 1:
            return RedirectResponse(f"/plans/{plans[0]}", status_code=307)
        return render_page("index.html", plans=plans, workspace=str(space.root))

    @app.get("/plans/{name}", response_class=HTMLResponse, include_in_schema=False)
    def plan_page(name: str, request: Request) -> Any:
        if not gate.can_read_plans(request):
            return RedirectResponse(f"/login?next=/plans/{name}", status_code=303)
        return render_page("plan.html", name=name, summary=space.summary(name), tile_url=tiles)

    @app.get("/api/plans", responses={401: {}})
    def list_plans(request: Request) -> list[str]:
        """Names of the plans in the workspace."""
        readable(request)
        return space.plans()

    @app.get("/api/plans/{name}", responses={401: {}, 404: {}})
    def plan_summary(name: str, request: Request) -> dict[str, Any]:
        """The plan's ``summary.json``: counts at every stage, turfs, timings."""
        readable(request)
        return space.summary(name)

    return app
