"""Heatmaps of a plan for managers: where the targets are, and how canvassing is going.

Layers, each toggled in the layer control: precinct choropleths (targets per km², mean support
and, once results exist, coverage, contact and support rates) with a legend and tooltips, a hex
grid of target doors, a heat layer of target doors, DBSCAN hot spots and the turf outlines.
The numbers come from `segments.engagement` and the plan's analysis
(`app.planning.analysis`); this module only draws.

Like the other maps, nothing loads from a CDN: Leaflet and the Leaflet.heat plugin (shipped by
folium as ``folium/templates/leaflet_heat.min.js``) come from the plan's ``assets/``, and with
no tiles every layer still draws on a plain background.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import folium
import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from branca.colormap import LinearColormap
from branca.element import Element, MacroElement
from folium.plugins import HeatMap
from folium.template import Template

from app.outputs.assets import LEAFLET_HEAT
from app.outputs.geojson import feature_collection
from app.outputs.maps import TILES_URL, BaseMapLayer, OfflineMap, html_text, save_page
from app.planning.analysis import PlanAnalysis, analyse, target_stops
from segments.engagement import engagement_by_hex, engagement_by_precinct
from segments.universe import UniverseSize

if TYPE_CHECKING:
    from app.planning.pipeline import Plan

# Sequential palette (ColorBrewer YlOrRd, 5 classes): light for few, dark red for many.
PALETTE = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")
NO_DATA = "#bdbdbd"
HEX_SIZE_M = 150.0
# Outlines are drawn simplified to this tolerance and rounded to ~0.1 m, which keeps the page
# small (turf outlines are buffered unions with thousands of vertices).
SIMPLIFY_M = 2.0


class OfflineHeatMap(HeatMap):
    """folium's HeatMap with Leaflet.heat loaded from ``../assets`` instead of a CDN."""

    default_js: ClassVar[list[tuple[str, str]]] = [  # type: ignore[misc]
        ("leaflet-heat.js", f"../assets/{LEAFLET_HEAT}")
    ]


@dataclass(frozen=True)
class Scale:
    """A colour scale for one choropleth layer, and what its legend says."""

    title: str
    """Also the name of its layer in the layer control."""
    colours: LinearColormap
    low: str
    high: str
    show: bool = True
    """Whether its layer is on when the page opens (the legend follows the layer)."""

    def colour(self, value: Any) -> str:
        """Fill colour of a value; grey where there is no value."""
        if value is None or (isinstance(value, float) and np.isnan(value)):
            return NO_DATA
        return str(self.colours.rgb_hex_str(float(value)))

    def legend_html(self) -> str:
        """One legend entry: title, a colour ramp, and the ends of the scale."""
        ramp = ", ".join(PALETTE)
        hidden = "" if self.show else ' style="display:none"'
        return (
            f'<div class="heat-legend-item" data-layer="{html.escape(self.title)}"{hidden}>'
            f"<b>{html.escape(self.title)}</b>"
            f'<div class="heat-ramp" style="background:linear-gradient(to right, {ramp})"></div>'
            f"<span>{html.escape(self.low)}</span><span style='float:right'>"
            f"{html.escape(self.high)}</span></div>"
        )


def _scale(
    values: pd.Series,
    title: str,
    fmt: Callable[[float], str],
    *,
    show: bool,
    vmin: float | None = None,
) -> Scale:
    finite = pd.to_numeric(values, errors="coerce").dropna()
    low = float(finite.min()) if vmin is None and len(finite) else (vmin or 0.0)
    high = float(finite.max()) if len(finite) else 1.0
    if high <= low:
        high = low + 1.0
    colours = LinearColormap(list(PALETTE), vmin=low, vmax=high)
    return Scale(title=title, colours=colours, low=fmt(low), high=fmt(high), show=show)


def _count(value: float) -> str:
    return f"{value:,.0f}"


def _percent(value: float) -> str:
    return f"{value:.0%}"


def _score(value: float) -> str:
    return f"{value:.0f}"


