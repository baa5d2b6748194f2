"""The plan folder: the one place that knows its file names and reads its summary and stops.

A plan is a folder written by ``canvass plan``/``canvass demo`` (see ``app.outputs.writer``):

```
summary.json       counts at every stage, per-turf figures, timings, how the plan was made
rejected.csv       every input row not used, with a reason
stops.csv          target stops with their turf and place in the walk
assignments_suggested.csv  who goes where, suggested from --volunteers (names: organisers only)
turfs.geojson      turf outlines          precincts.geojson  precinct outlines (optional)
routes.geojson     walks along streets    routes.gpx         the same as GPX
walklists/<turf>.csv, .html, .pdf         maps/index.html, maps/heat.html (with their .js)
budget_skip.csv    with --hours, the doors of turfs worked in part that the budget skips
voter_data.csv     every target voter with every field (internal: the store's import; not served
                   to managers or volunteers, see ``app.web.files``)
maps/<turf>.html and maps/<turf>.data.js  a turf's map page and what it draws
maps/<turf>.basemap.js, index.basemap.js  the streets, names, buildings drawn under them
assets/            Leaflet and CSS the pages load (never a CDN)
```

Everything else (the writer, the store's import, the web app, the services) asks this module
for paths and documents instead of spelling the names itself.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pandas as pd

from app.spreadsheet import restore_frame

SUMMARY = "summary.json"
STOPS = "stops.csv"
SUGGESTION = "assignments_suggested.csv"
REJECTED = "rejected.csv"
TURFS = "turfs.geojson"
TURFS_CSV = "turfs.csv"
PRECINCTS = "precincts.geojson"
ROUTES = "routes.geojson"
GPX = "routes.gpx"
WALKLISTS = "walklists"
VOTER_DATA = "voter_data.csv"
BUDGET_SKIP = "budget_skip.csv"
MAPS = "maps"
ASSETS = "assets"
HEATMAP = "heat.html"
OVERVIEW_MAP = "index.html"

VOTER_COLUMNS = (
    "voter_id",
    "last_name",
    "first_name",
    "age",
    "party",
    "support_score",
    "turnout_score",
)
"""What a walk list CSV carries of each voter."""
WALKLIST_COLUMNS = ("stop_id", "unit", "household_id", *VOTER_COLUMNS)
"""The columns of ``walklists/<turf>.csv`` the store imports (the CSV has a few more)."""
VOTER_DATA_COLUMNS = ("turf", *WALKLIST_COLUMNS)
"""The columns of ``voter_data.csv``: every voter field, whatever the walk lists were to show.

