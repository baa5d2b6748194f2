"""The web app: a workspace's plans, with their turfs, maps and walk lists, and the volunteer side.

``create_app(settings)`` opens (and migrates) the database, imports the workspace's plan folders,
builds the services once and hands them to the routes (``app.web.deps``). Organiser pages need
a login once an account exists; until then the workspace is in set-up mode and its plans are
readable by anyone who can reach the server, unless ``settings.open_without_accounts`` is off
(``canvass serve`` on a non-loopback address).
"""

from __future__ import annotations

import asyncio
import gc
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from app.outputs.assets import static_dir
from app.services.cluster_jobs import ClusterPlans
from app.services.dashboard import AnalysisCache
from app.services.jobs import JobQueue
from app.services.plan_jobs import Planner
from app.services.survey import SurveyStore
from app.services.turf_edits import TurfEditor
from app.services.volunteer_share import load_link_key
from app.services.workspace import Workspace
from app.settings import Settings
from app.store.engine import open_database
from app.store.plans import import_plan
from app.store.uploads import remove_incoming
from app.web.deps import AppServices, Gate
from app.web.errors import install_error_handlers
from app.web.files import PlanFiles
from app.web.openapi import describe_error_details
from app.web.pages import render
from app.web.routers import (
    accounts,
    admin,
    apidocs,
    assignments,
    dashboard,
    exports,
    health,
    links,
    people,
    planner,
    plans,
    privacy,
    setup,
    suggest,
    survey,
    turf_edits,
    uploads,
    volunteer,
)
from app.web.routers.privacy import daily_sweeps
from app.web.routers.volunteer_assets import register_volunteer_assets
from app.web.security import BodySizeLimit, RateLimiter, RefuseNulInAddress, SecurityHeaders

LOGIN_ATTEMPTS_PER_MINUTE = 10
RESULT_POSTS_PER_MINUTE = 120
"""Result posts one link may make per minute (a phone syncing its outbox makes a few)."""


def _services(settings: Settings) -> AppServices:
    space = Workspace(settings.workspace)
    space.files_root.mkdir(parents=True, exist_ok=True)
    db = open_database(settings.database_url, space.files_root)
    space.import_all(db)
    remove_incoming(space.uploads_dir)  # uploads cut short when the server was last stopped
    survey_store = SurveyStore(space.files_root)
    survey_store.load()  # a broken survey file stops the server here, with the file's problems
    jobs = JobQueue(db)
    # With a scheduler, plan jobs compute on the cluster (app.services.cluster_jobs).
    address = settings.dask_scheduler_address
    cluster = (
        ClusterPlans(address, no_workers_timeout_s=settings.dask_no_workers_timeout_s)
        if address
        else None
    )
    gate = Gate(db, open_without_accounts=settings.open_without_accounts)

    def page(template: str, status: int, **context: object) -> HTMLResponse:
        # Every page says when the server is in set-up mode (no account yet).
        setup_mode = settings.open_without_accounts and not gate.has_accounts()
        return render(template, status, setup_mode=setup_mode, **context)

    def imported(folder: Path) -> object:
        return import_plan(db, folder)

    planner = Planner(
        db,
        jobs,
        workspace=space.files_root,
        uploads_dir=space.uploads_dir,
        streets_dir=space.streets_dir,
        graph_cache_dir=settings.graph_cache_dir,
        public_url=settings.public_url,
        survey=survey_store,
        on_written=imported,
        archive_limits=settings.archive_limits,
        privacy_notice_url=settings.privacy_notice_url,
        cluster=cluster,
    )
    return AppServices(
        settings=settings,
        db=db,
        gate=gate,
        workspace=space,
        jobs=jobs,
        planner=planner,
        editor=TurfEditor(
            db,
            jobs,
            space.plan_dir,
            graph_cache_dir=settings.graph_cache_dir,
            make=planner.make,
            archive_limits=settings.archive_limits,
        ),
        survey=survey_store,
        analyses=AnalysisCache(),
        render=page,
        logins=RateLimiter(LOGIN_ATTEMPTS_PER_MINUTE, 60.0),
        logins_per_address=RateLimiter(LOGIN_ATTEMPTS_PER_MINUTE * 3, 60.0),
        result_posts=RateLimiter(RESULT_POSTS_PER_MINUTE, 60.0),
        setup_token=secrets.token_urlsafe(24),
        link_key=load_link_key(space.files_root),
    )


@asynccontextmanager
async def _settled(_app: FastAPI) -> AsyncIterator[None]:
    # What is alive when the server starts (the libraries, the plans imported) lives as long
    # as the server: out of the garbage collector's sight, its full collections are short
    # (they stopped every request for up to half a second while walking a million objects).
    gc.collect()
    gc.freeze()
    sweeps = asyncio.create_task(daily_sweeps(_app.state.services))
    yield
    sweeps.cancel()
    if _app.state.services.planner.cluster is not None:
        _app.state.services.planner.cluster.close()


def create_app(settings: Settings) -> FastAPI:
    """Build the FastAPI app serving the plans of ``settings.workspace``."""
    services = _services(settings)
    app = FastAPI(
        title="Canvass Planner",
        version="0.1.0",
        docs_url=None,
        redoc_url=None,
        lifespan=_settled,
    )
    app.state.services = services
    app.add_middleware(RefuseNulInAddress)
    app.add_middleware(SecurityHeaders, tile_url=settings.tile_url)
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_request_bytes,
        max_upload_bytes=settings.max_upload_bytes,
    )
    install_error_handlers(app)
    app.mount("/static", StaticFiles(directory=static_dir()), name="static")
    app.mount("/files", PlanFiles(services.workspace, services.gate), name="files")
    apidocs.mount_assets(app)
    for module in (
        health,
        setup,
        apidocs,
        volunteer,
        survey,
        assignments,
        people,
        accounts,
        links,
        admin,
        exports,
        uploads,
        planner,
        dashboard,
        turf_edits,
        plans,
        privacy,
        suggest,
    ):
        app.include_router(module.router)
    describe_error_details(app)
    register_volunteer_assets(app)  # the page's service worker, manifest and Leaflet
    return app


def app_from_environment() -> FastAPI:
    """The app of one server worker process (``canvass serve --workers N``), from its settings."""
    return create_app(Settings())
