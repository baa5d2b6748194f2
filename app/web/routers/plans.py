"""The workspace's plans: the index, each plan's page and summary, and areas drawn on its map."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel

from app.store.spatial import parse_polygon, stops_inside
from app.web.deps import Reader, Services

router = APIRouter()


class AreaIn(BaseModel):
    """A polygon drawn on the map: a GeoJSON Polygon or MultiPolygon in lon/lat."""

    geometry: dict[str, Any]


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def index(request: Request, services: Services, welcome: bool = False) -> Any:
    """The list of plans, or the one plan's page (the first admin's welcome stays here)."""
    if not services.gate.can_read_plans(request):
        return RedirectResponse("/login?next=/", status_code=303)
    plans = services.workspace.plans()
    if len(plans) == 1 and not welcome:
        return RedirectResponse(f"/plans/{plans[0]}", status_code=307)
    return services.render(
        "index.html", 200, plans=plans, workspace=str(services.workspace.root), welcome=welcome
    )


@router.get("/plans/{name}", response_class=HTMLResponse, include_in_schema=False)
def plan_page(name: str, request: Request, services: Services) -> Any:
    """A plan's page: its turfs on a map and in a table, links, assignments, edits."""
    if not services.gate.can_read_plans(request):
        return RedirectResponse(f"/login?next=/plans/{name}", status_code=303)
    return services.render(
        "plan.html",
        200,
        name=name,
        summary=services.workspace.summary(name),
        tile_url=services.settings.tile_url,
        # Plans written before base maps existed have none: the page then asks for none.
        has_basemap=services.workspace.folder(name).plan_base_map.is_file(),
    )


@router.get("/api/plans", responses={401: {}})
def list_plans(_: Reader, services: Services) -> list[str]:
    """Names of the plans in the workspace."""
    return services.workspace.plans()


@router.get("/api/plans/{name}", responses={401: {}, 404: {}})
def plan_summary(name: str, _: Reader, services: Services) -> dict[str, Any]:
    """The plan's ``summary.json``: counts at every stage, turfs, timings."""
    return services.workspace.summary(name)


@router.post("/api/plans/{name}/inside", responses={401: {}, 404: {}, 422: {}})
def api_inside(name: str, body: AreaIn, _: Reader, services: Services) -> dict[str, Any]:
    """Stops, doors and voters of the plan inside a drawn polygon (PostGIS when there)."""
    return stops_inside(services.db, name, parse_polygon(body.geometry))
