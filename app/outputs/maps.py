"""Folium maps of a plan, built to work with no CDN: Leaflet comes from the plan's assets/.

Map tiles are the one outside resource; with no tiles the routes, stops and turf outlines
still draw on a plain background.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import quote

import folium
import geopandas as gpd
import numpy as np
import orjson
import pandas as pd
import shapely
from branca.element import Element, MacroElement
from folium.template import Template

from app.outputs.page_render import render_page

if TYPE_CHECKING:
    from app.planning.pipeline import Plan, Turf

TURF_COLOURS = (
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#9467bd",
    "#ff7f0e",
    "#17becf",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
)
TILES_URL = ""
"""Online tiles of the written pages: none, the base map is drawn from the plan's own data."""
TILES_ATTRIBUTION = "&copy; OpenStreetMap contributors"
BASEMAP_VARIABLE = "CANVASS_BASEMAP"


_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def html_text(value: object) -> str:
    """``value`` as text for HTML that folium puts inside a JavaScript template literal.

    HTML-escaped, and the characters a template literal gives meaning to (backtick, ``${``,
    backslash) written as entities, which show as themselves: text from a voter file can neither
    add markup to a tooltip nor run as code.
    """
    text = html.escape(str(value), quote=True)
    return text.replace("\\", "&#92;").replace("`", "&#96;").replace("$", "&#36;")


def inline_scripts(page: str) -> list[str]:
    """The code of a page's inline ``<script>`` blocks, in order."""
    return _INLINE_SCRIPT.findall(page)


def save_page(fmap: folium.Map, path: Path) -> list[Path]:
    """Write a folium map to ``path`` with its scripts in files beside it, none inline.

    Folium renders its code into inline ``<script>`` blocks; the pages are served under a
    Content-Security-Policy that runs no inline script, so each block goes to
    ``<page>.<n>.js`` and the page loads it from there (same order, same place). Returns the
    files written.
    """
    scripts: list[str] = []

    def external(match: re.Match[str]) -> str:
        scripts.append(match.group(1))
        return f'<script src="{quote(path.stem)}.{len(scripts) - 1}.js"></script>'

    page = _INLINE_SCRIPT.sub(external, render_page(fmap))
    written = [path]
    for index, code in enumerate(scripts):
        script = path.with_name(f"{path.stem}.{index}.js")
        script.write_text(code, encoding="utf-8")
        written.append(script)
    path.write_text(page, encoding="utf-8")
    return written


class OfflineMap(folium.Map):
    """A folium map whose scripts and styles load from ``../assets`` instead of a CDN."""

    default_js: ClassVar[list[tuple[str, str]]] = [  # type: ignore[misc]
        ("leaflet", "../assets/leaflet.js")
    ]
    default_css: ClassVar[list[tuple[str, str]]] = [  # type: ignore[misc]
        ("leaflet_css", "../assets/leaflet.css")
    ]


def _colour(index: int) -> str:
    return TURF_COLOURS[index % len(TURF_COLOURS)]


def plan_map_data(plan: Plan, turfs: gpd.GeoDataFrame, routes: gpd.GeoDataFrame) -> dict[str, Any]:
    """What the map of all turfs draws: precincts, turf outlines and labels, routes (EPSG:4326)."""
    precincts = []
    if plan.precincts is not None:
        for precinct in plan.precincts[["precinct", "geometry"]].itertuples():
            precincts.append({"id": str(precinct.precinct), "outline": _outline(precinct.geometry)})
    drawn = []
    for index, (turf, route) in enumerate(
        zip(turfs.itertuples(), routes.itertuples(), strict=True)
    ):
        centre = turf.geometry.representative_point()
        line = shapely.get_coordinates(route.geometry)
        drawn.append(
            {
                "id": str(turf.turf),
                "colour": _colour(index),
                "summary": f"{turf.doors} doors · {turf.stops} stops · "
                f"{turf.minutes:.0f} min · {turf.walk_m / 1000:.1f} km",
                "outline": _outline(turf.geometry),
                "route": _round_pairs(line[:, ::-1], 6),
                "label": _round([centre.y, centre.x], 6),
            }
        )
    return {"precincts": precincts, "turfs": drawn}


def write_plan_map(data: dict[str, Any], path: Path) -> list[Path]:
    """Write the map of all turfs (``maps/index.html``) and its data file beside it.

    It draws ``maps/index.basemap.js`` (``write_base_map``) under the turfs.
    """
    return _write_data_page(data, path, variable="CANVASS_PLAN", script="plan-map.js",
                            title="all turfs")  # fmt: skip