def _lean(geometry: gpd.GeoSeries) -> npt.NDArray[np.object_]:
    """Outlines in EPSG:4326, simplified by about `SIMPLIFY_M` and rounded to 1e-6 degrees."""
    present = (geometry.notna() & ~geometry.is_empty).to_numpy()
    shapes = np.full(len(geometry), None, dtype=object)
    if present.any():
        lonlat = geometry.loc[present].to_crs(4326).to_numpy()
        # A degree of latitude is 111 km; along longitudes the tolerance is a little tighter.
        simple = shapely.simplify(lonlat, SIMPLIFY_M / 111_000.0, preserve_topology=True)
        shapes[present] = shapely.set_precision(simple, 1e-6)
    return shapes


def _display(table: gpd.GeoDataFrame, label: str) -> dict[str, list[str]]:
    """The table's id and rounded, human-readable text columns for tooltips."""

    def text(column: str, fmt: Callable[[float], str]) -> list[str]:
        return [
            "–" if pd.isna(v) else fmt(float(v))
            for v in pd.to_numeric(table[column], errors="coerce")
        ]

    return {
        # Ids come from the organiser's files and the tooltip is HTML: escape them.
        label: [html_text(i) for i in table.index],
        "Voters": text("voters", _count),
        "Targets": text("targets", _count),
        "Target doors": text("target_households", _count),
        "Targets per km²": text("target_per_km2", _count),
        "Mean support": text("mean_support", _score),
        "Mean turnout": text("mean_turnout", _score),
        "Doors knocked": text("doors_knocked", _count),
        # Not home / come back: knocked, but open for another pass.
        "Knock again": text("doors_reknock", _count),
        "Contact rate": text("contact_rate", _percent),
        "Support rate": text("support_rate", _percent),
        "Coverage": text("coverage", _percent),
    }


def choropleth_layer(
    table: gpd.GeoDataFrame,
    column: str,
    scale: Scale,
    *,
    name: str,
    label: str,
    show: bool = True,
    results: bool = False,
) -> folium.FeatureGroup:
    """Areas of an engagement table filled by `column`, with a tooltip of their figures.

    Parameters
    ----------
    table : geopandas.GeoDataFrame
        From `segments.engagement` (EPSG:4326); rows without geometry are left out.
    column : str
        The figure that sets the fill colour.
    scale : Scale
        Colours for `column`.
    name : str
        Layer name in the layer control.
    label : str
        What an area is called in the tooltip ("Precinct", "Hexagon").
    show : bool, default True
        Whether the layer is on when the page opens.
    results : bool, default False
        Whether the tooltip shows the canvassing results too.
    """
    drawn = table.loc[table.geometry.notna() & ~table.geometry.is_empty]
    shown = _display(drawn, label)
    shown["_fill"] = [scale.colour(v) for v in drawn[column]]
    fields = [label, "Voters", "Targets", "Target doors", "Targets per km²", "Mean support",
              "Mean turnout"]  # fmt: skip
    if results:
        fields += ["Doors knocked", "Contact rate", "Support rate", "Coverage"]
    group = folium.FeatureGroup(name=name, show=show)
    if len(drawn):
        folium.GeoJson(
            feature_collection(shown, _lean(drawn.geometry)),
            style_function=lambda feature: {
                "color": "#555",
                "weight": 1,
                "fillColor": feature["properties"]["_fill"],
                "fillOpacity": 0.45,
            },
            highlight_function=lambda _: {"weight": 3},
            tooltip=folium.GeoJsonTooltip(fields=fields, localize=False),
        ).add_to(group)
    return group


def heat_layer(
    points: gpd.GeoDataFrame, *, weight: str | None = None, name: str = "Heat"
) -> OfflineHeatMap:
    """A heat layer of points (any CRS), weighted by a column such as ``doors``."""
    located = points.loc[points.geometry.notna() & ~points.geometry.is_empty].to_crs(4326)
    lat = located.geometry.y.to_numpy()
    lon = located.geometry.x.to_numpy()
    if weight is None:
        data = np.column_stack([lat, lon])
    else:
        values = pd.to_numeric(located[weight], errors="coerce").fillna(0.0).to_numpy()
        data = np.column_stack([lat, lon, values])
    return OfflineHeatMap(data.tolist(), name=name, radius=18, blur=15, min_opacity=0.3)


