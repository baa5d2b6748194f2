"""The manager dashboard: live progress per turf and precinct, and heatmaps of the results.

Everything is read from the database on each request (a plan's targets and results are a
few thousand rows: tens of milliseconds), so the page shows results as they arrive; its
script refreshes the tables every ``REFRESH_S`` seconds and the map on request.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from app.auth import Gate
from app.heatmaps import heat_map
from app.progress import PlanActivity, plan_activity, progress_report
from app.security import content_security_policy
from app.store.engine import Database

REFRESH_S = 30
"""How often the dashboard page asks for fresh progress figures."""


def _outlines(path: Path, column: str) -> gpd.GeoDataFrame | None:
    """A plan folder's outlines (``precincts.geojson``/``turfs.geojson``), if it has them."""
    if not path.is_file():
        return None
    frame = gpd.read_file(path)
    if column not in frame.columns or frame.empty:
        return None
    frame[column] = frame[column].astype(str)
    return frame[[column, "geometry"]].to_crs(4326)


def live_heat_map_html(activity: PlanActivity, plan_dir: Path, *, assets_url: str) -> str:
    """The plan's heatmap page (targets, coverage, contact and support) from live results."""
    results = activity.results[["household_id", "result", "timestamp"]]
    fmap = heat_map(
        activity.voters,
        precincts=_outlines(plan_dir / "precincts.geojson", "precinct"),
        turfs=_outlines(plan_dir / "turfs.geojson", "turf"),
        results=results if len(results) else None,
    )
    html: str = fmap.get_root().render()
    # The map's scripts load from the plan's own copy of the assets (see app.maps).
    return html.replace('"../assets/', f'"{assets_url}')


def dashboard_router(
    db: Database,
    gate: Gate,
    plan_dir: Callable[[str], Path],
    render: Callable[..., HTMLResponse],
    tile_url: str | None,
) -> APIRouter:
    """Routes of the dashboard; ``plan_dir(name)`` is the plan's folder (404 if none)."""
    router = APIRouter()

    def activity_of(name: str, request: Request) -> PlanActivity:
        if not gate.can_read_plans(request):
            raise HTTPException(status_code=401, detail="log in first (POST /api/login)")
        folder = plan_dir(name)
        activity = plan_activity(db, folder.name)
        if activity is None:
            raise HTTPException(status_code=404, detail=f"plan {name!r} is not in the database")
        return activity

    @router.get("/api/plans/{name}/progress", responses={401: {}, 404: {}})
    def progress(name: str, request: Request) -> dict[str, Any]:
        """Progress so far: per turf (with status), per precinct and in all.

        Doors count once however often they were knocked; rates are ratios of the counts
        (``contact_rate`` = contacted / knocked, ``support_rate`` = supporting / contacted,
        ``coverage`` = target doors knocked / target doors), null until defined.
        """
        return progress_report(activity_of(name, request))

    @router.get("/plans/{name}/dashboard", response_class=HTMLResponse, include_in_schema=False)
    def dashboard_page(name: str, request: Request) -> Any:
        if not gate.can_read_plans(request):
            return RedirectResponse(f"/login?next=/plans/{name}/dashboard", status_code=303)
        report = progress_report(activity_of(name, request))
        return render("dashboard.html", 200, name=name, report=report, refresh_s=REFRESH_S)

    @router.get("/plans/{name}/dashboard/map", response_class=HTMLResponse, include_in_schema=False)
    def dashboard_map(name: str, request: Request) -> HTMLResponse:
        activity = activity_of(name, request)
        html = live_heat_map_html(activity, plan_dir(name), assets_url=f"/files/{name}/assets/")
        response = HTMLResponse(html)
        # A Folium page runs inline scripts (all its own); still none from another origin.
        response.headers["Content-Security-Policy"] = content_security_policy(
            tile_url, inline_scripts=True
        )
        response.headers["Cache-Control"] = "no-store"
        return response

    return router
