"""Local copies of the page assets (Leaflet from the xstatic package, our own CSS).

Pages never load script or style from a CDN: each plan folder carries what its pages need,
so the files also work opened straight from disk with no network.
"""

from __future__ import annotations

import shutil
from importlib.resources import files
from pathlib import Path

import xstatic.pkg.leaflet as xstatic_leaflet

LEAFLET_FILES = ("leaflet.js", "leaflet.css")


def leaflet_dir() -> Path:
    """Folder of the Leaflet distribution installed by ``xstatic-leaflet``."""
    return Path(xstatic_leaflet.BASE_DIR)


def static_dir() -> Path:
    """The project's own ``static/`` folder as installed."""
    return Path(str(files("static")))


def copy_assets(target: Path) -> None:
    """Copy Leaflet (with its images) and the project's CSS into ``target``."""
    target.mkdir(parents=True, exist_ok=True)
    source = leaflet_dir()
    for name in LEAFLET_FILES:
        shutil.copy2(source / name, target / name)
    shutil.copytree(source / "images", target / "images", dirs_exist_ok=True)
    for css in (static_dir() / "css").glob("*.css"):
        shutil.copy2(css, target / css.name)
