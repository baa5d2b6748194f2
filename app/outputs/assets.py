"""Local copies of the page assets (Leaflet from the xstatic package, our own CSS).

Leaflet.heat, for the heat layer of ``maps/heat.html``, is the copy folium ships in
``folium/templates/leaflet_heat.min.js`` (its HeatMap plugin would otherwise load it from a CDN).

Pages never load script or style from a CDN: each plan folder carries what its pages need,
so the files also work opened straight from disk with no network.
"""

from __future__ import annotations

import shutil
from importlib.resources import files
from pathlib import Path

import xstatic.pkg.leaflet as xstatic_leaflet

LEAFLET_FILES = ("leaflet.js", "leaflet.css")
LEAFLET_HEAT = "leaflet_heat.min.js"


def leaflet_dir() -> Path:
    """Folder of the Leaflet distribution installed by ``xstatic-leaflet``."""
    return Path(xstatic_leaflet.BASE_DIR)


def leaflet_heat_path() -> Path:
    """The Leaflet.heat script that folium ships for its HeatMap plugin."""
    return Path(str(files("folium") / "templates" / LEAFLET_HEAT))


def static_dir() -> Path:
    """The project's own ``static/`` folder as installed."""
    return Path(str(files("static")))


def copy_assets(target: Path) -> None:
    """Copy Leaflet (with its images), Leaflet.heat and the project's CSS into ``target``."""
    target.mkdir(parents=True, exist_ok=True)
    source = leaflet_dir()
    for name in LEAFLET_FILES:
        shutil.copy2(source / name, target / name)
    shutil.copytree(source / "images", target / "images", dirs_exist_ok=True)
    shutil.copy2(leaflet_heat_path(), target / LEAFLET_HEAT)
    for css in (static_dir() / "css").glob("*.css"):
        shutil.copy2(css, target / css.name)
    # The turf map pages' own script and style (the maps draw from per-turf data files).
    for asset in sorted((static_dir() / "maps").glob("*.*")):
        shutil.copy2(asset, target / asset.name)
