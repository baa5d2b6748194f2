"""``/docs`` (Swagger UI) and ``/redoc``, with their scripts from the fastapi-offline package.

FastAPI's own pages load Swagger UI and ReDoc from a CDN and start them with an inline script,
which the app's Content-Security-Policy blocks: they rendered blank. These pages load the same
tools from ``/vendor/apidocs`` and start them from a file.
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from app.web.deps import Services

ASSETS_URL = "/vendor/apidocs"
router = APIRouter()


def mount_assets(app: FastAPI) -> None:
    """Serve Swagger UI's and ReDoc's files from the installed package."""
    folder = Path(fastapi_offline.__file__).parent / "static"
    app.mount(ASSETS_URL, StaticFiles(directory=folder), name="apidocs")


@router.get("/docs", response_class=HTMLResponse, include_in_schema=False)
def swagger(services: Services) -> HTMLResponse:
    """The interactive API documentation."""
    return services.render(
        "docs.html", 200, title="Canvass Planner", openapi_url="/openapi.json", assets=ASSETS_URL
    )


@router.get("/redoc", response_class=HTMLResponse, include_in_schema=False)
def redoc(services: Services) -> HTMLResponse:
    """The API reference."""
    return services.render(
        "redoc.html", 200, title="Canvass Planner", openapi_url="/openapi.json", assets=ASSETS_URL
    )