def hotspot_layer(areas: gpd.GeoDataFrame, *, name: str, show: bool = False) -> folium.FeatureGroup:
    """Outlines of DBSCAN hot spots, each with its size in a tooltip.

    `areas` is `segments.hot_spots.HotSpots.areas_` of stops fitted with ``weight="doors"``.
    All outlines are one GeoJSON layer: a county has a hundred hot spots or more, and each folium
    element costs a template compile when the page is rendered.
    """
    group = folium.FeatureGroup(name=name, show=show)
    if len(areas):
        tips = [
            f"<b>Hot spot {area.hotspot + 1}</b><br>{area.doors:,.0f} target doors · "
            f"{area.points} stops<br>about {area.hours:.1f} h of canvassing"
            for area in areas.itertuples()
        ]
        folium.GeoJson(
            feature_collection({"Hot spot": tips}, _lean(areas.geometry)),
            style_function=lambda _: {
                "color": "#6a3d9a",
                "weight": 2,
                "dashArray": "6 4",
                "fillOpacity": 0.05,
            },
            tooltip=folium.GeoJsonTooltip(fields=["Hot spot"], labels=False),
        ).add_to(group)
    return group


def _turf_layer(turfs: gpd.GeoDataFrame) -> folium.FeatureGroup:
    group = folium.FeatureGroup(name="Turfs", show=True)
    if len(turfs):
        names = [html_text(t) for t in turfs["turf"]]
        folium.GeoJson(
            feature_collection({"Turf": names}, _lean(turfs.geometry)),
            style_function=lambda _: {"color": "#222", "weight": 1, "fill": False},
            tooltip=folium.GeoJsonTooltip(fields=["Turf"]),
        ).add_to(group)
    return group


def _legend(size: UniverseSize, scales: list[Scale]) -> Element:
    heading = (
        f"<b>Target universe</b><br>{size.voters:,} voters · {size.households:,} doors · "
        f"{size.stops:,} stops<br>about {size.hours:,.0f} h of canvassing"
    )
    items = "".join(scale.legend_html() for scale in scales)
    return Element(
        f'<div class="heat-legend">{heading}{items}'
        f'<div class="heat-legend-item"><span class="heat-swatch" '
        f'style="background:{NO_DATA}"></span> no data</div></div>'
    )


_STYLE = (
    "<style>.leaflet-container{background:#eef0f3}"
    ".heat-legend{position:fixed;bottom:28px;right:10px;z-index:1000;background:#fff;"
    "padding:8px 10px;border-radius:4px;box-shadow:0 1px 4px rgba(0,0,0,.3);"
    "font:12px/1.4 system-ui,sans-serif;max-width:240px}"
    ".heat-legend-item{margin-top:6px}"
    ".heat-ramp{height:10px;margin:2px 0;border:1px solid #999}"
    ".heat-swatch{display:inline-block;width:10px;height:10px;border:1px solid #999}</style>"
)