MAP_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="stylesheet" href="../assets/leaflet.css">
<link rel="stylesheet" href="../assets/turf-map.css">
</head>
<body>
<div id="map" data-tiles="{tiles}" data-attribution="{attribution}"></div>
<script src="../assets/leaflet.js"></script>
<script src="../assets/basemap.js"></script>
<script src="{basemap}"></script>
<script src="{data}"></script>
<script src="../assets/{script}"></script>
</body>
</html>
"""
"""A map page: its title, its base map and data files and the script that draws them."""


def _round(coordinates: Any, digits: int = 7) -> Any:
    if isinstance(coordinates, float | int):
        return round(float(coordinates), digits)
    return [_round(c, digits) for c in coordinates]


def _outline(shape: shapely.Geometry) -> dict[str, Any]:
    if isinstance(shape, shapely.Polygon | shapely.MultiPolygon):
        # As ``_round(mapping(shape)["coordinates"], 6)``, a ring at a time.
        polygons = getattr(shape, "geoms", [shape])
        coordinates = [[_round_pairs(ring, 6) for ring in _rings(p)] for p in polygons]
        kind = shape.geom_type
        return {"type": kind, "coordinates": coordinates if kind != "Polygon" else coordinates[0]}
    geometry = shapely.geometry.mapping(shape)
    return {"type": geometry["type"], "coordinates": _round(geometry["coordinates"], 6)}


def _rings(polygon: shapely.Polygon) -> list[shapely.LinearRing]:
    return [] if polygon.is_empty else [polygon.exterior, *polygon.interiors]


def _round_pairs(line: Any, digits: int) -> list[list[float]]:
    """The points of ``line`` (a geometry or an (n, 2) array) as ``_round`` rounds them."""
    xy = shapely.get_coordinates(line) if isinstance(line, shapely.Geometry) else line
    return round_like_python(np.asarray(xy, dtype=float), digits).tolist()


def round_like_python(values: np.ndarray, digits: int) -> np.ndarray:
    """``round(value, digits)`` of each value, the same floats, for a whole array at once.

    numpy's ``round`` scales, rounds to a whole number and divides back; both steps round
    correctly, so it is Python's answer unless the scaled value sits within a hair of a half
    (the scaling's own rounding may tip it): those few are rounded by Python.
    """
    rounded = np.round(values, digits)
    scaled = np.abs(values) * 10.0**digits
    tie = np.abs(scaled - np.floor(scaled) - 0.5) < 1e-6
    if tie.any():
        rounded[tie] = [round(value, digits) for value in values[tie].tolist()]
    return rounded


@dataclass(frozen=True)
class MapStops:
    """What a turf's map shows of every stop of a plan, as arrays taken once per plan.

    A turf's stops are then a few array lookups instead of a GeoDataFrame selection
    (~3 ms a turf on a county).
    """

    index: pd.Index
    lat: np.ndarray
    lon: np.ndarray
    street_lat: np.ndarray
    street_lon: np.ndarray
    address: np.ndarray
    doors: np.ndarray

    @classmethod
    def of(cls, stops: gpd.GeoDataFrame) -> MapStops:
        """The map columns of ``stops`` (the plan's stops, EPSG:4326)."""
        points = stops.geometry.to_numpy()
        return cls(
            index=stops.index,
            lat=shapely.get_y(points),
            lon=shapely.get_x(points),
            street_lat=stops["street_lat"].to_numpy(dtype=float),
            street_lon=stops["street_lon"].to_numpy(dtype=float),
            address=stops["address"].to_numpy(dtype=object),
            doors=stops["doors"].to_numpy(),
        )


@dataclass(frozen=True)
class MapTurfs:
    """The turf table's outlines and drop-off points (EPSG:4326) by rank, taken once per plan."""

    turf: np.ndarray
    outline: np.ndarray
    drop_off_lat: np.ndarray
    drop_off_lon: np.ndarray

    @classmethod
    def of(cls, turfs: gpd.GeoDataFrame) -> MapTurfs:
        """The outlines and drop-off points of ``turfs`` (the turf table)."""
        return cls(
            turf=turfs["turf"].to_numpy(dtype=object),
            outline=turfs.geometry.to_numpy(),
            drop_off_lat=turfs["drop_off_lat"].to_numpy(dtype=float),
            drop_off_lon=turfs["drop_off_lon"].to_numpy(dtype=float),
        )


def turf_map_data(
    plan: Plan,
    turf: Turf,
    index: int,
    turfs: gpd.GeoDataFrame | MapTurfs,
    stops: MapStops | None = None,
) -> dict[str, Any]:
    """What a turf's map draws: outline, route, drop-off and numbered stops (EPSG:4326).

    ``turfs`` is the turf table (or its ``MapTurfs``) and ``stops`` the plan's
    ``MapStops``, when the caller draws many turfs.
    """
    table = turfs if isinstance(turfs, MapTurfs) else MapTurfs.of(turfs)
    stops = stops or MapStops.of(plan.stops)
    # The turf table is in the plan's turf order (else: found by its id).
    in_order = index < len(table.turf) and table.turf[index] == turf.turf_id
    rank = index if in_order else int(np.flatnonzero(table.turf == turf.turf_id)[0])
    at = stops.index.get_indexer(pd.Index(turf.route.stops))
    route_lon, route_lat = (
        plan.graph.to_lonlat(turf.route.line_xy[:, 0], turf.route.line_xy[:, 1])
        if len(turf.route.line_xy)
        else (np.array([]), np.array([]))
    )
    drop_lat, drop_lon = table.drop_off_lat[rank], table.drop_off_lon[rank]
    drop_off = None
    if not (np.isnan(drop_lat) or np.isnan(drop_lon)):
        drop_off = [round(float(drop_lat), 7), round(float(drop_lon), 7)]
    return {
        "turf": turf.turf_id,
        "colour": _colour(index),
        "outline": _outline(table.outline[rank]),
        "route": _round_pairs(np.column_stack([route_lat, route_lon]).reshape(-1, 2), 7),
        "drop_off": drop_off,
        "stops": [
            {
                "sequence": seq,
                "lat": round(lat, 7),
                "lon": round(lon, 7),
                "street_lat": round(street_lat, 7),
                "street_lon": round(street_lon, 7),
                "label": f"{seq}. {address} — {doors} door{'s' if doors != 1 else ''}",
            }
            for seq, (lat, lon, street_lat, street_lon, address, doors) in enumerate(
                zip(
                    stops.lat[at].tolist(),
                    stops.lon[at].tolist(),
                    stops.street_lat[at].tolist(),
                    stops.street_lon[at].tolist(),
                    stops.address[at].tolist(),
                    stops.doors[at].tolist(),
                    strict=True,
                ),
                start=1,
            )
        ],
    }


def write_turf_map(data: dict[str, Any], path: Path) -> list[Path]:
    """Write a turf's map page and its data file (``<turf>.data.js``) beside it.

    It draws ``<turf>.basemap.js`` (``write_base_map``) under the route.
    """
    return _write_data_page(data, path, variable="CANVASS_TURF", script="turf-map.js",
                            title=f"Turf {data['turf']}")  # fmt: skip


def _write_data_page(
    data: dict[str, Any], path: Path, *, variable: str, script: str, title: str
) -> list[Path]:
    """A map page that loads its data (``<page>.data.js``) and its drawing script (assets/)."""
    data_file = path.with_name(f"{path.stem}.data.js")
    write_data_file(data, data_file, variable=variable)
    path.write_text(
        MAP_PAGE.format(
            title=html.escape(title),
            tiles=html.escape(TILES_URL),
            attribution=html.escape(TILES_ATTRIBUTION),
            data=html.escape(quote(data_file.name)),
            basemap=html.escape(quote(f"{path.stem}.basemap.js")),
            script=html.escape(script),
        ),
        encoding="utf-8",
    )
    return [path, data_file]


def write_data_file(data: dict[str, Any], path: Path, *, variable: str) -> Path:
    """Write ``window.<variable> = <data as JSON>;`` (a script a page loads before drawing)."""
    # orjson: the JSON ``json.dumps(ensure_ascii=False, separators=(",", ":"))`` wrote (the same
    # bytes for the demo's 74 map files; NaN is null) in 3 ms instead of 35.
    payload = orjson.dumps(data, option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS)
    # JSON inside a script file: no character of the data can end or escape it.
    for char, code in ((b"<", b"\\u003c"), (b">", b"\\u003e"), (b"&", b"\\u0026")):
        payload = payload.replace(char, code)
    path.write_bytes(b"window." + variable.encode() + b" = " + payload + b";\n")
    return path


def read_data_file(path: Path) -> dict[str, Any] | None:
    """The data of a file ``write_data_file`` wrote; None when it is missing or not one."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    start, end = text.find("= "), text.rstrip().rfind(";")
    try:
        data = json.loads(text[start + 2 : end]) if 0 < start < end else None
    except json.JSONDecodeError:
        return None
    return data if isinstance(data, dict) else None


def write_base_map(data: dict[str, Any], path: Path) -> Path:
    """Write a base map (``app.outputs.basemap.base_map_data``) for the map pages to draw."""
    return write_data_file(data, path, variable=BASEMAP_VARIABLE)


class BaseMapLayer(MacroElement):
    """The drawn base map (``assets/basemap.js``) on a folium map, with optional tiles on top.

    ``data_url`` is the base-map data file (``index.basemap.js`` beside ``maps/heat.html``);
    tiles are requested only when ``tile_url`` is set, and shown only if one probe tile loads.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            if (!window.CanvassBasemap) { return; }
            var map = {{ this._parent.get_name() }};
            var streets = CanvassBasemap.draw(map, window.CANVASS_BASEMAP, { labelZoom: 16 });
            CanvassBasemap.tiles(
                map, {{ this.tile_url|tojson }}, {{ this.attribution|tojson }}, streets
            );
        })();
        {% endmacro %}
        """
    )

    def __init__(self, data_url: str, tile_url: str = TILES_URL) -> None:
        super().__init__()
        self._name = "BaseMapLayer"
        self.data_url = data_url
        self.tile_url = tile_url
        self.attribution = html.unescape(TILES_ATTRIBUTION)

    def add_scripts(self, fmap: folium.Map) -> None:
        """Load the drawing script and the data in the page body, after Leaflet, before the map."""
        root: Any = fmap.get_root()
        root.html.add_child(
            Element(
                '<script src="../assets/basemap.js"></script>'
                f'<script src="{html.escape(self.data_url)}"></script>'
            )
        )
        self.add_to(fmap)
