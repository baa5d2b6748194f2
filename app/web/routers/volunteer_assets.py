"""Routes that make the volunteer phone page (``/t/{token}``) work offline.

- ``GET /t/{token}/sw.js``: the service worker. It is served under the link's own path with a
  ``Service-Worker-Allowed: /t/`` header so that it may control the page at ``/t/{token}``
  (a worker's default scope is its own folder, ``/t/{token}/``, which would not cover it).
- ``GET /t/{token}/manifest.webmanifest``: a web app manifest, so a volunteer can put the
  turf on the home screen and open it again with no signal.
- ``/vendor/leaflet/...``: Leaflet from the ``xstatic-leaflet`` package (never a CDN).

The page itself, the turf JSON and the results endpoint belong to the API
(``app.web.routers.volunteer``); the page's script and style are ``static/volunteer/``.
The worker and the manifest answer only for a live link: an unknown one gets 404 and a revoked or
expired one 410, so a phone's next worker update check finds the link gone.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from app.outputs.assets import leaflet_dir, static_dir
from app.store.links import resolve_link
from app.web.deps import AppServices, Services

LEAFLET_URL = "/vendor/leaflet"
VOLUNTEER_STATIC_URL = "/static/volunteer"
SERVICE_WORKER_SCOPE = "/t/"
VOLUNTEER_ICON_URL = f"{VOLUNTEER_STATIC_URL}/icon.svg"

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{8,200}$")


def _check_token(token: str, services: AppServices) -> None:
    if not _TOKEN.match(token):
        raise HTTPException(status_code=404, detail="no such link")
    resolve_link(services.db, token)  # unknown: 404; revoked or expired: 410


@cache
def _service_worker_source() -> bytes:
    return (static_dir() / "volunteer" / "sw.js").read_bytes()


def volunteer_page_assets() -> list[str]:
    """URLs of the script and style the volunteer page needs (the worker caches them)."""
    return [
        f"{LEAFLET_URL}/leaflet.css",
        f"{LEAFLET_URL}/leaflet.js",
        "/static/maps/basemap.js",
        f"{VOLUNTEER_STATIC_URL}/volunteer.css",
        f"{VOLUNTEER_STATIC_URL}/volunteer.js",
        VOLUNTEER_ICON_URL,
    ]


def register_volunteer_assets(app: FastAPI) -> None:
    """Add the service worker, manifest and Leaflet routes of the volunteer page to ``app``."""
    app.mount(LEAFLET_URL, StaticFiles(directory=Path(leaflet_dir())), name="leaflet")

    @app.get("/t/{token}/sw.js", include_in_schema=False)
    def volunteer_service_worker(token: str, services: Services) -> Response:
        _check_token(token, services)
        return Response(
            content=_service_worker_source(),
            media_type="text/javascript",
            headers={
                "Service-Worker-Allowed": SERVICE_WORKER_SCOPE,
                # The browser checks for a new worker on every visit; never serve a stale one.
                "Cache-Control": "no-cache",
            },
        )

    @app.get("/t/{token}/manifest.webmanifest", include_in_schema=False)
    def volunteer_manifest(token: str, services: Services) -> Response:
        _check_token(token, services)
        manifest: dict[str, Any] = {
            "name": "Canvass walk list",
            "short_name": "Canvass",
            "start_url": f"/t/{token}",
            "scope": f"/t/{token}",
            "display": "standalone",
            "background_color": "#ffffff",
            "theme_color": "#0b3d91",
            # One scalable icon serves every size a home screen asks for.
            "icons": [
                {"src": VOLUNTEER_ICON_URL, "sizes": "any", "type": "image/svg+xml"},
                {
                    "src": VOLUNTEER_ICON_URL,
                    "sizes": "any",
                    "type": "image/svg+xml",
                    "purpose": "maskable",
                },
            ],
        }
        return JSONResponse(
            manifest,
            media_type="application/manifest+json",
            headers={"Cache-Control": "no-cache"},
        )