The walk lists carry only the fields the organiser chose (issue 21); the database import needs
them all (dashboard means, volunteer links' own fields), so the writer keeps them here.
"""
PREVIOUS_STOP_COLUMNS = ("stop_id", "turf", "sequence", "doors")
"""What a re-cut needs of an earlier cut's stops (see ``app.planning.recut``)."""


class PlanFolderError(ValueError):
    """A plan folder whose summary cannot be read; the message names the file."""


def is_plan(folder: Path) -> bool:
    """Whether ``folder`` holds a plan (its ``summary.json``)."""
    return (folder / SUMMARY).is_file()


@dataclass(frozen=True)
class PlanFolder:
    """Paths and documents of one plan folder (which need not exist yet)."""

    path: Path

    @property
    def name(self) -> str:
        """The plan's name: its folder's name."""
        return self.path.name

    @property
    def summary_path(self) -> Path:
        """``summary.json``."""
        return self.path / SUMMARY

    @property
    def suggestion_path(self) -> Path:
        """``assignments_suggested.csv``: who goes where, as suggested (volunteers' names)."""
        return self.path / SUGGESTION

    @property
    def stops_path(self) -> Path:
        """``stops.csv``."""
        return self.path / STOPS

    @property
    def rejected_path(self) -> Path:
        """``rejected.csv``."""
        return self.path / REJECTED

    @property
    def turfs_path(self) -> Path:
        """``turfs.geojson``."""
        return self.path / TURFS

    @property
    def turfs_csv_path(self) -> Path:
        """The turfs' figures as a spreadsheet (no outlines), priorities included."""
        return self.path / TURFS_CSV

    @property
    def precincts_path(self) -> Path:
        """``precincts.geojson``."""
        return self.path / PRECINCTS

    @property
    def routes_path(self) -> Path:
        """``routes.geojson``."""
        return self.path / ROUTES

    @property
    def gpx_path(self) -> Path:
        """``routes.gpx``."""
        return self.path / GPX

    @property
    def budget_skip_path(self) -> Path:
        """``budget_skip.csv``: ``turf``, ``stop_id``, ``unit`` of each door to skip."""
        return self.path / BUDGET_SKIP

    @property
    def walklists_dir(self) -> Path:
        """``walklists/``."""
        return self.path / WALKLISTS

    @property
    def maps_dir(self) -> Path:
        """``maps/``."""
        return self.path / MAPS

    @property
    def assets_dir(self) -> Path:
        """``assets/``."""
        return self.path / ASSETS

    @property
    def heatmap_path(self) -> Path:
        """``maps/heat.html``."""
        return self.maps_dir / HEATMAP

    @property
    def overview_map_path(self) -> Path:
        """``maps/index.html``."""
        return self.maps_dir / OVERVIEW_MAP

    @property
    def voter_data_path(self) -> Path:
        """``voter_data.csv``: every field of every target voter (see ``VOTER_DATA_COLUMNS``)."""
        return self.path / VOTER_DATA

    def walklist(self, turf: str, suffix: str) -> Path:
        """``walklists/<turf>.<suffix>`` (``csv``, ``html`` or ``pdf``)."""
        return self.walklists_dir / f"{turf}.{suffix}"

    def walklist_csvs(self) -> list[Path]:
        """Every turf's walk list CSV, sorted by name."""
        return sorted(self.walklists_dir.glob("*.csv"))

    def turf_map(self, turf: str) -> Path:
        """``maps/<turf>.html``."""
        return self.maps_dir / f"{turf}.html"

    def turf_map_data(self, turf: str) -> Path:
        """``maps/<turf>.data.js``: what the turf's map draws (its page loads it)."""
        return self.maps_dir / f"{turf}.data.js"

    def turf_base_map(self, turf: str) -> Path:
        """``maps/<turf>.basemap.js``: streets, names, buildings and house numbers of a turf."""
        return self.maps_dir / f"{turf}.basemap.js"

    @property
    def plan_base_map(self) -> Path:
        """``maps/index.basemap.js``: the streets and their names of the whole plan."""
        return self.maps_dir / "index.basemap.js"

    def is_plan(self) -> bool:
        """Whether the folder holds a plan."""
        return is_plan(self.path)

    def read_summary(self) -> dict[str, Any]:
        """The parsed ``summary.json``; ``PlanFolderError`` naming the file when unreadable."""
        try:
            document = json.loads(self.summary_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise PlanFolderError(
                f"{self.summary_path}: missing; {self.path} is not a plan folder"
            ) from None
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise PlanFolderError(f"{self.summary_path}: not valid JSON ({exc})") from None
        if not isinstance(document, dict):
            raise PlanFolderError(f"{self.summary_path}: not a JSON object")
        return document

    def write_summary(self, document: dict[str, Any]) -> None:
        """Write ``summary.json`` (UTF-8, indented)."""
        self.summary_path.write_text(
            json.dumps(document, indent=2, ensure_ascii=False), encoding="utf-8"
        )

    def read_stops(self) -> pd.DataFrame | None:
        """``stops.csv`` with ids as text, or None when it is missing or unreadable."""
        try:
            frame = pd.read_csv(self.stops_path, dtype={"stop_id": str, "turf": str})
        except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError):
            return None
        return restore_frame(frame)

    def read_previous_stops(self) -> pd.DataFrame | None:
        """The stops of the plan as cut (``stop_id``, ``turf``, ``sequence``, ``doors``)."""
        frame = self.read_stops()
        if frame is None or not set(PREVIOUS_STOP_COLUMNS) <= set(frame.columns):
            return None
        return frame[list(PREVIOUS_STOP_COLUMNS)]

    def turf_size(self) -> dict[str, Any] | None:
        """The ``turf_size`` the plan was cut to, or None when the summary says none."""
        try:
            size = self.read_summary().get("turf_size")
        except PlanFolderError:
            return None
        return size if isinstance(size, dict) else None


FILES_URL = "/files"
"""Where the web app serves plan folders."""


def file_url(plan: str, *parts: str) -> str:
    """The URL path of a file of plan ``plan`` as the web app serves it (quoted)."""
    return "/".join([FILES_URL, quote(plan), *(quote(p) for p in parts)])


def turf_map_url(plan: str, turf: str) -> str:
    """The URL path of a turf's map: ``/files/<plan>/maps/<turf>.html``."""
    return file_url(plan, MAPS, f"{turf}.html")
