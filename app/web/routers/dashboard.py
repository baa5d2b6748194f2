"""The manager dashboard: live progress per turf and precinct, and heatmaps of the results.

The page's script refreshes the tables every ``REFRESH_S`` seconds and the map on request.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from app.services.budget_skip import skipped_by_turf
from app.services.dashboard import activity_of, live_heat_map_html
from app.services.passes import pass_counts
from app.services.progress import progress_report
from app.web.deps import Reader, Services
from app.web.security import content_security_policy, inline_script_hashes

router = APIRouter()
REFRESH_S = 30
"""How often the dashboard page asks for fresh progress figures."""


@router.get("/api/plans/{name}/progress", responses={401: {}, 404: {}})
def progress(name: str, _: Reader, services: Services) -> dict[str, Any]:
    """Progress so far: per turf (with status), per precinct and in all.

    Doors count once however often they were knocked; rates are ratios of the counts
    (``contact_rate`` = contacted / knocked, ``support_rate`` = supporting / contacted,
    ``coverage`` = target doors knocked / target doors), null until defined. ``passes``:
    per pass of the plan (``demo``, ``demo-p2``, ...), attempts and doors knocked and reached.
    """
    services.workspace.folder(name)  # only plans of the workspace
    return {
        **progress_report(
            activity_of(services.db, name), skipped_by_turf(services.workspace, name)
        ),
        "passes": pass_counts(services.db, name),
    }


@router.get("/plans/{name}/dashboard", response_class=HTMLResponse, include_in_schema=False)
def dashboard_page(name: str, request: Request, services: Services) -> Any:
    """The dashboard page (login first)."""
    if not services.gate.can_read_plans(request):
        return RedirectResponse(f"/login?next=/plans/{name}/dashboard", status_code=303)
    services.workspace.folder(name)
    report = progress_report(
        activity_of(services.db, name), skipped_by_turf(services.workspace, name)
    )
    passes = pass_counts(services.db, name)
    return services.render(
        "dashboard.html", 200, name=name, report=report, passes=passes, refresh_s=REFRESH_S
    )


@router.get("/plans/{name}/dashboard/map", response_class=HTMLResponse, include_in_schema=False)
def dashboard_map(name: str, _: Reader, services: Services) -> HTMLResponse:
    """The live heatmap page, framed by the dashboard."""
    folder = services.workspace.folder(name)
    activity = activity_of(services.db, name)
    shapes = services.analyses.shapes(activity, folder)
    html = live_heat_map_html(
        activity, shapes, assets_url=f"/files/{name}/assets/", tile_url=services.settings.tile_url
    )
    response = HTMLResponse(html)
    # A Folium page made on request: its own inline scripts run (by hash), no other.
    response.headers["Content-Security-Policy"] = content_security_policy(
        services.settings.tile_url, script_hashes=inline_script_hashes(html)
    )
    response.headers["Cache-Control"] = "no-store"
    return response