def heat_map(
    voters: gpd.GeoDataFrame,
    *,
    precincts: gpd.GeoDataFrame | None = None,
    stops: gpd.GeoDataFrame | None = None,
    turfs: gpd.GeoDataFrame | None = None,
    results: pd.DataFrame | None = None,
    analysis: PlanAnalysis | None = None,
    tile_url: str = TILES_URL,
    basemap_url: str = "index.basemap.js",
) -> OfflineMap:
    """The heatmap page of a universe as a folium map.

    Parameters
    ----------
    voters : geopandas.GeoDataFrame
        Voter points with ``target``, ``precinct``, ``household_id``, ``stop_id``,
        ``support_score`` and ``turnout_score`` (the plan's voters).
    precincts : geopandas.GeoDataFrame or None
        Precinct polygons with a ``precinct`` column; without them there are no precinct layers.
    stops : geopandas.GeoDataFrame or None
        Target stops with ``doors`` for the heat layer and hot spots; None derives them from the
        target voters (one point per stop, weighted by its target doors).
    turfs : geopandas.GeoDataFrame or None
        Turf outlines with a ``turf`` column.
    results : pandas.DataFrame or None
        Door results (see `segments.engagement.door_results`) for the coverage and rate layers.
    analysis : PlanAnalysis or None
        The universe's size, hours and hot spots, computed once per plan; None analyses
        ``voters`` and ``stops`` here (with the default walk model).
    tile_url : str
        Online tiles over the drawn base map ('' for none).
    basemap_url : str
        The plan's base-map data file (``maps/index.basemap.js``) as the page reaches it.
    """
    has_results = results is not None and len(results) > 0
    if stops is None:
        stops = target_stops(voters)
    if analysis is None:
        analysis = analyse(voters, stops)
    fmap = _base_map(voters, precincts)
    BaseMapLayer(basemap_url, tile_url).add_scripts(fmap)
    scales: list[Scale] = []

    if precincts is not None and len(precincts):
        table = engagement_by_precinct(voters, results, precincts=precincts)
        layers: list[tuple[str, str, Callable[[float], str], bool]] = [
            ("target_per_km2", "Targets per km² (precinct)", _count, True),
            ("mean_support", "Mean support score (precinct)", _score, False),
        ]
        if has_results:
            layers += [
                ("coverage", "Coverage: target doors tried (precinct)", _percent, False),
                ("contact_rate", "Contact rate (precinct)", _percent, False),
                ("support_rate", "Support rate (precinct)", _percent, False),
            ]
        for column, title, fmt, show in layers:
            scale = _scale(table[column], title, fmt, show=show)
            scales.append(scale)
            choropleth_layer(
                table,
                column,
                scale,
                name=title,
                label="Precinct",
                show=show,
                results=has_results,
            ).add_to(fmap)

    hexes = engagement_by_hex(voters, results, hex_size_m=HEX_SIZE_M)
    hexes = hexes.loc[hexes["target_households"] > 0]
    hex_title = f"Target doors per hexagon ({HEX_SIZE_M:.0f} m sides)"
    hex_scale = _scale(
        hexes["target_households"], hex_title, _count, show=precincts is None, vmin=0.0
    )
    scales.append(hex_scale)
    choropleth_layer(
        hexes,
        "target_households",
        hex_scale,
        name=hex_title,
        label="Hexagon",
        show=hex_scale.show,
        results=has_results,
    ).add_to(fmap)

    if len(stops):
        heat_layer(stops, weight="doors", name="Heat: target doors").add_to(fmap)
        spots = analysis.hot_spots
        title = (
            f"Hot spots ({len(spots)}; {analysis.scattered_doors:,.0f} scattered doors left out)"
        )
        hotspot_layer(spots, name=title).add_to(fmap)
    if turfs is not None:
        _turf_layer(turfs).add_to(fmap)

    size = analysis.universe
    root: Any = fmap.get_root()  # a branca Figure, typed as its base Element
    root.header.add_child(Element(_STYLE))
    root.html.add_child(_legend(size, scales))
    folium.LayerControl(collapsed=False).add_to(fmap)
    _LegendFollowsLayers().add_to(fmap)
    return fmap


class _LegendFollowsLayers(MacroElement):
    """Shows a legend entry only while its layer is on (Leaflet overlayadd/overlayremove)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            function follow(name, on) {
                document.querySelectorAll(".heat-legend-item[data-layer]").forEach(function (el) {
                    if (el.dataset.layer === name) { el.style.display = on ? "" : "none"; }
                });
            }
            map.on("overlayadd", function (e) { follow(e.name, true); });
            map.on("overlayremove", function (e) { follow(e.name, false); });
        })();
        {% endmacro %}
        """
    )


def _base_map(voters: gpd.GeoDataFrame, precincts: gpd.GeoDataFrame | None) -> OfflineMap:
    fmap = OfflineMap(tiles=None, control_scale=True)
    extent = voters if len(voters) else precincts
    if extent is not None and len(extent):
        west, south, east, north = extent.to_crs(4326).total_bounds
        fmap.fit_bounds([[float(south), float(west)], [float(north), float(east)]])
    return fmap


def write_heatmap(
    plan: Plan, turfs_gdf: gpd.GeoDataFrame, path: Path, *, results: pd.DataFrame | None = None
) -> Path:
    """Write the heatmap page of a plan (``maps/heat.html``; assets are in ``../assets``).

    Parameters
    ----------
    plan : Plan
        A plan from `app.planning.pipeline.run_plan`.
    turfs_gdf : geopandas.GeoDataFrame
        The turf table (`app.outputs.tables.turf_table`), drawn as outlines.
    path : pathlib.Path
        Where to write the page.
    results : pandas.DataFrame or None
        Door results so far, for the coverage and rate layers.

    Returns
    -------
    pathlib.Path
        `path`.
    """
    fmap = heat_map(
        plan.voters,
        precincts=plan.precincts,
        stops=plan.stops,
        turfs=turfs_gdf,
        results=results,
        analysis=plan.analysis,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    save_page(fmap, path)
    return path
